"""Batching: length buckets cut padding and still cover every sample once per epoch; a sampler's order is
kept; every example document's data fits its compiled model; a data/model mismatch names the block to fix."""
import importlib.util
from pathlib import Path

import pytest
import torch
from torch.utils.data import DistributedSampler

from engine.compiler import compile_graph
from engine.data import DataError, padding_fraction, prepare_data
from engine.document import load_document
from engine.losses import head_loss

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.json"))
NEEDS = {"names": "faker", "digits": "sklearn", "forecast": "statsmodels", "charlm": "bible"}


@pytest.fixture(scope="module")
def reverse():
    return prepare_data({"dataset": "reverse", "options": {"samples": 2000, "min_length": 1, "max_length": 40}})


def test_buckets_pad_less_than_random_batches_and_keep_every_sample(reverse):
    bucketed = reverse.loader("train", 32, shuffle=True, seed=3)
    plain = reverse.loader("train", 32, shuffle=True, seed=3)
    plain.bucketing = False
    assert bucketed.bucketing
    assert padding_fraction(bucketed) < 0.25 * padding_fraction(plain)
    seen = torch.cat([b.index for b in bucketed])
    assert sorted(seen.tolist()) == sorted(reverse.train.rows.tolist())  # a permutation of the split
    first_batches = [b.index[0].item() for b in reverse.loader("train", 32, shuffle=True, seed=4)]
    assert first_batches != [b.index[0].item() for b in bucketed]  # the seed changes the epoch order


def test_a_batch_size_past_the_data_is_one_batch_of_all_of_it(reverse):
    """A batch size of 1e18 (typed, or fuzzed) overflowed int64 in the bucket size and training died."""
    [batch] = list(reverse.loader("train", 10**18, shuffle=True, seed=0))
    assert sorted(batch.index.tolist()) == sorted(reverse.train.rows.tolist())


def test_batches_are_padded_to_their_longest_sample(reverse):
    batch = next(iter(reverse.loader("val", 16)))
    lengths = batch.lengths["source"]
    assert batch.inputs["source"].shape == (16, int(lengths.max()))
    for row, length in enumerate(lengths.tolist()):
        assert torch.all(batch.inputs["source"][row, length:] == 0)
        assert torch.all(batch.inputs["source"][row, :length] > 2)
    tl = batch.lengths["target_in"]
    assert batch.targets["target_out"].shape == batch.inputs["target_in"].shape
    assert torch.all(batch.targets["target_out"][torch.arange(tl.max()) >= tl.unsqueeze(1)] == -100)


def test_a_sampler_decides_the_order(reverse):
    sampler = DistributedSampler(reverse.train, num_replicas=2, rank=1, shuffle=True, seed=0)
    loader = reverse.loader("train", 10, shuffle=True, sampler=sampler)
    assert not loader.bucketing
    got = torch.cat([b.index for b in loader]).tolist()
    assert got == reverse.train.rows[list(iter(sampler))].tolist()
    assert len(loader) == 80  # 1600 training samples, half on this rank, 10 a batch


def test_eval_order_is_the_split_order_and_batches_move_to_a_device(reverse):
    batches = list(reverse.loader("test", 64))
    assert torch.equal(torch.cat([b.index for b in batches]), reverse.test.rows)
    moved = batches[0].to("cpu")
    assert moved.size == 64 and set(moved.inputs) == {"source", "target_in"}


def test_info_describes_lengths_vocabulary_and_balance(reverse):
    info = reverse.info
    assert info.lengths["source"]["min"] == 1 and info.lengths["source"]["max"] == 40
    assert sum(info.lengths["source"]["counts"]) == 2000
    assert info.vocab_size == {"source": 13, "target_in": 13}
    assert info.to_dict()["samples"] == {"train": 1600, "val": 200, "test": 200}
    assert reverse.meta.to_dict()["vocab"]["source"][:3] == ["<pad>", "<bos>", "<eos>"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_document_trains_on_its_data(path):
    module = NEEDS.get(path.stem)
    if module and importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    doc = load_document(path)
    model = compile_graph(doc.graph)
    data = prepare_data(doc.data, model, base_dir=path.parent)
    batch = next(iter(data.loader("train", 3, shuffle=True, seed=0)))
    assert set(batch.inputs) == {i.name for i in model.inputs} and set(batch.targets) == {h.name for h in model.heads}
    for spec in model.inputs:
        x = batch.inputs[spec.name]
        assert x.dtype == (torch.long if spec.vocab else torch.float32)
        if spec.vocab:
            assert int(x.max()) < spec.vocab
        else:
            assert x.shape[2] == spec.features
    with torch.no_grad():
        outputs = model.call(batch.inputs, batch.lengths)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for head, output in zip(model.heads, outputs):
        lengths = batch.lengths[head.time_source] if head.time_source else None
        loss = head_loss(head, output, batch.targets[head.name], lengths).loss
        assert torch.isfinite(loss)
    assert len(data.train) > len(data.val) > 0 and len(data.test) > 0


def _sentiment_model(vocab=50, units=1, mode="binary"):
    from engine.graph import Graph

    g = Graph()
    chain = [("token_input", "tokens", {"vocab_size": vocab}), ("embedding", "emb", {"vocab_size": vocab, "dim": 4}),
             ("gru", "gru", {"hidden_size": 4}), ("pooling", "pool", {"mode": "last"}),
             ("dense", "dense", {"units": units, "activation": "none"}), ("classification_head", "label", {"mode": mode})]
    nodes = [g.add_node(k, name=n, params=p) for k, n, p in chain]
    for a, b in zip(nodes, nodes[1:]):
        g.connect(a.id, a.spec.outputs[0].name, b.id, b.spec.inputs[0].name)
    return compile_graph(g)


def test_the_vocabulary_is_capped_at_the_input_block_and_labels_follow_the_head():
    data = prepare_data({"dataset": "sentiment", "options": {"max_length": 20}}, _sentiment_model(vocab=50))
    assert len(data.meta.vocab["tokens"]) == 50 and data.meta.inputs == {"tokens": "text"}
    multi = prepare_data({"dataset": "sentiment", "options": {"max_vocab": 30}}, _sentiment_model(50, 2, "multiclass"))
    assert multi.train[0]["targets"]["label"].dtype == torch.long


def test_mismatches_name_the_block_and_the_fix():
    with pytest.raises(DataError, match="input block 'tokens' has vocab_size 50: set vocab_size .* to at least 80"):
        prepare_data({"dataset": "sentiment", "options": {"max_vocab": 80}}, _sentiment_model(vocab=50))
    with pytest.raises(DataError, match="input block 'tokens' takes token ids, but field 'sequence'"):
        prepare_data({"dataset": "adding", "options": {"samples": 10}}, _sentiment_model())
    doc = load_document(EXAMPLES[0])  # adding_lstm: 2 features
    model = compile_graph(doc.graph)
    with pytest.raises(DataError, match="'window' .* has 1 features per step, but input block 'sequence' has features = 2"):
        prepare_data({"dataset": "sine", "options": {"samples": 10}}, model)
    with pytest.raises(DataError, match=r"data.inputs: the model has no input block 'x'"):
        prepare_data({"dataset": "adding", "options": {"samples": 10}, "inputs": {"x": "sequence"}}, model)
    with pytest.raises(DataError, match=r"block 'sequence' maps to 'sum', which is no input field .* \('sum' is a target"):
        prepare_data({"dataset": "adding", "options": {"samples": 10}, "inputs": {"sequence": "sum"}}, model)
