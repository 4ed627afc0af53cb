"""How experiment worker processes start: from a fork server that has imported torch once, where the platform
has one. Torch-free (engine/experiments imports torch), so the command line starts the server before its own
imports, and the two import side by side.

A spawned worker imports torch (about 1.5 s on a 2-core machine) and then, at its first optimizer step, torch's
compiler package (torch._dynamo, another 1.5 s: the optimizers import it to mark themselves uncompilable). Every
worker of every experiment paid those 3 s before its first trial. With ``forkserver`` one server process imports
them once and each worker is forked from it ready to train; the server lives as long as the process that started
it, so a second experiment in the same window or command starts its workers at once.

Forking is safe here because the server never runs a torch operation (no OpenMP or intra-op thread pool exists to
be copied half-locked) and never touches CUDA; the workers set their own thread counts and devices. Where
``forkserver`` does not exist (Windows, and macOS's default of spawn is kept there) workers are spawned as before.
"""
from __future__ import annotations

import multiprocessing as mp
from multiprocessing.context import BaseContext

# '__main__' keeps each child from importing the main script again (forkserver children do unless the server has)
PRELOAD = ["__main__", "engine.experiments.worker", "torch._dynamo", "optuna"]


def worker_context() -> BaseContext:
    """The multiprocessing context that experiment workers (and their queues and events) come from."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)  # no effect once the server runs: it has them already
        return ctx
    return mp.get_context("spawn")


def warm_up() -> None:
    """Starts the fork server now (it imports in its own process; this returns at once), so that the next
    experiment's workers start ready. Does nothing where workers are spawned."""
    ctx = worker_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
