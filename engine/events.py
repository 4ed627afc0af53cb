"""Qt-free signals: the engine announces changes, the GUI (or a test) listens. Built on psygnal (DESIGN.md, 2),
with our interface kept: ``Signal()``, ``connect`` (idempotent), ``disconnect`` (of a stranger: a no-op), ``emit``.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import psygnal
from psygnal import EmitLoopError, SignalInstance

# Any arguments: a signal's arguments are documented where it is declared (e.g. GraphEvents), not checked here.
_ANY_ARGUMENTS = inspect.Signature([inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)])


class Signal(SignalInstance):
    """A psygnal SignalInstance. Bound methods are held weakly (a slot's object may be collected; its slot then
    goes with it); functions and lambdas strongly. A slot's exception reaches the emitter as itself."""

    def __init__(self, signature: inspect.Signature | tuple = _ANY_ARGUMENTS, *, name: str | None = None,
                 check_nargs_on_connect: bool = False, **options: Any) -> None:
        # ``Signal()`` takes any arguments; psygnal passes a declared signature when this is the instance class of
        # a psygnal.Signal descriptor (see ``signal``).
        super().__init__(signature, name=name, check_nargs_on_connect=check_nargs_on_connect, **options)

    def connect(self, slot: Callable[..., Any], **options: Any):  # type: ignore[override]
        options.setdefault("unique", True)  # connecting twice calls the slot once, as Qt's UniqueConnection
        # A slot that cannot be held weakly (a list's append) is held strongly, without a warning each time.
        options.setdefault("on_ref_error", "ignore")
        return super().connect(slot, **options)

    def disconnect(self, slot: Callable[..., Any] | None = None, missing_ok: bool = True) -> None:
        super().disconnect(slot, missing_ok=missing_ok)

    def emit(self, *args: Any, **options: Any) -> None:  # type: ignore[override]
        try:
            super().emit(*args, **options)
        except EmitLoopError as err:
            # psygnal wraps a slot's error; callers (and tests) expect the error the slot raised.
            raise (err.__cause__ or err) from None


def signal(*types: type) -> psygnal.Signal:
    """A declared signal for a psygnal ``SignalGroup`` whose instances are our ``Signal``, e.g.
    ``class GraphEvents(SignalGroup): node_added = signal(object)``; the group adds ``all`` (every signal of it)
    and ``blocked()`` / ``paused()`` for batched edits."""
    return psygnal.Signal(*types, signal_instance_class=Signal)
