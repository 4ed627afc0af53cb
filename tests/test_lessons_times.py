"""The lessons table: every example it names exists, every bundled example says how long it trains (measured), and
the times read the way the start page shows them."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from gui.lessons import LESSONS, SEE, SWEEP_CPU, TRAIN_CPU, cpu_time, duration_text, train_seconds

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BUNDLED = {p.stem for p in EXAMPLES.glob("*.json")}


def test_every_named_example_exists_and_every_example_has_a_measured_time():
    named = {name for _, _, names in LESSONS for name in names}
    assert named <= BUNDLED, f"lessons name missing examples: {named - BUNDLED}"
    assert set(SEE) <= BUNDLED and set(TRAIN_CPU) | set(SWEEP_CPU) <= BUNDLED
    assert not set(TRAIN_CPU) & set(SWEEP_CPU)
    untimed = BUNDLED - set(TRAIN_CPU) - set(SWEEP_CPU)
    assert not untimed, f"examples without a measured training time: {sorted(untimed)}"
    for name, (first, epoch, epochs) in TRAIN_CPU.items():
        assert 0 < epoch <= first and epochs >= 1, name  # the first run holds one whole epoch and the rest


def test_training_time_is_the_first_run_plus_the_remaining_epochs():
    first, epoch, epochs = TRAIN_CPU["adding_lstm"]
    assert train_seconds("adding_lstm") == first + (epochs - 1) * epoch
    name = next(iter(SWEEP_CPU))
    assert train_seconds(name) == SWEEP_CPU[name] / 2  # a sweep runs on two workers
    assert cpu_time(name).startswith("the sweep takes about ") and cpu_time(name).endswith(" on 2 CPU cores")
    assert cpu_time("adding_lstm").startswith("trains in about ")
    assert train_seconds("no_such_example") is None and cpu_time("no_such_example") is None


def test_durations_read_like_a_person_says_them():
    assert duration_text(3) == "about 5 s"
    assert duration_text(42) == "about 40 s"
    assert duration_text(100) == "about 2 min"
    assert duration_text(30 * 60) == "about 30 min"
    assert duration_text(2.5 * 3600) == "about 2.5 h"


@settings(max_examples=200, deadline=None)
@given(a=st.floats(0, 1e6), b=st.floats(0, 1e6))
def test_a_longer_run_never_reads_shorter(a, b):
    def value(text):
        number, unit = text.split()[1:3]
        return float(number) * {"s": 1, "min": 60, "h": 3600}[unit]

    low, high = sorted((a, b))
    assert value(duration_text(low)) <= value(duration_text(high))
    assert abs(value(duration_text(high)) - high) <= max(5, 0.5 * high)  # rounded, never wrong by more
