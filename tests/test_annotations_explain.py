"""`kgft explain` marks the evidence edges and the links an expert annotation added (text, JSON, HTML;
both stores)."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner
from explain_fixtures import class_map_toml, tiny_dataset, tiny_ontology

from cli import cli

TEXT = "this movie was excellent"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A knowledge run on the tiny ontology, then an annotation file adding ``Excellence -polarity-> Positive``."""
    from kg.embedded import EmbeddedStore
    from pipelines.train import train
    from pipelines.train_config import TrainConfig

    word = "x" + uuid.uuid4().hex[:10]
    ns = f"http://kgft.test/explain-annotated/{word}/"
    root = tmp_path_factory.mktemp("explain-annotated")
    ttl = root / "tiny.ttl"
    ttl.write_text(tiny_ontology(ns), encoding="utf-8")
    with EmbeddedStore(root / "store") as store:
        store.import_file(ttl)
    links = root / f"links-{word}.tsv"  # applied before training: the run's linker has it
    links.write_text(f"kind\tsubject\tobject\nlink\tsplendid\t{ns}good\n", encoding="utf-8")
    applied = CliRunner().invoke(cli, ["annotate", "apply", str(links), "--store", str(root / "store")])
    assert applied.exit_code == 0, applied.output
    cmap = root / "classes.toml"
    cmap.write_text(class_map_toml(ns), encoding="utf-8")
    config = TrainConfig().replace(dataset=str(tiny_dataset(root / "reviews.csv", n=400)),
                                   knowledge=str(root / "store"), epochs=12, embedding_dim=16, hidden=16,
                                   batch_size=16, lr=1e-2, min_freq=2, device="cpu", embed_epochs=10, threads=1)
    train(config, root / "run")
    tsv = root / f"expert-{word}.tsv"
    tsv.write_text("kind\tsubject\tpredicate\tobject\tauthor\n"
                   f"triple\t{ns}Excellence\t{ns}polarity\t{ns}Positive\tana\n", encoding="utf-8")
    return {"ns": ns, "ttl": ttl, "store": root / "store", "run": root / "run", "cmap": cmap, "tsv": tsv,
            "links": links}


def explain(runner, world, *args) -> str:
    result = runner.invoke(cli, ["explain", str(world["run"]), TEXT, "--class-map", str(world["cmap"]),
                                 *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


def entity_paths(doc: dict, iri: str) -> list[list[tuple]]:
    (exp,) = doc["explanations"]
    ent = next(e for e in exp["entities"] if e["iri"] == iri)
    return [[(s["from"], s["relation"], s["to"], s["annotation"]) for s in p["steps"]] for p in ent["paths"]]


def test_paths_through_annotated_edges_are_marked_in_json_text_and_html(runner, world, tmp_path):
    ns, source = world["ns"], f"{world['tsv'].name}:2"
    before = json.loads(explain(runner, world, "--store", world["store"], "--format", "json"))
    assert entity_paths(before, ns + "Excellence") == []
    applied = runner.invoke(cli, ["annotate", "apply", str(world["tsv"]), "--store", str(world["store"])])
    assert applied.exit_code == 0, applied.output
    doc = json.loads(explain(runner, world, "--store", world["store"], "--format", "json"))
    assert entity_paths(doc, ns + "Excellence") == [[(ns + "Excellence", "polarity", ns + "Positive", source)]]
    assert entity_paths(doc, ns + "excellent")[0] == [
        (ns + "excellent", "similarTo", ns + "good", None), (ns + "good", "polarity", ns + "Positive", None)]
    text = explain(runner, world, "--store", world["store"])
    assert f"excellent —[polarity, annotated {source}]→ Positive" in text
    assert "excellent —[similarTo]→ good —[polarity]→ Positive" in text
    page = tmp_path / "out.html"
    explain(runner, world, "--store", world["store"], "--format", "html", "-o", page)
    assert f"excellent —[polarity, annotated {source}]→ Positive" in page.read_text(encoding="utf-8")


def test_mentions_linked_by_a_link_row_are_marked(runner, world, tmp_path):
    ns, source = world["ns"], f"{world['links'].name}:2"
    text = "this movie was splendid and excellent"
    result = runner.invoke(cli, ["explain", str(world["run"]), text, "--class-map", str(world["cmap"]),
                                 "--store", str(world["store"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    (exp,) = json.loads(result.stdout)["explanations"]
    marks = {(e["iri"], m["text"]): m.get("annotation") for e in exp["entities"] for m in e["mentions"]}
    assert marks[(ns + "good", "splendid")] == source
    assert marks[(ns + "excellent", "excellent")] is None  # linked by its own label
    shown = runner.invoke(cli, ["explain", str(world["run"]), text, "--class-map", str(world["cmap"]),
                                "--store", str(world["store"])])
    assert f'"splendid" (link annotated {source})' in shown.stdout
    page = tmp_path / "links.html"
    runner.invoke(cli, ["explain", str(world["run"]), text, "--class-map", str(world["cmap"]),
                        "--store", str(world["store"]), "--format", "html", "-o", str(page)])
    assert f"splendid <i>(link annotated {source})</i>" in page.read_text(encoding="utf-8")


@pytest.mark.neo4j
def test_neo4j_marks_the_same_edges(runner, world, neo4j_settings):
    from kg.neo4j_store import Neo4jStore
    from kg.neo4j_store.schema import ANNOTATION_LABEL
    from kg.parse import file_sha256

    ns, tsv = world["ns"], world["tsv"]
    with Neo4jStore(neo4j_settings) as store:
        store.import_file(world["ttl"])
        try:
            for path in (tsv, world["links"]):
                applied = runner.invoke(cli, ["annotate", "apply", str(path), "--neo4j"])
                assert applied.exit_code == 0, applied.output
            neo = json.loads(explain(runner, world, "--neo4j", "--format", "json"))
            assert entity_paths(neo, ns + "Excellence") == [
                [(ns + "Excellence", "polarity", ns + "Positive", f"{tsv.name}:2")]]
            result = runner.invoke(cli, ["explain", str(world["run"]), "a splendid movie", "--class-map",
                                         str(world["cmap"]), "--neo4j", "--format", "json"])
            (exp,) = json.loads(result.stdout)["explanations"]
            good = next(e for e in exp["entities"] if e["iri"] == ns + "good")
            assert good["mentions"][0]["annotation"] == f"{world['links'].name}:2"
        finally:
            for source in (tsv.name, world["links"].name):
                store.run(f"MATCH (a:{ANNOTATION_LABEL} {{source: $source}}) DELETE a", "cleanup", source=source)
            store.run("MATCH (b:Resource)--(n:Resource) WHERE b.uri STARTS WITH 'bnode://' AND n.uri STARTS WITH $ns "
                      "DETACH DELETE b", "cleaning up the test graph", ns=ns)
            store.delete([ns])
            store.forget_import(file_sha256(world["ttl"]))
