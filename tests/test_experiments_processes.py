"""Worker processes come from a fork server that imported torch once (engine/worker_processes.py), so a worker
does not spend seconds importing it before its first trial; where there is no fork server, they are spawned."""
import multiprocessing as mp
import sys
from multiprocessing import forkserver
from pathlib import Path

import pytest

from engine.document import load_document
from engine.experiments import Experiment, TrialStarted, warm_up
from engine.worker_processes import worker_context
from test_experiments_support import tiny_adding

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def parent_pid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no PPid for {pid}")


def test_workers_are_forked_from_a_server_that_has_torch_loaded(tmp_path):
    assert worker_context().get_start_method() == "forkserver"
    warm_up()
    server = forkserver._forkserver._forkserver_pid  # noqa: SLF001 - the one fork server of this process
    assert server is not None
    doc = load_document(tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "values": [4, 8]}]))
    experiment = Experiment(doc, workers=2, out=tmp_path / "out")
    parents = set()

    def on_event(event):
        if isinstance(event, TrialStarted):
            for proc in experiment._procs.values():  # noqa: SLF001 - the worker processes of this run
                if proc.is_alive():
                    try:
                        parents.add(parent_pid(proc.pid))
                    except (FileNotFoundError, ProcessLookupError):
                        pass  # it just ended

    assert experiment.run(on_event).status == "completed"
    assert parents == {server}
    maps = Path(f"/proc/{server}/maps").read_text()
    assert "libtorch_cpu" in maps or "libtorch_cuda" in maps  # the server imported torch: workers need not


def test_spawn_is_used_where_there_is_no_fork_server(monkeypatch):
    monkeypatch.setattr(mp, "get_all_start_methods", lambda: ["spawn"])
    assert worker_context().get_start_method() == "spawn"


def test_the_sweep_command_trains_in_its_workers_without_importing_torch_itself(tmp_path):
    """The command's own process plans, shows progress and writes the table: importing torch there (about 2 s of
    a short sweep's start-up, while the fork server imports it too) is time the trials wait for."""
    import subprocess

    path = tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "values": [4, 8]}])
    script = ("import sys\nif __name__ == '__main__':\n    from engine.cli import main\n"
              "    code = main(sys.argv[1:])\n    print('TORCH', 'torch' in sys.modules)\n    sys.exit(code)\n")
    runner = tmp_path / "run_sweep.py"
    runner.write_text(script)
    done = subprocess.run([sys.executable, str(runner), "sweep", str(path), "--workers", "2",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert "completed: 2 trials finished" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "TORCH False"
    table = next((tmp_path / "out").rglob("trials.csv")).read_text()
    assert table.count("completed") == 2  # both trials trained, in the workers
