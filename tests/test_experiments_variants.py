"""Variants: a recurrent block's kind swapped in place (wiring, name and shared parameters kept), every combination
analysed before training, impossible ones skipped with the reason, and bad input refused with one line."""
import json

import pytest

from engine.document import load_document, loads
from engine.experiments import (ExperimentError, apply_values, experiment_from_data, plan_experiment, swap_kind,
                                variable_param, variable_paths)
from engine.settings import get_setting
from test_experiments_support import EXAMPLES


def spec(variables, strategy="grid", **more):
    return experiment_from_data({"strategy": strategy, "variables": variables, **more})


def test_a_kind_swap_keeps_id_name_position_wiring_and_shared_parameters():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    before = doc.graph.by_name("rnn")
    edges = sorted((e.src, e.src_port, e.dst, e.dst_port) for e in doc.graph.edges)
    swap_kind(doc, "rnn", "gru")
    after = doc.graph.by_name("rnn")
    assert (after.kind, after.id, after.pos) == ("gru", before.id, before.pos)
    assert after.params == {"hidden_size": 64, "layers": 1, "dropout": 0.0, "init": "default",
                            "weight_drop": 0.0}  # nonlinearity is the RNN's own
    assert sorted((e.src, e.src_port, e.dst, e.dst_port) for e in doc.graph.edges) == edges


def test_apply_values_changes_a_copy_and_leaves_the_document_alone():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    text = doc.dumps()
    variant = apply_values(doc, {"data.options.length": 25, "rnn.kind": "lstm", "rnn.hidden_size": 16,
                                 "training.lr": 0.01})
    assert doc.dumps() == text
    assert variant.graph.by_name("rnn").kind == "lstm" and get_setting(variant, "rnn.hidden_size") == 16
    assert get_setting(variant, "data.options.length") == 25 and variant.training["lr"] == 0.01
    assert variant.experiment is None and variant.path == doc.path


def test_the_grid_is_every_combination_in_order():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    plan = plan_experiment(doc, spec([{"path": "rnn.kind", "values": ["rnn", "lstm"]},
                                      {"path": "data.options.length", "values": [10, 20, 30]}], repeats=2))
    assert [v.label for v in plan.variants] == [f"kind={k}, length={n}" for k in ("rnn", "lstm") for n in (10, 20, 30)]
    assert (plan.trials, plan.runs, plan.skipped) == (6, 12, [])


def test_impossible_combinations_are_listed_and_skipped():
    doc = load_document(EXAMPLES / "seq2seq.json")  # the decoder starts from the LSTM encoder's state
    plan = plan_experiment(doc, spec([{"path": "encoder.kind", "values": ["lstm", "gru"]},
                                      {"path": "decoder.kind", "values": ["lstm", "gru"]}]))
    assert [v.label for v in plan.variants] == ["encoder.kind=lstm, decoder.kind=lstm",
                                                "encoder.kind=gru, decoder.kind=gru"]
    assert [label for _, label, _ in plan.skipped] == ["encoder.kind=lstm, decoder.kind=gru",
                                                      "encoder.kind=gru, decoder.kind=lstm"]
    assert plan.skipped[0][2] == ("GRU 'decoder': GRU 'decoder' is given LSTM state (h, c) [1, B, 128] on "
                                  "'initial_state' but needs GRU state [1, B, 128]: give both blocks the same cell "
                                  "type, hidden size, layers and directions")


