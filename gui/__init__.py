"""RNN Studio's desktop window (PySide6 + pyqtgraph). It uses the engine only through its public API."""
from .ast_lock import install as _serialize_ast_parsing

_serialize_ast_parsing()  # before any window thread starts: see gui/ast_lock.py
