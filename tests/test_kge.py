"""KGE: graph vocabularies, filtered ranks known by hand, training, resume, CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from cli import cli
from core.errors import ConfigError, DataError
from kg.graph import graph_from_named_triples, graph_from_store, load_triples_dir
from kge_data import tiny_rows, write_triples
from model.kge import FilterIndex, KgeConfig, build_model, evaluate, filtered_ranks

# ----------------------------------------------------------------- helpers


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    train, valid, test = tiny_rows()
    return write_triples(tmp_path / "tiny", train, valid, test)


class FixedScores(torch.nn.Module):
    """A 'model' whose all-entity scores are given tables (to check ranks by hand)."""

    def __init__(self, tail_table, head_table) -> None:
        super().__init__()
        self.tail_table = torch.tensor(tail_table)  # [head] -> scores of every tail
        self.head_table = torch.tensor(head_table)  # [tail] -> scores of every head
        self.num_nodes = self.tail_table.shape[1]

    def begin_step(self):
        pass

    def entities(self, idx=None):
        ids = torch.arange(self.num_nodes).unsqueeze(1).float()
        return ids if idx is None else ids[idx]

    def relations(self, idx):
        return idx.unsqueeze(1).float()

    def score_tails(self, h, r, ents):
        return self.tail_table[h[:, 0].long()].clone()

    def score_heads(self, r, t, ents):
        return self.head_table[t[:, 0].long()].clone()


# ---------------------------------------------------------- filtered ranks


def test_filtered_ranks_by_hand():
    # Five entities, one relation. Query (0, r, ?) with true tail 2.
    tail_table = [[0.1, 0.9, 0.5, 0.5, 0.7]] + [[0.0] * 5] * 4
    # Query (?, r, 2) with true head 0: entity 1 scores higher but (1, r, 2) is a known valid triple.
    head_table = [[0.0] * 5] * 2 + [[0.3, 0.8, 0.2, 0.3, 0.3]] + [[0.0] * 5] * 2
    model = FixedScores(tail_table, head_table)
    train = torch.tensor([[0, 0, 1], [2, 0, 3]])
    valid = torch.tensor([[1, 0, 2]])
    test = torch.tensor([[0, 0, 2], [4, 0, 0]])  # entity 4 never occurs in training
    index = FilterIndex(torch.cat([train, valid, test]), num_relations=1)

    res = evaluate(model, test, index, batch_size=2, train=train, keep_ranks=True)
    # tail: 1 is filtered (known train triple); 4 (0.7) is better; 3 (0.5) ties -> 1 + 1 + 1/2
    assert res.ranks["tail"].tolist() == [2.5]
    # head: 1 (0.8) filtered (known valid triple); 3 and 4 tie at 0.3 -> 1 + 0 + 2/2
    assert res.ranks["head"].tolist() == [2.0]
    assert res.excluded_unseen == 1
    seen = res.seen_only
    assert seen["count"] == 2
    assert seen["mrr"] == pytest.approx((1 / 2.5 + 1 / 2) / 2)
    assert seen["hits@1"] == 0.0 and seen["hits@3"] == 1.0
    assert seen["mean_rank"] == pytest.approx(2.25)
    # by default the unseen triple counts as a miss on both sides (worst rank: the 5 entities)
    assert res.metrics["count"] == 4
    assert res.metrics["mrr"] == pytest.approx((1 / 2.5 + 1 / 2 + 2 / 5) / 4)
    assert res.metrics["hits@3"] == 0.5 and res.metrics["mean_rank"] == pytest.approx((2.5 + 2 + 5 + 5) / 4)
    assert res.tail["mrr"] == pytest.approx((0.4 + 0.2) / 2) and res.head["mrr"] == pytest.approx((0.5 + 0.2) / 2)

    # Without the filter entity 1 would count as better on both sides.
    raw = evaluate(model, test, FilterIndex(test, 1), batch_size=2, train=train, keep_ranks=True)
    assert raw.ranks["tail"].tolist() == [3.5] and raw.ranks["head"].tolist() == [3.0]


def test_ties_are_realistic_not_optimistic():
    scores = torch.zeros(2, 6)  # all candidates tied
    ranks = filtered_ranks(scores, torch.tensor([0, 3]), torch.tensor([], dtype=torch.long),
                           torch.tensor([], dtype=torch.long))
    assert ranks.tolist() == [3.5, 3.5]  # mean of optimistic 1 and pessimistic 6


@pytest.mark.parametrize("p_norm", [1.0, 2.0])
def test_transe_entities_are_on_the_unit_l2_sphere_whatever_the_distance(p_norm):
    """As in the TransE paper: an L1 distance must not L1-normalize the entities (PyG's choice, which
    shrinks every coordinate to about 1/dim and stalls training), and the stored rows start at unit norm."""
    model = build_model(KgeConfig(model="transe", dim=50, p_norm=p_norm), 20, 3)
    with torch.no_grad():
        model.node_emb.weight.mul_(torch.rand(20, 1) * 5 + 0.1)  # any stored scale
        norms = model.entities(None).norm(dim=-1)
    torch.testing.assert_close(norms, torch.ones(20))
    fresh = build_model(KgeConfig(model="transe", dim=50, p_norm=p_norm), 20, 3)
    torch.testing.assert_close(fresh.node_emb.weight.norm(dim=-1), torch.ones(20))
    torch.testing.assert_close(fresh.rel_emb.weight.norm(dim=-1), torch.ones(3))
    h, r, t = torch.tensor([0, 1]), torch.tensor([2, 0]), torch.tensor([3, 4])
    expected = -(fresh.entities(h) + fresh.relations(r) - fresh.entities(t)).norm(p=p_norm, dim=-1)
    torch.testing.assert_close(fresh(h, r, t), expected)  # PyG's forward uses the same geometry


@pytest.mark.parametrize("name", ["transe", "distmult", "complex", "rotate", "rgcn"])
def test_all_entity_scores_match_pairwise_scores(name):
    n, r = 7, 3
    edges = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    model = build_model(KgeConfig(model=name, dim=4, p_norm=2.0), n, r, edges, torch.tensor([0, 1, 2, 0]))
    model.eval()
    with torch.no_grad():
        model.begin_step()
        ents = model.entities(None)
        h_ids, r_ids, t_ids = torch.tensor([0, 5]), torch.tensor([1, 2]), torch.tensor([3, 6])
        rel = model.relations(r_ids)
        tails = model.score_tails(ents[h_ids], rel, ents)
        heads = model.score_heads(rel, ents[t_ids], ents)
        for b in range(2):
            all_ids = torch.arange(n)
            pair_t = model.score(ents[h_ids[b]].expand(n, -1), rel[b].expand(n, -1), ents[all_ids])
            pair_h = model.score(ents[all_ids], rel[b].expand(n, -1), ents[t_ids[b]].expand(n, -1))
            assert torch.allclose(tails[b], pair_t, atol=1e-5)
            assert torch.allclose(heads[b], pair_h, atol=1e-5)
        if name != "rgcn":  # same score as PyG's own forward
            pyg = model(h_ids, r_ids, t_ids)
            ours = model.score(ents[h_ids], rel, ents[t_ids])
            assert torch.allclose(pyg, ours, atol=1e-5)


# ------------------------------------------------------------- vocabulary


class FakeStore:
    """Minimal kg.store_protocol.Store reader yielding rdflib terms in a given order."""

    def __init__(self, triples) -> None:
        self._triples = list(triples)

    def triples(self):
        return iter(self._triples)

    def count(self):
        return len(self._triples)

    def labels(self):
        from kg.store_protocol import LABEL_PREDICATES

        for s, p, o in self._triples:
            if str(p) in LABEL_PREDICATES:
                yield str(s), str(p), str(o)


def _rdf_triples():
    from rdflib import RDF, RDFS, Literal, URIRef

    ex = "http://example.org/"
    rows = []
    for i in range(12):
        rows.append((URIRef(f"{ex}c{i}"), RDFS.subClassOf, URIRef(f"{ex}c{i // 2}")))
        rows.append((URIRef(f"{ex}i{i}"), RDF.type, URIRef(f"{ex}c{i}")))
        rows.append((URIRef(f"{ex}c{i}"), RDFS.label, Literal(f"class {i}")))
        rows.append((URIRef(f"{ex}i{i}"), URIRef(f"{ex}age"), Literal(i)))
    return rows


def test_vocabulary_is_deterministic_across_orders_and_sources():
    rows = _rdf_triples()
    shuffled = list(rows)
    random.Random(7).shuffle(shuffled)
    g1 = graph_from_store(FakeStore(rows))
    g2 = graph_from_store(FakeStore(shuffled))
    assert g1.entities == g2.entities == sorted(g1.entities)
    assert g1.fingerprint() == g2.fingerprint()
    assert np.array_equal(g1.train, g2.train) and np.array_equal(g1.test, g2.test)
    # default: object edges only (rdf:type kept), literals and labels excluded
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" in g1.relations
    assert not any(e.startswith('"') for e in g1.entities)
    assert g1.labels["http://example.org/c3"] == "class 3"
    # held-out entities all occur in training
    seen = set(g1.train[:, 0]) | set(g1.train[:, 2])
    assert set(g1.valid[:, 0]) | set(g1.valid[:, 2]) | set(g1.test[:, 0]) | set(g1.test[:, 2]) <= seen
    # literals on request (label predicates still excluded)
    g3 = graph_from_store(FakeStore(rows), include_literals=True)
    assert "http://example.org/age" in g3.relations and len(g3.entities) > len(g1.entities)
    # same triples through the named-triples path give the same ids
    named = graph_from_named_triples({"train": [(str(s), str(p), str(o)) for s, p, o in rows
                                                if "label" not in str(p) and "age" not in str(p)]})
    assert named.entities == g1.entities and named.relations == g1.relations


def test_inverse_relations_and_edge_tensors(tiny_dir):
    g = load_triples_dir(tiny_dir, add_inverse=True)
    assert g.num_relations == 2 * g.num_base_relations
    assert g.relations[g.num_base_relations].endswith("^-1")
    assert g.edge_index().shape == (2, len(g.train)) and g.edge_type().max() == g.num_relations - 1
    assert g.valid[:, 1].max() < g.num_base_relations


def test_empty_graph_and_graph_without_relations(tmp_path):
    from rdflib import RDFS, Literal, URIRef

    with pytest.raises(DataError, match="empty"):
        graph_from_store(FakeStore([]))
    with pytest.raises(DataError, match="no relations between entities"):
        graph_from_store(FakeStore([(URIRef("http://x/a"), RDFS.label, Literal("a"))]))
    empty = write_triples(tmp_path / "empty", [])
    with pytest.raises(DataError, match="empty"):
        load_triples_dir(empty)


def test_bad_triples_line_names_file_and_line(tmp_path, runner):
    root = write_triples(tmp_path / "bad", [("a", "r", "b")])
    with (root / "train.txt").open("a") as f:
        f.write("only\ttwo\n")
    result = runner.invoke(cli, ["embed", "--triples", str(root), "--out", str(tmp_path / "run"), "-q"])
    assert result.exit_code != 0
    assert "train.txt:2" in result.output
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------- training & CLI


def test_cli_embed_tiny_graph_writes_run_dir(tiny_dir, tmp_path, runner):
    from pipelines.embed import load_embedding_run

    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--triples", str(tiny_dir), "--model", "complex", "--dim", "8",
                                 "--epochs", "4", "--eval-every", "2", "--neg", "4", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "mrr" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("mrr", "hits@1", "hits@3", "hits@10", "mean_rank", "head", "tail", "valid", "excluded_unseen"):
        assert key in metrics
    for side in ("head", "tail"):
        assert set(metrics[side]) >= {"mrr", "hits@1", "hits@3", "hits@10", "mean_rank"}
    assert [v["epoch"] for v in metrics["valid"]] == [2, 4]
    run = load_embedding_run(out)
    config = json.loads((out / "config.json").read_text())
    assert config["entity_layout"] == "real|imag"
    assert run.matrix.dtype == np.float32 and run.matrix.shape == (len(run.entities), 16)
    assert run.vector("e00") is not None and run.vector("nope") is None
    assert (out / "checkpoint.pt").is_file()


def test_resume_continues_and_equals_uninterrupted(tiny_dir, tmp_path):
    from pipelines.embed import embed

    opts = dict(eval_every=2, patience=0, num_negatives=4, batch_size=16, device="cpu")
    full = embed(tiny_dir, "distmult", 8, 4, tmp_path / "full", **opts)
    embed(tiny_dir, "distmult", 8, 2, tmp_path / "part", **opts)
    resumed = embed(tiny_dir, "distmult", 8, 4, tmp_path / "part", resume=True, **opts)
    assert resumed.metrics["resumed_from"] == 2 and resumed.metrics["epochs_run"] == 4
    assert [v["epoch"] for v in resumed.metrics["valid"]] == [2, 4]
    np.testing.assert_allclose(resumed.entity_embeddings, full.entity_embeddings, rtol=1e-5, atol=1e-6)
    assert resumed.metrics["mrr"] == pytest.approx(full.metrics["mrr"])


def test_resume_with_other_model_or_graph_fails_and_keeps_files(tiny_dir, tmp_path, runner):
    out = tmp_path / "run"
    base = ["embed", "--triples", str(tiny_dir), "--dim", "8", "--epochs", "2", "--eval-every", "1",
            "--out", str(out), "-q"]
    assert runner.invoke(cli, base + ["--model", "transe"]).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}  # tensorboard/ too

    result = runner.invoke(cli, base + ["--model", "rotate", "--resume"])
    assert result.exit_code != 0 and "cannot resume" in result.output and "model" in result.output

    other = write_triples(tmp_path / "other", [("x", "r", "y"), ("y", "r", "z")])
    result = runner.invoke(cli, ["embed", "--triples", str(other), "--model", "transe", "--dim", "8",
                                 "--epochs", "2", "--out", str(out), "--resume", "-q"])
    assert result.exit_code != 0 and "vocabulary differs" in result.output

    result = runner.invoke(cli, base + ["--model", "transe"])  # no --resume: refuses to overwrite
    assert result.exit_code != 0 and "--resume" in result.output
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("unseen_test", [False, True], ids=["no-test-file", "only-unseen-test-triples"])
def test_cli_embed_without_a_test_split_reports_no_metrics(tmp_path, runner, unseen_test):
    train, _, _ = tiny_rows()
    test = [("new1", "next", "new2")] if unseen_test else ()
    root = write_triples(tmp_path / "g", train, test=test)
    if not unseen_test:
        (root / "valid.txt").unlink()
        (root / "test.txt").unlink()
    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--triples", str(root), "--dim", "8", "--epochs", "2", "--eval-every", "1",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "mrr" not in result.output and "0 ranks" not in result.output
    note = "no test metrics: all 1 test triples have an entity unseen" if unseen_test else "no test split"
    assert f"test: {note}" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"] is None and note in metrics["note"]
    assert not {"mrr", "hits@1", "hits@10", "mean_rank", "count", "head", "tail"} & set(metrics)
    assert [v["epoch"] for v in metrics["valid"]] == [1, 2]  # training itself ran


def test_cli_needs_exactly_one_source(tmp_path, runner, tiny_dir):
    result = runner.invoke(cli, ["embed", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "exactly one graph source" in result.output
    result = runner.invoke(cli, ["embed", "--triples", str(tiny_dir), "--neo4j", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2


def test_embed_from_embedded_store(tmp_path, runner):
    ttl = tmp_path / "onto.ttl"
    lines = ["@prefix ex: <http://example.org/> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ."]
    for i in range(1, 40):
        lines.append(f'ex:c{i} rdfs:subClassOf ex:c{(i - 1) // 2} ; rdfs:label "concept {i}" .')
        lines.append(f"ex:c{i} ex:related ex:c{(i * 7) % 40} .")
    ttl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    result = runner.invoke(cli, ["ontology", "import", str(ttl), "--store", str(store), "-q"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--store", str(store), "--model", "rgcn", "--dim", "8", "--epochs", "3",
                                 "--eval-every", "3", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["store_dir"] == str(store.resolve())
    rows = (out / "entities.tsv").read_text().splitlines()
    assert rows[0] == "id\tname\tlabel"
    assert any(r.split("\t")[1:] == ["http://example.org/c1", "concept 1"] for r in rows[1:])


@pytest.mark.slow
def test_training_on_umls_beats_random(mirror, tmp_path):
    from pipelines.embed import embed

    threads = torch.get_num_threads()
    try:  # one thread: fastest on a shared, oversubscribed CI machine
        res = embed(mirror / "kge-small" / "umls", "distmult", 64, 20, tmp_path / "umls", device="cpu",
                    loss="1vsall", batch_size=256, lr=0.01, eval_every=10, threads=1)
    finally:
        torch.set_num_threads(threads)
    # random ranking of 135 entities gives an MRR of about 0.04
    assert res.metrics["mrr"] > 0.5, res.metrics
    assert res.metrics["hits@10"] > 0.8
    assert res.metrics["excluded_unseen"] == 0


@pytest.mark.neo4j
def test_export_embeddings_to_neo4j(neo4j_settings, neo4j_driver, tmp_path):
    import uuid

    from pipelines.embed import EmbedResult
    from pipelines.embed_neo4j import export_embeddings_neo4j

    prefix = f"urn:kgft-test-embed:{uuid.uuid4()}/"
    names = [f"{prefix}a", f"{prefix}b", f"{prefix}missing", "_:blank"]
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    EmbedResult({"model": "test"}, {}, names, ["r"], matrix, np.zeros((1, 3), np.float32)).save(tmp_path / "run")
    with neo4j_driver.session(database=neo4j_settings.database) as s:
        s.run("UNWIND $uris AS u CREATE (:Resource {uri: u})", uris=names[:2]).consume()
    try:
        res = export_embeddings_neo4j(tmp_path / "run", neo4j_settings, property_name="kgft_test_vec", batch_size=1)
        assert (res.matched, res.missing, res.skipped) == (2, 1, 1)
        with neo4j_driver.session(database=neo4j_settings.database) as s:
            got = {r["u"]: r["v"] for r in s.run(
                "MATCH (n:Resource) WHERE n.uri STARTS WITH $p RETURN n.uri AS u, n.kgft_test_vec AS v", p=prefix)}
        assert got == {names[0]: [0.0, 1.0, 2.0], names[1]: [3.0, 4.0, 5.0]}
    finally:
        with neo4j_driver.session(database=neo4j_settings.database) as s:
            s.run("MATCH (n:Resource) WHERE n.uri STARTS WITH $p DETACH DELETE n", p=prefix).consume()


class _PrefixView:
    """Read-only view of a store restricted to subjects under ``prefix`` (Neo4j is shared)."""

    def __init__(self, store, prefix: str) -> None:
        self.store, self.prefix = store, prefix

    def triples(self):
        if hasattr(self.store, "delete"):  # Neo4jStore: index-backed prefix seek
            return self.store.triples([self.prefix])
        return (t for t in self.store.triples() if str(t[0]).startswith(self.prefix))

    def count(self):
        return sum(1 for _ in self.triples())

    def labels(self):
        return (row for row in self.store.labels() if row[0].startswith(self.prefix))


@pytest.mark.neo4j
def test_same_ids_from_embedded_store_and_neo4j(neo4j_settings, tmp_path):
    import uuid

    from kg.embedded import EmbeddedStore
    from kg.neo4j_store import Neo4jStore

    ns = f"http://kgft.test/embed-{uuid.uuid4().hex[:8]}/"
    lines = [f"@prefix : <{ns}> .", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix owl: <http://www.w3.org/2002/07/owl#> ."]
    for i in range(1, 25):
        lines.append(f':C{i} a owl:Class ; rdfs:subClassOf :C{(i - 1) // 2} ; rdfs:label "class {i}" .')
        lines.append(f":x{i} a :C{i} ; :partOf :x{(i * 5) % 25} .")
    ttl = tmp_path / "parity.ttl"
    ttl.write_text("\n".join(lines) + "\n", encoding="utf-8")

    embedded = EmbeddedStore(tmp_path / "store")
    neo = Neo4jStore(neo4j_settings)
    try:
        embedded.import_file(ttl)
        neo.import_file(ttl)
        g_emb = graph_from_store(_PrefixView(embedded, ns))
        g_neo = graph_from_store(_PrefixView(neo, ns))
        assert g_emb.num_entities > 40 and g_emb.entities == g_neo.entities
        assert g_emb.relations == g_neo.relations
        assert g_emb.fingerprint() == g_neo.fingerprint()
        for split in ("train", "valid", "test"):
            assert np.array_equal(getattr(g_emb, split), getattr(g_neo, split))
        assert g_emb.labels == g_neo.labels and g_emb.labels[ns + "C3"] == "class 3"
    finally:
        from kg.parse import file_sha256

        embedded.close()
        neo.delete([ns])
        neo.forget_import(file_sha256(ttl))
        neo.close()


def test_lazy_adam_matches_sparse_adam():
    from model.kge import LazyAdam

    torch.manual_seed(0)
    a = torch.nn.Embedding(10, 4, sparse=True)
    b = torch.nn.Embedding(10, 4, sparse=True)
    b.load_state_dict(a.state_dict())
    opt_a, opt_b = LazyAdam(a.parameters(), lr=0.1), torch.optim.SparseAdam(b.parameters(), lr=0.1)
    for ids in ([1, 2, 2, 7], [0, 1, 9], [3, 3, 3]):
        for emb, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            emb(torch.tensor(ids)).pow(3).sum().backward()
            opt.step()
    assert torch.allclose(a.weight, b.weight, atol=1e-6)
    assert torch.equal(a.weight[4], b.weight[4])  # untouched rows unchanged in both


def test_sparse_updates_are_decided_per_graph():
    from model.kge.config import SPARSE_MIN_ENTITIES

    big, small = 180_000, SPARSE_MIN_ENTITIES - 1
    assert KgeConfig(model="transe").resolved(big).sparse is True  # a step touches 1,000 x (2 + 16) rows: 10%
    assert KgeConfig(model="transe").resolved(big - 1).sparse is False  # more than 10%: dense is faster
    assert KgeConfig(model="transe", num_negatives=1).resolved(40_943).sparse is True  # WN18RR, 1 negative
    assert KgeConfig(model="transe", batch_size=10, num_negatives=1).resolved(small).sparse is False
    assert KgeConfig(model="rotate").resolved(small).sparse is False
    assert KgeConfig(model="complex", loss="1vsall").resolved(big).sparse is False
    assert KgeConfig(model="rgcn").resolved(big).sparse is False
    assert KgeConfig(model="transe", sparse=False).resolved(big).sparse is False
    assert KgeConfig(model="transe", sparse=True).resolved(small).sparse is True
    with pytest.raises(ConfigError, match="sparse"):
        KgeConfig(model="complex", loss="1vsall", sparse=True)


def test_cli_sparse_and_dense_flags_are_recorded(tiny_dir, tmp_path, runner):
    base = ["embed", "--triples", str(tiny_dir), "--model", "transe", "--dim", "8", "--epochs", "2",
            "--eval-every", "2", "--neg", "2", "-q"]
    for flag, expected in (("--sparse", True), ("--dense", False), (None, False)):  # tiny graph: auto is dense
        out = tmp_path / str(flag)
        result = runner.invoke(cli, base + ["--out", str(out)] + ([flag] if flag else []))
        assert result.exit_code == 0, result.output
        assert json.loads((out / "config.json").read_text())["sparse"] is expected
    result = runner.invoke(cli, base + ["--out", str(tmp_path / "bad"), "--loss", "1vsall", "--sparse"])
    assert result.exit_code != 0 and "sparse updates need a sampled loss" in result.output


def test_fused_unit_rows_match_autograd():
    from model.kge.normalize import unit_rows

    torch.manual_seed(0)
    x = torch.randn(50, 7, dtype=torch.float64)
    x[3] = 0.0  # a zero row: clamped norm
    grad = torch.randn(50, 7, dtype=torch.float64)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    torch.testing.assert_close(unit_rows(a), torch.nn.functional.normalize(b, dim=-1))
    (unit_rows(a) * grad).sum().backward()
    (torch.nn.functional.normalize(b, dim=-1) * grad).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_typed_negatives_come_from_each_relations_pool():
    from model.kge.losses import sample_negatives
    from model.kge.negatives import RelationPools

    # relation 0: heads {0, 1} -> tails {5, 6}; relation 1: head {2} -> tail {7}
    triples = torch.tensor([[0, 0, 5], [1, 0, 6], [0, 0, 6], [2, 1, 7]])
    pools = RelationPools(triples, num_entities=10, num_relations=2, share=1.0)
    gen = torch.Generator().manual_seed(0)
    heads, rels, tails = torch.tensor([0, 2]), torch.tensor([0, 1]), torch.tensor([5, 7])
    nh, nt = sample_negatives(heads, tails, 10, 200, gen, pools, rels)
    head_side = nh != heads.unsqueeze(1)  # a corrupted head keeps the tail, and the other way round
    assert torch.equal(nt[head_side], tails.unsqueeze(1).expand_as(nt)[head_side])
    assert set(nt[0].tolist()) == {5, 6} and set(nh[0].tolist()) == {0, 1}  # relation 0's pools
    assert set(nt[1].tolist()) == {7} and set(nh[1].tolist()) == {2}        # relation 1 has one of each
    mixed = RelationPools(triples, num_entities=10, num_relations=2, share=0.5)
    _, nt = sample_negatives(heads.repeat(200), tails.repeat(200), 10, 4, gen, mixed, rels.repeat(200))
    assert set(nt.flatten().tolist()) - {5, 6, 7}  # the other half is uniform over all entities
    with pytest.raises(ConfigError, match="1vsall"):
        KgeConfig(model="complex", loss="1vsall", negatives="typed")
    with pytest.raises(ConfigError, match="negative sampling"):
        KgeConfig(negatives="hard")


def test_typed_negatives_train_through_the_cli(tiny_dir, tmp_path, runner):
    out = tmp_path / "typed"
    result = runner.invoke(cli, ["embed", "--triples", str(tiny_dir), "--model", "transe", "--dim", "8", "--epochs", "2",
                                 "--eval-every", "2", "--neg", "4", "--negatives", "typed", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["negatives"] == "typed"
