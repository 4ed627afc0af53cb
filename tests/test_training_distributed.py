"""Two CPU processes with gloo (DistributedDataParallel + DistributedSampler) end with the same weights as
one process with the same global batch; only rank 0 writes a run directory."""
import os
import socket

import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from engine.compiler import compile_graph
from engine.document import Document
from engine.training import Trainer, TrainingConfig
from test_training_support import adding_data, chain

CONFIG = dict(epochs=2, batch_size=32, lr=0.01, shuffle=False, seed=3, probes=["grad_norms"])


def _doc():
    graph = chain([("feature_input", {"features": 2}), ("gru", {"hidden_size": 8}), ("pooling", {"mode": "last"}),
                   ("dense", {"units": 1, "activation": "none"}), ("regression_head", {"loss": "mse"})],
                  names=["sequence", "gru", "pool", "dense", "sum"])
    return Document(graph=graph)


def _worker(rank, world, port, root, results):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    result = Trainer(_doc(), TrainingConfig(**CONFIG), run_root=root, data=adding_data(n=160)).run()
    results.put((rank, result.status, result.message, str(result.run_dir) if result.run_dir else None))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_match_one_process_with_the_same_global_batch(tmp_path):
    single = Trainer(_doc(), TrainingConfig(**CONFIG), run_root=tmp_path / "single", data=adding_data(n=160)).run()
    assert single.status == "completed"

    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = _free_port()
    procs = [ctx.Process(target=_worker, args=(r, 2, port, str(tmp_path / "ddp"), results)) for r in range(2)]
    for p in procs:
        p.start()
    outcome = sorted(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
    assert [o[1] for o in outcome] == ["completed", "completed"], outcome
    assert outcome[0][3] is not None and outcome[1][3] is None  # rank 1 writes nothing
    assert len(list((tmp_path / "ddp").rglob("metrics.jsonl"))) == 1

    one = load_file(str(single.run_dir / "checkpoints" / "last.safetensors"))
    two = load_file(os.path.join(outcome[0][3], "checkpoints", "last.safetensors"))
    assert one.keys() == two.keys()
    for name in one:
        torch.testing.assert_close(two[name], one[name], atol=1e-5, rtol=1e-4)
    torch.manual_seed(CONFIG["seed"])
    initial = compile_graph(_doc().graph).module.state_dict()
    assert (one["gru.rnn.weight_hh_l0"] - initial["gru.rnn.weight_hh_l0"]).abs().max() > 1e-3  # it trained