@pytest.mark.parametrize("variables, message", [
    ([{"path": "lstm.hidden_size", "values": [8]}],
     "lstm.hidden_size: there is no block called 'lstm' (blocks: sequence, rnn, last_step, dense, sum; "
     "sections: training, data)"),
    ([{"path": "training.speed", "values": [1]}], "training.speed: is not a training setting (known: epochs, "),
    ([{"path": "rnn.hidden_size", "values": [8, 0]}], "rnn.hidden_size: must be at least 1, got 0"),
    ([{"path": "training.lr", "values": [0.1, -1.0]}], "training.lr: must be greater than 0, got -1.0"),
    ([{"path": "rnn.kind", "values": ["rnn", "dense"]}],
     "rnn.kind: 'dense' is not a recurrent kind (kinds: rnn, gru, lstm, bidirectional)"),
    ([{"path": "dense.kind", "values": ["rnn"]}],
     "dense.kind: Dense 'dense' is not a recurrent block: only rnn, gru, lstm, bidirectional blocks can swap "
     "their kind"),
])
def test_bad_variables_are_refused_in_one_line(variables, message):
    doc = load_document(EXAMPLES / "adding_rnn.json")
    with pytest.raises(ExperimentError) as err:
        plan_experiment(doc, spec(variables))
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_a_kind_that_cannot_take_the_blocks_inputs_is_refused():
    doc = load_document(EXAMPLES / "seq2seq.json")
    with pytest.raises(ExperimentError) as err:
        plan_experiment(doc, spec([{"path": "decoder.kind", "values": ["lstm", "gru"]}]))
    assert str(err.value).startswith("decoder.kind: 'gru' is impossible in every combination: GRU 'decoder': GRU "
                                     "'decoder' is given LSTM state (h, c) [1, B, 128] on 'initial_state'")


def test_a_range_outside_the_parameter_is_refused():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    with pytest.raises(ExperimentError, match=r"^rnn.dropout: must be at most 0.95, got 2.0$"):
        plan_experiment(doc, spec([{"path": "rnn.dropout", "low": 0.0, "high": 2.0}], "random"))
    with pytest.raises(ExperimentError, match=r"^rnn.nonlinearity: is str: give a list of values, not a range$"):
        plan_experiment(doc, spec([{"path": "rnn.nonlinearity", "low": 0, "high": 1}], "tpe"))


def test_more_than_500_trials_need_yes():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    grid = [{"path": "rnn.hidden_size", "values": list(range(1, 30))},
            {"path": "training.seed", "values": list(range(20))}]
    big = spec(grid)
    with pytest.raises(ExperimentError) as err:
        plan_experiment(doc, big)
    assert str(err.value) == ("experiment: the grid has 580 combinations, more than 500: narrow it, set a budget, "
                              "or pass --yes to run them all")
    assert plan_experiment(doc, big, allow_many=True).trials == 580
    with pytest.raises(ExperimentError, match="^experiment: 600 trials are more than 500"):
        plan_experiment(doc, spec([{"path": "training.lr", "low": 0.001, "high": 0.1}], "random", budget=600))
    # The advice holds: with a budget the grid runs that many of its combinations, no --yes needed.
    assert plan_experiment(doc, spec(grid, budget=40)).trials == 40
    # Each repeat is a run of its own: they count too, and an absurd number is refused even with --yes.
    with pytest.raises(ExperimentError, match=r"^experiment: 40 trials of 20 repeats \(800 runs\) are more than 500: "
                                              "lower the budget or the repeats, or pass --yes$"):
        plan_experiment(doc, spec(grid, budget=40, repeats=20))
    with pytest.raises(ExperimentError, match=r"more than any sweep can plan"):
        plan_experiment(doc, spec([{"path": "training.seed", "values": [0, 1]}], repeats=10**18), allow_many=True)


def test_search_space_ranges_take_whole_numbers_for_int_settings():
    doc = loads((EXAMPLES / "adding_rnn.json").read_text())
    plan = plan_experiment(doc, spec([{"path": "rnn.hidden_size", "low": 8, "high": 32}], "tpe", budget=4))
    assert [v.values for v in plan.variants] == [{"rnn.hidden_size": 8}, {"rnn.hidden_size": 32}]
    assert plan.trials == 4
    with pytest.raises(ExperimentError, match="whole ends"):
        plan_experiment(doc, spec([{"path": "rnn.hidden_size", "low": 8.5, "high": 32}], "tpe"))
    assert json.loads(doc.dumps())["graph"]["nodes"][1]["params"]["hidden_size"] == 64


def test_variable_paths_offer_settings_and_recurrent_kinds():
    doc = load_document(EXAMPLES / "seq2seq.json")
    paths = variable_paths(doc)
    assert "training.lr" in paths and "encoder.hidden_size" in paths
    assert [p for p in paths if p.endswith(".kind")] == ["encoder.kind", "decoder.kind"]
    assert variable_param(doc, "decoder.kind").choices == ("rnn", "gru", "lstm", "bidirectional")
    assert variable_param(doc, "training.lr").name == "lr"
    with pytest.raises(ExperimentError, match=r"^dense.kind: names no recurrent block"):
        variable_param(doc, "dense.kind")
    with pytest.raises(ExperimentError) as err:  # a path is the document's text: one line whatever it holds
        variable_param(doc, "dense\n.kind")
    assert str(err.value) == "'dense\\n.kind': names no recurrent block (only their kind can be varied)"


