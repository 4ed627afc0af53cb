"""RNN Studio's desktop window (PySide6 + pyqtgraph). It uses the engine only through its public API."""
