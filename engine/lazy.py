"""Modules imported at their first use, so that starting the window or a shape check never loads torch.

``from engine.lazy import torch`` gives a stand-in whose first attribute access (``torch.tensor``) imports the
real module and puts it in place of the stand-in in the module that used it; Python's import lock makes that
safe from any thread, also while another thread imports it.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any, Callable


class OnFirstUse:
    """Stands for the module ``name`` (relative to ``package``) and imports it at the first attribute access, then
    calls ``on_import(module)`` once (a set-up the module needs before anyone uses it)."""

    __slots__ = ("_name", "_package", "_module", "_on_import")

    def __init__(self, name: str, package: str | None = None, on_import: Callable[[ModuleType], None] | None = None):
        self._name = name
        self._package = package
        self._module: ModuleType | None = None
        self._on_import = on_import

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = importlib.import_module(self._name, self._package)
            if self._on_import is not None:
                self._on_import(module)
            self._module = module
        # Each access through a stand-in costs a failed attribute lookup (microseconds), so the module that
        # used it gets the real module under the same global name: its later uses cost nothing.
        caller = sys._getframe(1).f_globals
        for name in [n for n, value in caller.items() if value is self]:
            caller[name] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<{self._name} imported at first use>"


def exports(package: str, where: dict[str, str], namespace: dict[str, Any]):
    """A package's PEP 562 ``__getattr__``: each name in ``where`` (name -> defining submodule, relative) is imported
    at its first use and then kept in ``namespace`` (the package's globals), so later lookups skip this."""
    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value
    return __getattr__


def loaded(name: str = "torch") -> bool:
    """Whether the module ``name`` has been imported (completely: not while another thread still imports it)."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


torch = OnFirstUse("torch")
numpy = OnFirstUse("numpy")  # the window's start needs neither: they load after its first paint
networkx = OnFirstUse("networkx")
