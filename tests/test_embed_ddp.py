"""``torchrun --nproc_per_node 2 kgft embed``: two gloo processes train one KGE model with DDP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from kge_data import tiny_rows, write_triples
from model.kge import KgeConfig

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, root: str) -> None:
    """One rank: records the triples each step trained on, then saves what it ended with."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    from model.kge.trainer import Trainer
    from pipelines.embed import embed

    seen: dict[int, list] = {}
    train_epoch, step = Trainer.train_epoch, Trainer.step

    def recording_epoch(self, epoch):
        seen[epoch] = []
        self.epoch_now = epoch
        return train_epoch(self, epoch)

    def recording_step(self, batch, generator):
        seen[self.epoch_now].append(batch.cpu().tolist())
        return step(self, batch, generator)

    Trainer.train_epoch, Trainer.step = recording_epoch, recording_step
    cfg = KgeConfig(model="transe", dim=8, epochs=3, eval_every=3, patience=0, batch_size=8, num_negatives=4,
                    sparse=True, device="cpu", threads=1)
    result = embed(Path(root) / "tiny", out=Path(root) / "run", config=cfg, distributed=True)
    np.save(Path(root) / f"entities{rank}.npy", result.entity_embeddings)
    np.save(Path(root) / f"relations{rank}.npy", result.relation_embeddings)
    (Path(root) / f"rank{rank}.json").write_text(json.dumps({"seen": seen, "metrics": result.metrics}))


def test_two_gloo_processes_end_identical_each_on_its_own_share(tmp_path):
    import torch.multiprocessing as mp

    from kg.graph import load_triples_dir

    tiny = write_triples(tmp_path / "tiny", *tiny_rows())
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)

    # Identical parameters: rank 0's saved run and rank 1's own model, after 3 epochs of sparse
    # (lazy Adam) updates on different triples; only all-reduced gradients keep them equal.
    run_entities = np.load(tmp_path / "run" / "entity_embeddings.npy")
    np.testing.assert_allclose(np.load(tmp_path / "entities1.npy"), run_entities, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "relations1.npy"), np.load(tmp_path / "relations0.npy"),
                               rtol=0, atol=1e-6)
    graph = load_triples_dir(tiny)
    torch.manual_seed(0)  # build_model seeds with cfg.seed = 0: the initial vectors
    from model.kge import build_model

    init = build_model(KgeConfig(model="transe", dim=8, sparse=True), graph.num_entities, graph.num_relations)
    assert not np.allclose(init.entity_matrix().detach().numpy(), run_entities, atol=1e-3)  # it trained

    # Each rank trained on its own half of every epoch's triples: disjoint, together all of them.
    train = sorted(map(tuple, graph.train.tolist()))
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for epoch in ("1", "2", "3"):
        shares = [sorted(tuple(t) for batch in rank["seen"][epoch] for t in batch) for rank in ranks]
        assert len(shares[0]) == len(shares[1]) == len(train) // 2
        assert not set(shares[0]) & set(shares[1])
        assert sorted(shares[0] + shares[1]) == train
        assert len(ranks[0]["seen"][epoch]) == len(ranks[1]["seen"][epoch])  # same number of steps
    first, second = (set(tuple(t) for b in ranks[0]["seen"][e] for t in b) for e in ("1", "2"))
    assert first != second  # the shares are dealt anew each epoch

    # Only rank 0 evaluated and wrote the run.
    assert "mrr" in ranks[0]["metrics"] and "mrr" not in ranks[1]["metrics"]
    assert "only rank 0" in ranks[1]["metrics"]["note"]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["world_size"] == 2 and config["sparse"] is True


def test_torchrun_two_processes_reach_the_mrr_of_one(mirror, tmp_path):
    """The user's command: one process with batch 2B vs ``torchrun`` with 2 x B reach the same test MRR."""
    from click.testing import CliRunner

    from cli import cli

    umls = mirror / "kge-small" / "umls"
    common = ["--triples", str(umls), "--model", "distmult", "--dim", "64", "--epochs", "20", "--loss", "1vsall",
              "--lr", "0.01", "--eval-every", "20", "--device", "cpu", "--threads", "1", "-q"]
    one = CliRunner().invoke(cli, ["embed", *common, "--batch-size", "512", "--out", str(tmp_path / "one")])
    assert one.exit_code == 0, one.output
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(_free_port()),
           str(Path(sys.executable).with_name("kgft")), "embed", *common, "--batch-size", "256",
           "--out", str(tmp_path / "two")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("test (filtered") == 1  # rank 0 alone reports
    m1 = json.loads((tmp_path / "one" / "metrics.json").read_text())
    m2 = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert json.loads((tmp_path / "two" / "config.json").read_text())["world_size"] == 2
    assert m1["mrr"] > 0.5 and m2["mrr"] > 0.5  # random ranking of 135 entities: about 0.04
    # 1-vs-all has no sampled negatives and rank r takes rows r, r+2, ... of the shuffled triples, so
    # both runs average the gradients of the same 512 triples per step: equal up to rounding.
    assert abs(m1["mrr"] - m2["mrr"]) < 0.02, (m1["mrr"], m2["mrr"])


def test_leaving_the_group_collects_wrappers_left_in_reference_cycles(tmp_path):
    """A DDP wrapper kept alive by a reference cycle (as a trainer keeps its own) is destroyed before the
    group is: one destroyed at interpreter exit can abort the process from Gloo's threads."""
    import gc
    import weakref

    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from model.train.distributed import shutdown_distributed

    dist.init_process_group("gloo", init_method=(tmp_path / "store").as_uri(), rank=0, world_size=1)
    gc.disable()  # only shutdown_distributed may collect the cycle
    try:
        holder: dict = {"wrapper": DistributedDataParallel(torch.nn.Linear(2, 2))}
        holder["self"] = holder
        wrapper = weakref.ref(holder["wrapper"])
        del holder
        assert wrapper() is not None
        shutdown_distributed()
        assert wrapper() is None and not dist.is_initialized()
    finally:
        gc.enable()
        if dist.is_initialized():
            dist.destroy_process_group()
