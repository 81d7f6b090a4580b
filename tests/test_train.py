"""Training loop, resume, DDP and the train/evaluate CLI."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
import torch

from cli import cli
from core.errors import ModelError
from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.knowledge import KnowledgeAugmentedClassifier
from model.train import EncodedSplit, Trainer, TrainSettings
from toy_data import POLARITY_ONTOLOGY, import_store, write_sentiment_csv

CFG = ClassifierConfig(vocab_size=40, num_classes=2, embedding_dim=8, hidden=8, dropout=0.3)

# Tiny models train fastest (and steadiest on shared CI cores) with one thread.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _split(n, seed):
    g = random.Random(seed)
    ids, labels = [], []
    for i in range(n):
        y = i % 2
        seq = [g.randrange(4, 38) for _ in range(g.randint(3, 12))]
        seq.insert(g.randrange(len(seq) + 1), 2 + y)
        ids.append(seq)
        labels.append(y)
    return EncodedSplit(ids, labels)


TRAIN, VALID = _split(96, 1), _split(32, 2)
FP = {"vocab_hash": "v1", "model_config": CFG.to_dict(), "knowledge": "none"}


def _trainer(out, epochs=3, fingerprints=FP, **hooks):
    torch.manual_seed(0)
    model = KnowledgeAugmentedClassifier(BiLSTMClassifier(CFG))
    settings = TrainSettings(epochs=epochs, batch_size=16, lr=5e-3, patience=5, seed=0)
    return Trainer(model, TRAIN, VALID, ["neg", "pos"], settings, out, torch.device("cpu"), fingerprints, **hooks)


def _interrupt(at_epoch=None, at_step=None):
    def epoch_hook(epoch, record):
        if epoch == at_epoch:
            raise KeyboardInterrupt

    def step_hook(epoch, step):
        if (epoch, step) == at_step:
            raise KeyboardInterrupt

    return {"on_epoch_end": epoch_hook if at_epoch else None, "on_step_end": step_hook if at_step else None}


@pytest.mark.parametrize("where", [{"at_epoch": 1}, {"at_step": (2, 3)}], ids=["after-epoch-1", "mid-epoch-2"])
def test_resume_reaches_the_same_final_metrics(tmp_path, where):
    full = _trainer(tmp_path / "full")
    full_result = full.fit()
    full_state = full.model.state_dict()

    broken = _trainer(tmp_path / "broken", **_interrupt(**where))
    with pytest.raises(KeyboardInterrupt):
        broken.fit()
    assert (tmp_path / "broken" / "checkpoint.pt").is_file()
    resumed = _trainer(tmp_path / "broken")
    resumed_result = resumed.fit(resume=True)
    assert resumed_result.best_epoch == full_result.best_epoch
    assert [h["valid_accuracy"] for h in resumed_result.history] == [h["valid_accuracy"] for h in full_result.history]
    for name, tensor in resumed.model.state_dict().items():
        torch.testing.assert_close(tensor, full_state[name], rtol=0, atol=0)
    assert resumed.evaluate(VALID) == full.evaluate(VALID)


def test_checkpoint_of_another_vocabulary_or_model_is_refused_untouched(tmp_path):
    _trainer(tmp_path, epochs=1).fit()
    ckpt = tmp_path / "checkpoint.pt"
    before = ckpt.read_bytes()
    with pytest.raises(ModelError, match="another vocabulary"):
        _trainer(tmp_path, fingerprints={**FP, "vocab_hash": "v2"}).fit(resume=True)
    other_model = {**FP, "model_config": {**CFG.to_dict(), "hidden": 16}}
    with pytest.raises(ModelError, match="another model.*hidden"):
        _trainer(tmp_path, fingerprints=other_model).fit(resume=True)
    assert ckpt.read_bytes() == before


def _ddp_worker(rank, world, port, out):
    import os

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    from model.train import init_distributed, shutdown_distributed

    ctx = init_distributed(torch.device("cpu"))
    torch.manual_seed(0)
    model = KnowledgeAugmentedClassifier(BiLSTMClassifier(CFG))
    settings = TrainSettings(epochs=2, batch_size=8, lr=5e-3, seed=0)
    trainer = Trainer(model, TRAIN, VALID, ["neg", "pos"], settings, Path(out), torch.device("cpu"), FP, ctx)
    result = trainer.fit()
    torch.save({k: v.clone() for k, v in model.state_dict().items()}, Path(out) / f"rank{rank}.pt")
    (Path(out) / f"rank{rank}.json").write_text(json.dumps(result.to_dict()))
    shutdown_distributed()


@pytest.mark.slow
def test_ddp_gloo_two_processes(tmp_path):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for name in a:  # DDP keeps the replicas identical
        torch.testing.assert_close(a[name], b[name])
    fresh = KnowledgeAugmentedClassifier(BiLSTMClassifier(CFG)).state_dict()
    assert any(not torch.equal(a[n], fresh[n]) for n in a)
    history = json.loads((tmp_path / "rank0.json").read_text())["history"]
    assert len(history) == 2 and history[0]["epoch"] == 1
    # Each rank saw its own half of the data per epoch (48 examples in 6 steps of 8): the two
    # halves batch_order deals are disjoint and cover the data, and the tokens each rank
    # reports having trained on (tokens/s x seconds) are exactly those of its half.
    from model.train.batching import batch_order

    for epoch in (1, 2):
        halves = []
        for rank in (0, 1):
            batches = batch_order(len(TRAIN), 8, 0, epoch, rank=rank, world_size=2)
            assert len(batches) == 6 and all(len(b) == 8 for b in batches)
            halves.append({i for b in batches for i in b})
            record = json.loads((tmp_path / f"rank{rank}.json").read_text())["history"][epoch - 1]
            tokens = round(record["tokens_per_s"] * record["seconds"])
            assert tokens == sum(len(TRAIN.ids[i]) for i in halves[-1]) < TRAIN.num_tokens()
        assert halves[0].isdisjoint(halves[1]) and halves[0] | halves[1] == set(range(len(TRAIN)))
    assert (tmp_path / "checkpoint.pt").is_file() and not (tmp_path / "rank1-checkpoint.pt").exists()


# ------------------------------------------------------------------ CLI, end to end
ONTOLOGY = POLARITY_ONTOLOGY + """ex:waste rdfs:label "waste of time" ; ex:polarity ex:Negative .
ex:masterpiece rdfs:label "a real masterpiece" ; ex:polarity ex:Positive .
"""
FAST = ["--epochs", "2", "--embedding-dim", "8", "--hidden", "8", "--batch-size", "16", "--device", "cpu", "-q"]


CUES = {"pos": ["good", "great", "fun", "a real masterpiece"], "neg": ["bad", "awful", "boring", "a waste of time"]}


def _write_csv(path, n=120, labels=("neg", "pos"), empty_row=None):
    return write_sentiment_csv(path, CUES, n, labels=labels, empty_row=empty_row)


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    return import_store(tmp_path_factory.mktemp("onto"), ONTOLOGY)


@pytest.mark.slow
def test_kgft_train_and_evaluate_end_to_end(runner, tmp_path, tiny_store):
    data = _write_csv(tmp_path / "reviews.csv")
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(tiny_store), "--out", str(out),
                              "--seeds", "2", "--reg-weight", "0.2", *FAST])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"knowledge run in {out}: accuracy")
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"accuracy", "macro_f1", "accuracy_std", "per_class", "confusion_matrix", "per_seed"} <= set(metrics)
    assert len(metrics["per_seed"]) == 2 and set(metrics["per_class"]) == {"neg", "pos"}
    pooled = metrics["per_class"]["neg"]["support"] + metrics["per_class"]["pos"]["support"]
    seed0 = json.loads((out / "seed-0" / "metrics.json").read_text())["test"]
    assert sum(map(sum, metrics["confusion_matrix"])) == pooled == 2 * seed0["n"]  # pooled over 2 seeds
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == "knowledge" and config["kgft_version"] and config["wall_time_s"] > 0
    assert config["knowledge"]["embedded_here"] and config["knowledge"]["store_dir"].endswith("store")
    coverage = json.loads((out / "coverage.json").read_text())
    assert coverage["document_share"] > 0.9 and coverage["top_entities"]
    vocab = json.loads((out / "vocab.json").read_text())["itos"]
    assert "<ent:http://example.org/waste>" in vocab and "<ent:http://example.org/masterpiece>" in vocab
    for name in ("seed-0/checkpoint.pt", "seed-0/best.pt", "seed-1/curves.png", "confusion.png", "linker.json"):
        assert (out / name).is_file(), name
    # evaluate reloads the best models with the run's own linker and vocabulary
    res = runner.invoke(cli, ["evaluate", str(out), "--json", "-q"])
    assert res.exit_code == 0, res.output
    again = json.loads(res.output)
    assert again["accuracy"] == pytest.approx(metrics["accuracy"])
    # baseline and shuffled control through the same command
    for flags, kind in ((["--baseline"], "baseline"), (["--knowledge-control", "shuffled"], "shuffled")):
        res = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(out / "knowledge"),
                                  "--out", str(tmp_path / kind), *flags, *FAST])
        assert res.exit_code == 0, res.output
        assert json.loads((tmp_path / kind / "config.json").read_text())["kind"] == kind
    assert not (tmp_path / "baseline" / "linker.json").exists()


def test_config_file_and_cli_overrides(runner, tmp_path):
    from pipelines.train_config import resolve_config

    cfg = tmp_path / "c.toml"
    cfg.write_text('dataset = "x.csv"\nepochs = 7\nhidden = 32\n')
    config = resolve_config(cfg, {"epochs": 2, "hidden": None})
    assert (config.data.dataset, config.optim.epochs, config.model.hidden) == ("x.csv", 2, 32)
    cfg.write_text('dataset = "x.csv"\nepoch = 7\n')
    res = runner.invoke(cli, ["train", "--config", str(cfg), "--out", str(tmp_path / "r")])
    assert res.exit_code == 1
    assert "unknown config key(s): epoch" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("case, message", [
    ("one-class", "one class"),
    ("empty-text", "empty"),
    ("unseen-test-label", "test"),
])
def test_bad_datasets_give_one_line_errors(runner, tmp_path, case, message):
    if case == "one-class":
        data = _write_csv(tmp_path / "d.csv", labels=("pos",))
    elif case == "empty-text":
        data = _write_csv(tmp_path / "d.csv", empty_row=5)
    else:
        data = tmp_path / "d.csv"
        rows = [["good movie", "pos", "train"], ["bad movie", "neg", "train"]] * 10 + [["odd", "meh", "test"]]
        with open(data, "w", newline="") as handle:
            csv.writer(handle).writerows([["text", "label", "split"], *rows])
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(tmp_path / "run"), *FAST])
    assert res.exit_code == 1, res.output
    assert message in res.output.lower() and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_existing_run_and_mismatched_resume_are_refused(runner, tmp_path):
    data = _write_csv(tmp_path / "d.csv", n=60)
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), "--epochs", "1", *FAST[2:]])
    assert res.exit_code == 0, res.output
    snapshot = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), *FAST])
    assert res.exit_code == 1 and "already holds a training run" in res.output
    # the data changed under the run: the rebuilt vocabulary differs from the saved one
    _write_csv(data, n=60, labels=("neg", "pos"))
    data.write_text(data.read_text().replace("movie", "picture"))
    res = runner.invoke(cli, ["train", "--out", str(out), "--resume", "-q"])
    assert res.exit_code == 1 and "vocabulary" in res.output, res.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot


def test_pooling_and_class_weight_options(runner, tmp_path):
    data = _write_csv(tmp_path / "d.csv")
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), "--baseline", "--pooling", "max",
                              "--class-weight", "balanced", *FAST])
    assert res.exit_code == 0, res.output
    config = json.loads((out / "config.json").read_text())
    assert (config["train"]["model"]["pooling"], config["train"]["optim"]["class_weight"]) == ("max", "balanced")
    res = runner.invoke(cli, ["evaluate", str(out), "--json"])  # the saved model rebuilds with max pooling
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(tmp_path / "bad"), "--pooling", "attention"])
    assert res.exit_code == 2 and "attention" in res.output


def test_an_nb_weighted_ngram_head_trains_saves_its_ratios_and_rebuilds(runner, tmp_path):
    data = _write_csv(tmp_path / "d.csv")
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), "--baseline",
                              "--ngram-weighting", "nb", *FAST])
    assert res.exit_code == 0, res.output
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["model"]["ngram_weighting"] == "nb"
    metrics = json.loads((out / "seed-0" / "metrics.json").read_text())
    assert metrics["fit"]["wide"]["features"] > 0
    ratio = torch.load(out / "seed-0" / "best.pt", weights_only=True)["classifier"]["ngram_head.ratio"]
    assert ratio.shape[1] == 2 and not torch.all(ratio == 1)
    res = runner.invoke(cli, ["evaluate", str(out), "--json", "-q"])  # the saved head rebuilds with its ratios
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(tmp_path / "bad"),
                              "--ngram-weighting", "bm25"])
    assert res.exit_code == 2 and "bm25" in res.output


def test_resume_without_a_checkpoint_seeds_like_a_fresh_run(tmp_path):
    """quickstart trains with resume=True: with nothing to restore it must seed exactly as `kgft train` does."""
    import torch

    from pipelines.train import train
    from pipelines.train_config import TrainConfig

    data = _write_csv(tmp_path / "reviews.csv")
    config = TrainConfig().replace(dataset=str(data), epochs=2, embedding_dim=8, hidden=8, batch_size=16,
                                   device="cpu", dropout=0.3)
    fresh = train(config, tmp_path / "fresh", resume=False)
    torch.manual_seed(12345)  # whatever the caller's RNG state was
    resumed = train(config, tmp_path / "resumed", resume=True)
    assert resumed.seeds[0].fit["history"][-1]["loss"] == fresh.seeds[0].fit["history"][-1]["loss"]
    a = torch.load(tmp_path / "fresh" / "seed-0" / "best.pt", weights_only=True)["classifier"]
    b = torch.load(tmp_path / "resumed" / "seed-0" / "best.pt", weights_only=True)["classifier"]
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("option, value, message", [
    ("--lr", "-1", "lr must be"), ("--lr", "nan", "lr must be"), ("--lr", "inf", "lr must be"),
    ("--threads", "0", "threads must be at least 1"), ("--embedding-dropout", "1.5", "model.embedding_dropout must be"),
    ("--vote", "-2", "channel.vote must be"), ("--max-entity-share", "0", "max_entity_share must be"),
])
def test_numeric_options_are_checked_before_anything_is_written(runner, tmp_path, option, value, message):
    data = _write_csv(tmp_path / "reviews.csv")
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), option, value, *FAST])
    assert res.exit_code != 0 and message in res.output and len(res.output.strip().splitlines()) == 1
    assert not out.exists()


def test_text_and_label_columns_from_the_command_line(runner, tmp_path):
    import csv as csv_module

    src = _write_csv(tmp_path / "reviews.csv")
    rows = list(csv_module.DictReader(open(src)))
    data = tmp_path / "topics.csv"
    with open(data, "w", newline="") as handle:
        w = csv_module.writer(handle)
        w.writerow(["body", "topic"])
        w.writerows((r["text"], r["label"]) for r in rows)
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(tmp_path / "bad"), *FAST])
    assert res.exit_code != 0 and "no column 'text'" in res.output and "--text-column" in res.output
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--text-column", "body", "--label-column", "topic",
                              "--out", str(tmp_path / "run"), *FAST])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "run" / "config.json").read_text())["labels"] == ["neg", "pos"]


def test_a_semicolon_separated_csv_is_named_as_such(runner, tmp_path):
    data = tmp_path / "reviews.csv"
    data.write_text("text;label\ngood;pos\nbad;neg\n", encoding="utf-8")
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(tmp_path / "run"), *FAST])
    assert res.exit_code == 1
    assert res.output.strip().splitlines()[-1] == (
        f"Error: {data}: no column 'text' (columns: text;label) (hint: the header looks semicolon-separated: "
        "kgft reads .csv files as comma-separated and .tsv files as tab-separated, so save the file that way "
        "or choose the column with --text-column)")
