"""One schema for every setting: Param refuses hostile values with a reason (never an exception), the trainer's
settings and the datasets' options are Params, and validation names ``training.<field>`` / ``data.options.<name>``."""
import math
from dataclasses import fields

import pytest
from hypothesis import given, settings, strategies as st

from engine.blocks import CATALOG
from engine.data import DATASETS, DataError, OptionSpec, prepare_data
from engine.data.registry import MAX_SAMPLES, option_problems, options_for
from engine.specs import INT64_MAX, Param
from engine.training.config import PROBES, TRAINING_HELP, TRAINING_PARAMS, ConfigError, TrainingConfig, training_param


# ------------------------------------------------------------------------------------------------ Param
def test_a_float_param_refuses_huge_ints_nan_and_infinity_with_a_reason():
    lr = Param("lr", float, 0.001, "learning rate", min=0, min_open=True)
    assert lr.problem(10 ** 400) == "is too large: must be a finite number"
    assert lr.problem(float("nan")) == "must be a finite number"
    assert lr.problem(float("inf")) == "must be a finite number"
    assert lr.problem(-float("inf")) == "must be a finite number"
    assert lr.problem(0) == "must be greater than 0"
    assert lr.problem(5) is None and lr.problem(1e-9) is None


def test_an_int_param_refuses_what_int64_cannot_hold():
    size = Param("size", int, 1, "a size")
    assert size.problem(INT64_MAX) is None
    assert size.problem(INT64_MAX + 1) == "must be at most 9223372036854775807"
    assert size.problem(-(2 ** 63) - 1) == "must be at least -9223372036854775808"
    assert size.problem(True) == "must be a whole number"
    assert size.problem(2.0) == "must be a whole number"


def test_nullable_allows_none_and_others_name_the_type():
    assert Param("cap", int, None, "a cap", nullable=True).problem(None) is None
    assert Param("cap", int, 3, "a cap").problem(None) == "must be a whole number, not none"


def test_a_list_of_choices_and_when_as_data():
    probes = Param("probes", list, PROBES, "probes", choices=PROBES)
    assert probes.problem(["gates", "attention"]) is None and probes.problem([]) is None
    assert probes.problem(["gates", "colour"]) == ("may only hold grad_norms, gates, attention, time_grads, activations; 'colour' "
                                                   "is not one of them")
    assert probes.problem("gates") == "must be a list of text"
    assert probes.problem(["gates", "gates"]) == "must not repeat a value"
    momentum = training_param("momentum")
    assert momentum.conditions == {"optimizer": ("sgd", "rmsprop")}
    assert momentum.applies({"optimizer": "sgd"}) and not momentum.applies({"optimizer": "adam"})
    assert momentum.when_text() == "only when optimizer is sgd or rmsprop"
    assert hash(momentum) == hash(training_param("momentum"))  # plain, hashable data


def test_block_params_keep_their_behaviour():
    lstm = CATALOG["lstm"]
    assert lstm.param("hidden_size").problem(0) == "must be at least 1"
    assert lstm.param("hidden_size").problem("64") == "must be a whole number"
    assert CATALOG["dense"].param("activation").problem("tanh") is None


hostile = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 400), max_value=10 ** 400),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.floats()), max_size=5),
                    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
every_param = [p for p in TRAINING_PARAMS] + [o for spec in DATASETS.values() for o in spec.options] + [
    p for spec in CATALOG.values() for p in spec.params]


@settings(max_examples=300, deadline=None)
@given(param=st.sampled_from(every_param), value=hostile)
def test_problem_never_raises_and_what_it_accepts_fits_the_type(param, value):
    problem = param.problem(value)
    assert problem is None or isinstance(problem, str)
    if problem is None and value is not None:
        if param.type in (int, float):
            assert not isinstance(value, bool) and math.isfinite(value)
            assert param.type is float or abs(value) <= INT64_MAX
        elif param.type is list:
            assert isinstance(value, (list, str))
        else:
            assert isinstance(value, param.type)


# ------------------------------------------------------------------------------------------------ training
def test_training_params_describe_every_field_with_its_default():
    assert [p.name for p in TRAINING_PARAMS] == [f.name for f in fields(TrainingConfig)]
    defaults = TrainingConfig()
    for param in TRAINING_PARAMS:
        expected = getattr(defaults, param.name)
        assert (list(param.default) if param.type is list else param.default) == expected, param.name
        assert param.problem(expected) is None, param.name
        assert TRAINING_HELP[param.name] == param.help and param.help


@pytest.mark.parametrize("data, message", [
    ({"lr": float("nan")}, "training.lr: must be a finite number, got nan"),
    ({"lr": float("inf")}, "training.lr: must be a finite number, got inf"),
    ({"seed": 2 ** 63}, "training.seed: must be at most 9223372036854775807, got 9223372036854775808"),
    ({"momentum": 1.5}, "training.momentum: must be at most 1, got 1.5"),
    ({"monitor": "loss"}, "training.monitor: must start with val_, such as val_loss or val_accuracy, got 'loss'"),
    ({"probes": ["gates", "x"]}, "training.probes: may only hold grad_norms, gates, attention, time_grads, activations; 'x' is "
                                 "not one of them, got ['gates', 'x']"),
    ({"epochs": 10 ** 400}, "training.epochs: must be at most 9223372036854775807, got 1" + "0" * 36 + "..."),
    ({"gamma": 0}, "training.gamma: must be greater than 0, got 0"),
    ({"lr": 1e39}, "training.lr: must be at most 1e30 (the optimizer computes in 32-bit floats), got 1e+39"),
    ({"weight_decay": 1e308}, "training.weight_decay: must be at most 1e30 (the optimizer computes in 32-bit floats), "
                              "got 1e+308"),
    ({"min_lr": 1e31}, "training.min_lr: must be at most 1e30 (the optimizer computes in 32-bit floats), got 1e+31"),
])
def test_config_errors_name_the_field_and_the_value(data, message):
    with pytest.raises(ConfigError) as caught:
        TrainingConfig.from_dict(data)
    assert str(caught.value) == message and caught.value.field == next(iter(data))


