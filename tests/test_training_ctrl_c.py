"""Ctrl-C never loses a run: at start-up it exits 130 with one line; twice during training it still ends with
status "stopped" and the last checkpoint intact; a save cut short leaves no temp file behind for good."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from engine.compiler import compile_graph
from engine.training import Hook, Run, Trainer, TrainingConfig, find_runs
from engine.training import checkpoints as checkpoint_module
from engine.training.checkpoints import load_checkpoint, save_checkpoint
from engine.training.rundir import RunDir
from test_training_loop import adding_doc
from test_training_support import adding_data, one_torch_thread  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def tiny_adding(tmp_path, epochs):
    doc = json.loads((EXAMPLES / "adding_lstm.json").read_text())
    doc["data"] = {"dataset": "adding", "options": {"length": 10, "samples": 200}, "split": [0.6, 0.2, 0.2], "seed": 0}
    doc["training"] = {"epochs": epochs, "batch_size": 20, "lr": 0.01}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(doc))
    return path


def start(code: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=str(ROOT))


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        proc.kill()


# ---------------------------------------------------------------------------------------------- start-up
def test_ctrl_c_while_importing_exits_130_with_one_line(tmp_path):
    path = tiny_adding(tmp_path, epochs=1)
    # The interrupt is raised from inside "import torch", the slowest part of starting.
    code = ("import os, signal, sys\n"
            "class SigintOnTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'torch':\n"
            "            os.kill(os.getpid(), signal.SIGINT)\n"
            "        return None\n"
            "sys.meta_path.insert(0, SigintOnTorch())\n"
            "from gui.launcher import main\n"
            f"sys.exit(main(['train', {str(path)!r}, '--out', {str(tmp_path / 'out')!r}]))\n")
    proc = start(code)
    out, err = finish(proc)
    assert proc.returncode == 130
    assert err.splitlines() == ["rnn-studio: interrupted (Ctrl-C)"] and out == ""


def test_ctrl_c_while_preparing_data_exits_130_at_once_and_leaves_no_run(tmp_path):
    path = tiny_adding(tmp_path, epochs=1)
    code = ("import os, signal, sys, time\n"
            "import engine.data\n"
            "def slow_prepare(*args, **kwargs):\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    time.sleep(120)  # a preparation far longer than the test waits\n"
            "engine.data.prepare_data = slow_prepare\n"
            "from gui.launcher import main\n"
            f"sys.exit(main(['train', {str(path)!r}, '--out', {str(tmp_path / 'out')!r}]))\n")
    began = time.monotonic()
    proc = start(code)
    out, err = finish(proc)
    assert time.monotonic() - began < 60  # not swallowed: the sleep was cut short
    assert proc.returncode == 130, err
    assert out.splitlines() == ["stopped: interrupted by the user while starting: nothing was trained"]
    assert "Traceback" not in err
    assert find_runs(tmp_path / "out") == []


# ---------------------------------------------------------------------------------------------- during training
@pytest.mark.parametrize("gap", [0.0, 0.05])
def test_ctrl_c_twice_ends_stopped_with_the_last_checkpoint(tmp_path, gap):
    path = tiny_adding(tmp_path, epochs=10000)
    code = ("import sys; from gui.launcher import main; "
            f"sys.exit(main(['train', {str(path)!r}, '--out', {str(tmp_path / 'out')!r}]))")
    proc = start(code)
    try:
        for line in proc.stderr:
            if line.startswith("epoch 2/"):
                proc.send_signal(signal.SIGINT)
            elif line.startswith("stopping after this step"):
                # The first press was handled (two signals before Python runs its handler count as one):
                # the second lands while the run is stopping, or once it has ended.
                time.sleep(gap)
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    # 130; or, when the second press comes after the run has ended, death by SIGINT (the shell shows 130 too).
    assert proc.returncode in (130, -signal.SIGINT), err
    assert "Traceback" not in err and "stopped by the user" in out
    (run,) = find_runs(tmp_path / "out")
    status = run.read_status()
    assert status["status"] == "stopped" and status["epoch"] >= 2
    fresh = compile_graph(run.read_document().graph).module
    load_checkpoint(fresh, run.checkpoint("last"))
    assert all(torch.isfinite(v).all() for v in fresh.state_dict().values())
    assert not list(run.path.rglob("*.tmp"))


class InterruptAt(Hook):
    """Presses Ctrl-C (raises KeyboardInterrupt) inside the trainer at a chosen point, as a signal would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, trainer, metrics):
        if metrics.epoch == self.epoch:
            raise KeyboardInterrupt


