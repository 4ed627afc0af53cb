"""The window serializes ast.parse across threads (CPython gh-106905: concurrent AST building corrupts a
per-interpreter counter and crashed a TorchScript export running beside the GUI thread)."""
from __future__ import annotations

import ast
import sys
import threading
import time

import pytest

import gui  # noqa: F401 - importing the window installs the lock


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="fixed in CPython 3.13")
def test_two_threads_never_build_asts_at_once(monkeypatch):
    inside, overlaps = [0], []
    assert getattr(ast.parse, "serialized", False)

    # Count how many threads are inside the real parser at once, by wrapping the compile it calls.
    real_compile = compile

    def counting_compile(*args, **kwargs):
        inside[0] += 1
        overlaps.append(inside[0])
        time.sleep(0.002)  # widen the window in which a second thread could enter
        try:
            return real_compile(*args, **kwargs)
        finally:
            inside[0] -= 1

    monkeypatch.setattr("builtins.compile", counting_compile)
    source = "\n".join(f"def f{i}(x):\n    return [x + {i} for _ in range(3)]" for i in range(50))
    threads = [threading.Thread(target=lambda: [ast.parse(source) for _ in range(20)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(overlaps) == 4 * 20 and max(overlaps) == 1  # without the lock: 4 at once
