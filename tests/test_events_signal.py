"""engine.events.Signal (on psygnal) keeps our interface: connect once, disconnect quietly, emit any arguments,
a slot's error as itself; the graph and the trainer announce through it."""
from __future__ import annotations

import gc

import pytest

from engine.events import Signal
from engine.graph import Graph
from engine.training import EventStream, StepMetrics, Trainer, TrainingConfig, read_events
from test_training_loop import adding_doc
from test_training_support import adding_data, one_torch_thread  # noqa: F401


def test_connect_is_idempotent_and_disconnect_of_a_stranger_is_quiet():
    signal, got = Signal(), []
    signal.connect(got.append)
    signal.connect(got.append)
    signal.emit("a")
    signal.disconnect(got.append)
    signal.disconnect(got.append)
    signal.disconnect(print)
    signal.emit("b")
    assert got == ["a"]


def test_emit_passes_any_arguments_and_a_slot_error_arrives_as_itself():
    signal, got = Signal(), []
    signal.connect(lambda *args: got.append(args))
    signal.emit()
    signal.emit(1, "params")
    assert got == [(), (1, "params")]

    def broken(*args):
        raise KeyError("no such node")
    signal.connect(broken)
    with pytest.raises(KeyError, match="no such node"):
        signal.emit()


def test_a_collected_listener_leaves_with_its_slot():
    class Listener:
        def __init__(self):
            self.seen = []

        def on(self, value):
            self.seen.append(value)
    signal, listener = Signal(), Listener()
    signal.connect(listener.on)
    signal.emit(1)
    assert listener.seen == [1] and len(signal) == 1
    del listener
    gc.collect()
    signal.emit(2)  # no error, no call into a dead object
    assert len(signal) == 0


def test_graph_events_reach_listeners_in_order():
    graph, log = Graph(), []
    graph.events.node_added.connect(lambda node: log.append(("added", node.name)))
    graph.events.node_changed.connect(lambda node, what: log.append((what, node.name)))
    graph.events.changed.connect(lambda: log.append("changed"))
    node = graph.add_node("lstm", name="rec")
    graph.set_param(node.id, "hidden_size", 8)
    assert log == [("added", "rec"), "changed", ("params", "rec"), "changed"]


def test_the_trainer_announces_every_event_it_streams(tmp_path):
    stream, heard = EventStream(), []
    trainer = Trainer(adding_doc(), TrainingConfig(epochs=1, batch_size=32, probes=[]), run_root=tmp_path,
                      events=stream, data=adding_data(n=96))
    trainer.announced.connect(heard.append)
    result = trainer.run()
    assert result.status == "completed"
    assert heard == stream.drain() and sum(isinstance(e, StepMetrics) for e in heard) == 1
    # The run's event log listens to the same signal: it holds the same events, in the same order.
    assert [type(e) for e in heard] == [type(e) for e in read_events(result.run_dir / "metrics.jsonl")]


def test_declared_signals_form_a_psygnal_group_with_our_interface():
    from psygnal import SignalGroup

    from engine.events import signal

    class Events(SignalGroup):
        node_added = signal(object)
        changed = signal()
    events, log = Events(), []
    assert isinstance(events.node_added, Signal)
    events.node_added.connect(log.append)
    events.node_added.connect(log.append)
    events.all.connect(lambda info: log.append(info.signal.name))
    events.node_added.emit("lstm")
    events.changed.emit()
    with events.changed.blocked():
        events.changed.emit()
    assert log == ["lstm", "node_added", "changed"]
