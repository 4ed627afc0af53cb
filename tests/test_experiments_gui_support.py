"""end_workers: no worker process outlives an experiment's run in a long-lived program (the window)."""
import multiprocessing as mp
import time

from engine.experiments.gui_support import end_workers


class _Run:
    def __init__(self, procs):
        self._procs = dict(enumerate(procs))


def test_workers_that_exit_are_joined_and_a_stuck_one_is_ended():
    ctx = mp.get_context("spawn")
    quick, stuck = ctx.Process(target=time.sleep, args=(0.1,)), ctx.Process(target=time.sleep, args=(600,))
    for proc in (quick, stuck):
        proc.start()
    assert end_workers(_Run([quick, stuck]), timeout=3.0) == 1
    assert not quick.is_alive() and quick.exitcode == 0 and not stuck.is_alive() and stuck.exitcode < 0
    assert end_workers(_Run([])) == 0