def _long_lists(count: int, length: int) -> list[dict]:
    """``count`` settings of ``length`` distinct valid values each: a grid of length ** count combinations."""
    paths = ["training.lr", "training.momentum", "training.weight_decay", "training.gamma", "training.clip_value",
             "training.teacher_forcing"]
    return [{"path": path, "values": [round(0.1 + i * 1e-4, 6) for i in range(length)]} for path in paths[:count]]


@pytest.mark.parametrize("allow_many", [False, True])
def test_a_grid_of_billions_is_refused_before_any_combination_is_made(allow_many):
    # 60 ** 6 combinations: list(itertools.product(...)) took all the memory (MemoryError, or the OOM killer).
    doc = load_document(EXAMPLES / "adding_rnn.json")
    with pytest.raises(ExperimentError) as err:
        plan_experiment(doc, spec(_long_lists(6, 60)), allow_many=allow_many)
    expected = ("experiment: the grid has 46,656,000,000 combinations, more than any sweep can plan (10,000, even "
                "with --yes): narrow the grid or lower the budget")
    assert str(err.value) == expected


def test_even_yes_refuses_a_budget_no_sweep_could_queue():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    search = spec([{"path": "training.lr", "low": 0.001, "high": 0.1}], "random", budget=2**62)
    with pytest.raises(ExperimentError, match=r"^experiment: 4,611,686,018,427,387,904 trials are more than any "
                                              r"sweep can plan \(10,000, even with --yes\)"):
        plan_experiment(doc, search, allow_many=True)


@pytest.mark.parametrize("strategy", ["random", "tpe"])
def test_a_search_checks_its_first_corners_and_leaves_later_values_to_their_trials(strategy):
    # 300 listed values: only the first 256 combinations are checked, and the later values used to end the plan
    # with StopIteration (looking for the reason they were skipped, in combinations never made).
    doc = load_document(EXAMPLES / "adding_rnn.json")
    plan = plan_experiment(doc, spec(_long_lists(6, 60), strategy, budget=10))
    assert len(plan.variants) == 256 and plan.trials == 10
    plan = plan_experiment(doc, spec([{"path": "training.seed", "values": list(range(300))}], strategy))
    assert len(plan.variants) == 256 and plan.trials == 20


@pytest.mark.parametrize("variable, message", [
    ({"path": "rnn.hidden_size", "low": 8, "high": 32, "step": 0.5},
     "rnn.hidden_size: is a whole number: the range's step must be a whole number of at least 1, got 0.5"),
    ({"path": "rnn.hidden_size", "low": 8, "high": 32, "step": 2.5},
     "rnn.hidden_size: is a whole number: the range's step must be a whole number of at least 1, got 2.5"),
    ({"path": "rnn.hidden_size", "low": 8, "high": 32, "step": 30},
     "rnn.hidden_size: the range's step must be above 0 and no wider than the range (8 to 32), got 30"),
    ({"path": "training.lr", "low": 0.01, "high": 0.1, "step": 0.5},
     "training.lr: the range's step must be above 0 and no wider than the range (0.01 to 0.1), got 0.5"),
])
def test_a_range_step_that_does_not_fit_the_setting_is_refused_before_anything_trains(variable, message):
    doc = load_document(EXAMPLES / "adding_rnn.json")
    with pytest.raises(ExperimentError) as err:
        plan_experiment(doc, spec([variable], "random", budget=2))
    assert str(err.value) == message
    fine = plan_experiment(doc, spec([{"path": "rnn.hidden_size", "low": 8, "high": 32, "step": 8.0}], "random",
                                     budget=2))
    assert fine.trials == 2
    exact = {"path": "rnn.dropout", "low": 0.1, "high": 0.3, "step": 0.2}  # 0.3 - 0.1 is a hair below 0.2
    assert plan_experiment(doc, spec([exact], "random", budget=2)).trials == 2