def run_with(tmp_path, hook=None, **config):
    trainer = Trainer(adding_doc(), TrainingConfig(**{"epochs": 4, "batch_size": 32, "lr": 0.01, "probes": [],
                                                      **config}), run_root=tmp_path, data=adding_data(n=160))
    if hook is not None:
        trainer.add_hook(hook)
    return trainer, trainer.run()


def test_an_interrupt_in_the_loop_writes_stopped_and_skips_the_evaluation(tmp_path):
    trainer, result = run_with(tmp_path, InterruptAt(epoch=2))
    assert result.status == "stopped" and result.exit_code == 130
    assert result.message == "stopped by the user (Ctrl-C); the last checkpoint is kept"
    run = Run(result.run_dir)
    assert run.read_status()["status"] == "stopped" and run.read_status()["epoch"] == 2
    assert not run.evaluation().exists() and result.test is None  # the slow part is skipped
    assert run.read_events()[-1].status == "stopped"


def test_an_interrupt_inside_a_checkpoint_save_keeps_the_previous_one(tmp_path, monkeypatch):
    real_save = checkpoint_module.save_file
    calls = []

    def save_cut_short(tensors, filename, metadata=None):
        calls.append(metadata["epoch"])
        if metadata["epoch"] == "2":
            Path(filename).write_bytes(b"half a checkpoint")
            raise KeyboardInterrupt
        real_save(tensors, filename, metadata=metadata)
    monkeypatch.setattr(checkpoint_module, "save_file", save_cut_short)
    _, result = run_with(tmp_path)
    assert result.status == "stopped" and "the last checkpoint is kept" in result.message
    run = Run(result.run_dir)
    assert run.read_status()["status"] == "stopped"
    assert not list(run.path.rglob("*.tmp"))
    from safetensors import safe_open

    with safe_open(str(run.checkpoint("last")), "pt") as handle:
        assert handle.metadata()["epoch"] == "1"  # epoch 1's, whole


def test_an_interrupt_inside_the_final_status_write_still_writes_it(tmp_path, monkeypatch):
    real_status = RunDir.status
    interrupted = []

    def status_once_interrupted(self, **fields):
        if fields["status"] == "completed" and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        real_status(self, **fields)
    monkeypatch.setattr(RunDir, "status", status_once_interrupted)
    _, result = run_with(tmp_path, epochs=1)
    assert interrupted and result.status == "stopped"
    assert Run(result.run_dir).read_status()["status"] == "stopped"


def test_an_interrupt_in_the_final_evaluation_ends_the_run_stopped(tmp_path, monkeypatch):
    import engine.training.baselines as baselines_module

    def interrupted(trainer):
        raise KeyboardInterrupt
    monkeypatch.setattr(baselines_module, "baselines", interrupted)
    _, result = run_with(tmp_path, epochs=1)
    assert result.status == "stopped" and result.exit_code == 130
    assert result.message.startswith("stopped by the user during the final evaluation (Ctrl-C)")
    assert Run(result.run_dir).read_status()["status"] == "stopped"


def test_a_stop_before_the_first_epoch_says_there_is_no_checkpoint(tmp_path):
    class StopAtOnce(Hook):
        def on_run_start(self, trainer):
            trainer.stop()
    _, result = run_with(tmp_path, StopAtOnce())
    assert result.status == "stopped"
    assert result.message == "stopped by the user; no checkpoint was written yet (one is written after each epoch)"


# ---------------------------------------------------------------------------------------------- atomic saves
def test_a_stale_temp_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    module = compile_graph(adding_doc().graph).module
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "last.safetensors.tmp").write_bytes(b"killed mid-write")
    save_checkpoint(module, folder / "best.safetensors", {"epoch": 3})
    assert sorted(p.name for p in folder.iterdir()) == ["best.safetensors"]
    fresh = compile_graph(adding_doc().graph).module
    load_checkpoint(fresh, folder / "best.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(module.state_dict().values(), fresh.state_dict().values()))
