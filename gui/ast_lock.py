"""One lock around ``ast.parse`` for the whole process: CPython 3.11 and 3.12 keep the AST builder's recursion
counter per interpreter, not per thread (gh-106905), so two threads building ASTs at once corrupt it —
"SystemError: AST constructor recursion depth mismatch", and a segfault was seen here. The window parses in
background threads (TorchScript export reads the blocks' source) while the GUI thread may parse too."""
from __future__ import annotations

import ast
import sys
import threading

_LOCK = threading.RLock()


def install() -> None:
    """Replaces ``ast.parse`` with a serialized one (idempotent; nothing to do on Python 3.13 and later)."""
    if sys.version_info >= (3, 13) or getattr(ast.parse, "serialized", False):
        return
    original = ast.parse

    def parse(*args, **kwargs):
        with _LOCK:
            return original(*args, **kwargs)

    parse.serialized = True
    parse.__doc__ = original.__doc__
    ast.parse = parse
