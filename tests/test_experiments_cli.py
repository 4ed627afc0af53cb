"""``rnn-studio sweep``: the dry run lists the trials and the skipped combinations; bad input is one line and exit 2;
a sweep prints a progress line per worker and a final table sorted by the objective."""
import json
import re

import pytest

from engine.cli import main
from test_experiments_support import EXAMPLES, tiny_adding


def test_dry_run_lists_trials_and_skipped_combinations(tmp_path, capsys):
    doc = json.loads((EXAMPLES / "seq2seq.json").read_text())
    doc["version"] = 2
    doc["experiment"] = {"variables": [{"path": "encoder.kind", "values": ["lstm", "gru"]},
                                       {"path": "decoder.kind", "values": ["lstm", "gru"]}], "repeats": 3}
    path = tmp_path / "s2s.json"
    path.write_text(json.dumps(doc))
    assert main(["sweep", str(path), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["grid: 2 trials x 3 repeats = 6 runs; objective val_loss (lower is better)",
                         "    1. encoder.kind=lstm, decoder.kind=lstm",
                         "    2. encoder.kind=gru, decoder.kind=gru"]
    assert lines[3].startswith("  skipped encoder.kind=lstm, decoder.kind=gru: GRU 'decoder': GRU 'decoder' is given "
                               "LSTM state")
    assert not (tmp_path / "runs").exists()


def test_a_budget_that_cuts_a_grid_short_says_what_it_leaves_out(capsys):
    """A budget of 4 on vanishing_gradients' 3 kinds x 4 lengths trained the plain RNN at every length, silently."""
    assert main(["sweep", str(EXAMPLES / "vanishing_gradients.json"), "--dry-run", "--trials", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("grid: 4 trials;") and len([line for line in out if line.startswith("    ")]) == 4
    assert out[-1] == ("  note: the budget runs the first 4 of the grid's 12 combinations, in order (the last "
                       "variable changes fastest); a random or tpe strategy samples them instead")
    assert main(["sweep", str(EXAMPLES / "vanishing_gradients.json"), "--dry-run"]) == 0
    assert "note:" not in capsys.readouterr().out


def test_the_examples_plan_without_training(capsys):
    for name, first in (("vanishing_gradients", "grid: 12 trials;"), ("exploding_gradients", "grid: 6 trials;"),
                        ("tune_names", "tpe: 12 trials;")):
        assert main(["sweep", str(EXAMPLES / f"{name}.json"), "--dry-run"]) == 0
        assert capsys.readouterr().out.startswith(first)


@pytest.mark.parametrize("variables, extra, args, message", [
    ([{"path": "lstm.units", "values": [1]}], {}, [],
     "error: lstm.units: there is no block called 'lstm' (blocks: sequence, rnn, last_step, dense, sum; sections: "
     "training, data)"),
    ([{"path": "rnn.hidden_size", "values": [4, 100000]}], {}, [],
     "error: rnn.hidden_size: must be at most 8192, got 100000"),
    ([{"path": "rnn.hidden_size", "values": []}], {}, [],
     "error: {file}: $.experiment.variables[0].values: rnn.hidden_size: the list of values is empty: give at least one"),
    ([{"path": "rnn.hidden_size", "values": list(range(1, 502))}], {}, [],
     "error: experiment: the grid has 501 combinations, more than 500: narrow it, set a budget, or pass --yes to run "
     "them all"),
    ([{"path": "training.lr", "low": 0.001, "high": 0.1}], {"strategy": "random"}, ["--trials", "501"],
     "error: experiment: 501 trials are more than 500: lower the budget or pass --yes"),
    ([{"path": "rnn.hidden_size", "values": [4]}], {}, ["--workers", "0"], "error: --workers: must be at least 1, got 0"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, variables, extra, args, message):
    path = tiny_adding(tmp_path, variables, **extra)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    captured = capsys.readouterr()
    assert captured.err == message.format(file=path) + "\n" and captured.out == ""
    assert not (tmp_path / "out").exists()


def test_a_document_without_an_experiment_exits_2(capsys):
    assert main(["sweep", str(EXAMPLES / "adding_rnn.json"), "--dry-run"]) == 2
    assert capsys.readouterr().err == ("error: experiment: the document has no experiment section: add variables "
                                       "first\n")


def test_a_sweep_prints_worker_lines_and_a_table_sorted_by_the_objective(tmp_path, capsys):
    path = tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "values": [2, 8]}])
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--epochs", "1", "--max-steps", "3"]) == 0
    captured = capsys.readouterr()
    assert "[worker 0] trial 0 (1/2) hidden_size=2: started" in captured.err
    assert "[worker 0] trial 1 epoch 1/1  val_loss " in captured.err
    table = captured.out.splitlines()
    assert table[0].split() == ["#", "hidden_size", "status", "val_loss", "test_loss", "test_mae", "test_mse",
                                "epochs", "time"]
    values = [float(line.split()[3]) for line in table[1:3]]
    assert values == sorted(values)
    assert table[3] == "completed: 2 trials finished"
    rows = (next((tmp_path / "out").rglob("trials.csv"))).read_text().splitlines()
    assert len(rows) == 3


def test_ctrl_c_stops_the_sweep_keeping_finished_trials_exit_130(tmp_path):
    import signal
    import subprocess
    import sys

    from test_experiments_support import EXAMPLES as examples

    path = tiny_adding(tmp_path, [{"path": "training.seed", "values": list(range(6))}])
    root = examples.parent
    sweep = subprocess.Popen([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())",
                              "sweep", str(path), "--out", str(tmp_path / "out"), "--epochs", "3"], cwd=root,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in sweep.stderr:
        if " completed " in line:  # one trial finished: it must be kept
            break
    sweep.send_signal(signal.SIGINT)
    out, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 130, err
    assert "stopping: workers finish their step" in err
    assert re.match(r"stopped: \d+ of 6 trials finished; ", out.splitlines()[-3]) and out.splitlines()[-3].endswith(
        "run the same experiment again to resume")
    rows = (next((tmp_path / "out").rglob("trials.csv"))).read_text().splitlines()
    assert len(rows) == 7 and not any(",running," in row for row in rows)
    assert sum(",completed," in row for row in rows) >= 1 and sum(",waiting," in row for row in rows) >= 1


def test_an_out_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path, capsys):
    path = tiny_adding(tmp_path, [{"path": "training.seed", "values": [0]}])
    plain = tmp_path / "plain"
    plain.write_text("kept")
    for out, reason in [(tmp_path / ("a" * 300), "(File name too long)"),
                        (plain, f"({plain} is a file, not a folder)"),
                        (plain / "deeper", f"({plain} is a file, not a folder)")]:
        assert main(["sweep", str(path), "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
        assert f"cannot write the experiment folder here {reason}" in captured.err
        if len(str(out)) > 200:  # cut in the middle, unquoted: its start and the folder's own name stay
            assert captured.err.startswith(f"error: {str(out)[:100]}…") and "'" not in captured.err
    assert plain.read_text() == "kept"