def test_config_accepts_the_largest_seed_and_round_trips():
    config = TrainingConfig.from_dict({"seed": 2 ** 63 - 1, "optimizer": "sgd", "probes": []})
    assert TrainingConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError) as caught:
        TrainingConfig.from_dict({"epoch": 3})
    assert str(caught.value) == "training.epoch: is not a training setting (known: " + ", ".join(
        f.name for f in fields(TrainingConfig)) + ")"
    with pytest.raises(ConfigError, match=r"^training\.\*: the training section must map"):
        TrainingConfig.from_dict([1, 2])


@pytest.mark.parametrize("key,shown", [("lr\nx", "'lr\\nx'"), ("k" * 5000, "'" + "k" * 36 + "...")])
def test_an_unknown_training_key_is_quoted_on_one_line(key, shown):
    # The document's own key went into the message as it was: a newline split `train`'s one error line.
    with pytest.raises(ConfigError) as caught:
        TrainingConfig.from_dict({key: 1})
    assert str(caught.value).startswith(f"training.{shown}: is not a training setting (known: epochs, ")
    assert len(str(caught.value).splitlines()) == 1 and caught.value.field == key


# ------------------------------------------------------------------------------------------------ datasets
def test_every_dataset_option_is_a_typed_param_whose_default_it_accepts():
    for spec in DATASETS.values():
        for option in spec.options:
            assert isinstance(option, Param) and option.help
            assert option.problem(option.default) is None, (spec.name, option.name)
        assert options_for(spec, None) == spec.defaults()


def test_option_spec_still_builds_an_option():
    option = OptionSpec("window", 20, "rows", min=1)
    assert (option.name, option.default, option.help, option.type, option.min) == ("window", 20, "rows", int, 1)
    assert OptionSpec("path", None, "a file").nullable


def test_ten_million_generated_samples_are_refused_up_front_with_the_limit():
    assert MAX_SAMPLES == 1_000_000
    with pytest.raises(DataError, match=r"^data\.options\.samples: must be at most 1000000, got 10000000$"):
        prepare_data({"dataset": "adding", "options": {"samples": 10 ** 7}})


@pytest.mark.parametrize("dataset, options, problem", [
    ("sine", {"horizon": 0}, ("data.options.horizon", "must be at least 1, got 0")),
    ("sunspots", {"scaler": "robust"}, ("data.options.scaler", "must be one of standard, minmax, none, got 'robust'")),
    ("csv_text", {"tokenizer": "bpe"}, ("data.options.tokenizer", "must be one of word, char, got 'bpe'")),
    ("csv_text", {"max_vocab": 2}, ("data.options.max_vocab", "must be at least 3, got 2")),
    ("csv_series", {"columns": ["a", 3]}, ("data.options.columns", "3: must be text, got ['a', 3]")),
    ("copy", {"length": float("nan")}, ("data.options.length", "must be a whole number, got nan")),
    ("csv_series", {"delimiter": "ab"}, ("data.options.delimiter", "must be one character, or tab, got 'ab'")),
])
def test_option_problems_name_the_option(dataset, options, problem):
    assert option_problems(DATASETS[dataset], options) == [problem]


def test_nullable_options_and_column_text_are_accepted():
    spec = DATASETS["csv_series"]
    assert option_problems(spec, {"path": None, "columns": "x,y", "targets": ["y"], "delimiter": None}) == []
    assert [option_problems(spec, {"delimiter": d}) for d in (";", "\t", "tab", "\\t")] == [[]] * 4
    assert option_problems(DATASETS["csv_text"], {"max_vocab": None, "max_length": None}) == []


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_the_largest_allowed_rates_and_decay_step_without_an_overflow(optimizer):
    # weight_decay 1e308 (or lr 1e39 with sgd) passed validation, then torch raised "value cannot be converted to
    # type float without overflow" at the first step: an unexpected error with a traceback instead of a message.
    import torch

    from engine.training.optim import make_optimizer, make_scheduler

    for schedule in ("none", "cosine"):
        config = TrainingConfig.from_dict({"optimizer": optimizer, "lr": 1e30, "weight_decay": 1e30, "min_lr": 1e30,
                                           "schedule": schedule, "epochs": 2})
        module = torch.nn.Linear(3, 2)
        optim = make_optimizer(config, module)
        scheduler = make_scheduler(config, optim)
        for _ in range(2):
            module(torch.ones(4, 3)).sum().backward()
            optim.step()
            if scheduler is not None:
                scheduler.step()


def test_a_monitor_the_model_lacks_is_named_on_one_short_line():
    from engine.training.hooks import Monitor

    for name in ("val_" + "x" * 5000, "val_a\nb"):
        with pytest.raises(ConfigError) as caught:
            Monitor(name).value({"loss": 1.0})
        assert len(str(caught.value).splitlines()) == 1 and len(str(caught.value)) < 200
        assert str(caught.value).endswith("is not a validation metric of this model (it has val_loss)")
