"""What a long-lived program running experiments (the window) needs beyond the CLI: no worker process may outlive
``Experiment.run``. ``run`` joins its workers for a few seconds only; on a loaded machine an exiting worker (torch's
teardown) can take longer, and a window that runs many experiments must not collect them."""
from __future__ import annotations

import time


def end_workers(experiment, timeout: float = 20.0) -> int:
    """Waits up to ``timeout`` seconds for the experiment's worker processes to exit by themselves (their trials are
    recorded already), then terminates, and finally kills, any still alive. Returns how many had to be ended."""
    procs = list(getattr(experiment, "_procs", {}).values())
    deadline = time.monotonic() + timeout
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    ended = 0
    for proc in procs:
        if proc.is_alive():
            ended += 1
            proc.terminate()
            proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    return ended
