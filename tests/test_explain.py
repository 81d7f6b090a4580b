"""`kgft explain` end to end: a tiny ontology, a tiny trained model, both stores, every output format."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import uuid

import pytest
from explain_fixtures import class_map_toml, tiny_dataset, tiny_ontology

from cli import cli

TEXT_POS = "this movie was excellent"
TEXT_NEG = "the plot was a waste of time"
TEXT_NONE = "the actors and the story"


@pytest.fixture(scope="module")
def ns() -> str:
    return f"http://kgft.test/explain-cli/{uuid.uuid4().hex}/"


@pytest.fixture(scope="module")
def world(tmp_path_factory, ns):
    """An embedded store with the tiny ontology, a class map, and a knowledge run and a baseline run."""
    from kg.embedded import EmbeddedStore
    from pipelines.train import train
    from pipelines.train_config import TrainConfig

    root = tmp_path_factory.mktemp("explain")
    ttl = root / "tiny.ttl"
    ttl.write_text(tiny_ontology(ns), encoding="utf-8")
    with EmbeddedStore(root / "store") as store:
        store.import_file(ttl)
    data = tiny_dataset(root / "reviews.csv", n=400)
    cmap = root / "classes.toml"
    cmap.write_text(class_map_toml(ns), encoding="utf-8")
    config = TrainConfig().replace(dataset=str(data), knowledge=str(root / "store"), epochs=12, embedding_dim=16,
                                   hidden=16, batch_size=16, lr=1e-2, min_freq=2, device="cpu", embed_epochs=10,
                                   threads=1)
    train(config, root / "run")
    train(config.replace(baseline=True), root / "baseline")
    return {"root": root, "ttl": ttl, "store": root / "store", "run": root / "run",
            "baseline": root / "baseline", "cmap": cmap}


def _explain(runner, *args, stdin: str | None = None):
    result = runner.invoke(cli, ["explain", *map(str, args)], input=stdin)
    assert result.exit_code == 0, result.output
    return result


def _json(runner, *args) -> dict:
    return json.loads(_explain(runner, *args, "--format", "json").stdout)


def check_schema(doc: dict) -> None:
    """Check an explanation document against the documented schema kgft.explain/1."""
    assert doc["schema"] == "kgft.explain/1"
    assert set(doc) == {"schema", "run_dir", "classes", "knowledge", "attribution", "notes", "explanations"}
    assert set(doc["knowledge"]) == {"used", "store", "store_location", "class_map"}
    assert doc["attribution"]["method"] == "integrated_gradients" and doc["attribution"]["n_steps"] >= 1
    for exp in doc["explanations"]:
        assert set(exp) == {"text", "prediction", "completeness", "tokens", "top_tokens", "entities",
                            "counterfactual", "notes", "bag"}
        pred = exp["prediction"]
        assert list(pred["probabilities"]) == doc["classes"]
        assert math.isclose(sum(pred["probabilities"].values()), 1.0, rel_tol=1e-5)
        assert pred["label"] == doc["classes"][pred["index"]]
        assert pred["probability"] == max(pred["probabilities"].values())
        comp = exp["completeness"]
        assert comp["sum"] == pytest.approx(sum(t["attribution"] for t in exp["tokens"]), abs=1e-9)
        assert comp["delta"] == pytest.approx(comp["sum"] - (comp["probability"] - comp["baseline_probability"]),
                                              abs=1e-9)
        for i, tok in enumerate(exp["tokens"]):
            assert set(tok) == {"index", "text", "attribution", "in_vocab", "entity_token", "entities"}
            assert tok["index"] == i
            if not tok["in_vocab"]:
                assert tok["attribution"] == 0.0, "an <unk> token equals the baseline"
        assert all(0 <= i < len(exp["tokens"]) for i in exp["top_tokens"])
        shares = [e["share"] for e in exp["entities"]]
        assert shares == sorted(shares, reverse=True) and all(0 <= s <= 1 for s in shares)
        for ent in exp["entities"]:
            assert set(ent) == {"iri", "label", "mentions", "token_indices", "attribution", "share", "channel_share",
                                "is_class_concept", "paths", "opposing"}
            for path in ent["paths"] or []:
                assert path["length"] == len(path["steps"]) and path["source"] == ent["iri"]
                for a, b in zip(path["steps"], path["steps"][1:]):
                    assert a["to"] == b["from"]
        if exp["counterfactual"] is not None:
            assert set(exp["counterfactual"]) == {"entity", "label", "token_indices", "probability", "change",
                                                  "label_after", "probabilities"}


def test_explain_json_on_the_embedded_store(runner, world, ns):
    doc = _json(runner, world["run"], TEXT_POS, "--store", world["store"], "--class-map", world["cmap"])
    check_schema(doc)
    assert doc["knowledge"] == {"used": True, "store": "embedded", "store_location": str(world["store"]),
                                "class_map": {"name": "tiny-sentiment", "source": str(world["cmap"]),
                                              "direction": "any", "max_hops": 3}}
    (exp,) = doc["explanations"]
    assert exp["prediction"]["label"] == "pos" and exp["prediction"]["probability"] > 0.6
    assert abs(exp["completeness"]["delta"]) < 1e-3
    assert [t["text"] for t in exp["tokens"]] == ["this", "movie", "was", "excellent"]
    # "excellent" links to two entities with one share; the one with graph evidence comes first
    ent, other = exp["entities"]
    assert other["iri"] == ns + "Excellence" and other["paths"] == [] and other["share"] == ent["share"]
    assert ent["iri"] == ns + "excellent" and ent["label"] == "excellent"
    assert exp["counterfactual"]["entity"] == ns + "excellent"
    assert ent["mentions"] == [{"start": 3, "end": 4, "text": "excellent"}] and ent["token_indices"] == [3]
    # the polarity word supports the prediction
    assert exp["tokens"][3]["attribution"] > 0
    # paths known by hand: excellent -similarTo-> good|great -polarity-> Positive
    assert [[(s["from"], s["relation"], s["to"], s["direction"]) for s in p["steps"]] for p in ent["paths"]] == [
        [(ns + "excellent", "similarTo", ns + "good", "forward"),
         (ns + "good", "polarity", ns + "Positive", "forward")],
        [(ns + "excellent", "similarTo", ns + "great", "forward"),
         (ns + "great", "polarity", ns + "Positive", "forward")],
    ]
    assert ent["paths"][0]["steps"][1]["to_label"] == "Positive"


def test_multi_word_entity_and_counterfactual(runner, world, ns):
    import torch

    from pipelines.run_files import load_trained_run

    doc = _json(runner, world["run"], TEXT_NEG, "--store", world["store"], "--class-map", world["cmap"])
    check_schema(doc)
    (exp,) = doc["explanations"]
    assert exp["prediction"]["label"] == "neg"
    texts = [t["text"] for t in exp["tokens"]]
    assert texts == ["the", "plot", "was", "a", "waste", "of", "time", f"<ent:{ns}waste>"]
    assert exp["tokens"][7]["entity_token"] and exp["tokens"][4]["entities"] == [ns + "waste"]
    # the negative phrase (its words or its entity token) is what the model used most
    assert exp["top_tokens"][0] in (4, 5, 6, 7) and exp["tokens"][exp["top_tokens"][0]]["attribution"] > 0
    top = exp["entities"][0]
    assert top["iri"] == ns + "waste" and top["label"] == "waste of time"
    assert top["token_indices"] == [7], "a multi-word entity's knowledge is its entity token"
    assert [[(s["from"], s["predicate"], s["to"]) for s in p["steps"]] for p in top["paths"]] == [
        [(ns + "waste", ns + "polarity", ns + "Negative")]]
    cf = exp["counterfactual"]
    assert cf["entity"] == top["iri"] and cf["token_indices"] == [7]
    # recompute independently: the same ids with the entity token replaced by <unk> (and, through the
    # knowledge channel, no concepts at that position; the n-gram head without the n-grams it is in)
    from model.train import collate

    run = load_trained_run(world["run"])
    split = run.encode_texts([TEXT_NEG])
    original = torch.tensor([split.ids[0]])
    split.ids[0][7] = run.vocab.unk_index
    tokens, lengths, _, channel = collate(split, [0], run.vocab.pad_index)
    assert channel is not None and channel.concepts[0, 7].any()
    channel.concepts[0, 7] = 0
    model, time = run.classifier, original.shape[1]
    presence = torch.ones(1, 2 * time - 1)
    presence[0, [7] + [time + j for j in range(time - 1) if 7 in (j, j + 1)]] = 0.0  # its unigram and bigrams
    with torch.no_grad():
        ngram_logits = model.ngram_head(original, lengths, presence)
        logits = model.forward_embedded(model.embed(tokens, channel), lengths, channel, ngram_logits)
        probs = torch.softmax(logits, -1)[0].tolist()
    assert list(cf["probabilities"].values()) == pytest.approx(probs, abs=1e-6)
    assert cf["probability"] == pytest.approx(probs[exp["prediction"]["index"]], abs=1e-6)
    assert cf["change"] == pytest.approx(cf["probability"] - exp["prediction"]["probability"])


def test_text_without_entities_says_so(runner, world):
    result = _explain(runner, world["run"], TEXT_NONE, "--store", world["store"], "--class-map", world["cmap"])
    assert "note: no entity of the knowledge graph was linked in this text" in result.output
    doc = _json(runner, world["run"], TEXT_NONE, "--store", world["store"], "--class-map", world["cmap"])
    (exp,) = doc["explanations"]
    assert exp["entities"] == [] and exp["counterfactual"] is None
    assert exp["notes"] == ["no entity of the knowledge graph was linked in this text"]


def test_baseline_run_explains_without_the_graph(runner, world):
    doc = _json(runner, world["baseline"], TEXT_POS, "--store", world["store"])
    check_schema(doc)
    assert doc["knowledge"] == {"used": False, "store": None, "store_location": None, "class_map": None}
    assert "trained without knowledge" in doc["notes"][0]
    (exp,) = doc["explanations"]
    assert exp["entities"] == [] and exp["counterfactual"] is None and exp["notes"] == []
    text = _explain(runner, world["baseline"], TEXT_POS).output
    assert "note: this run was trained without knowledge" in text and "linked entities (share" not in text


def test_knowledge_run_without_class_map_notes_it(runner, world):
    doc = _json(runner, world["run"], TEXT_POS, "--store", world["store"])
    assert any("no class map" in n for n in doc["notes"])
    assert doc["explanations"][0]["entities"][0]["paths"] is None


def test_text_view_and_file_input(runner, world, tmp_path):
    lines = tmp_path / "texts.txt"
    lines.write_text(f"{TEXT_POS}\n\n{TEXT_NEG}\n", encoding="utf-8")
    out = _explain(runner, world["run"], "--file", lines, "--store", world["store"], "--class-map", world["cmap"],
                   "--top", "2").output
    assert "text 1 of 2" in out and "text 2 of 2" in out
    assert "supports pos: excellent —[similarTo]→ good —[polarity]→ Positive" in out
    assert "supports neg: waste of time —[polarity]→ Negative" in out
    assert "counterfactual: without the knowledge of waste of time" in out
    saved = tmp_path / "out" / "explanations.json"
    _explain(runner, world["run"], "--file", lines, "--store", world["store"], "--format", "json", "-o", saved)
    doc = json.loads(saved.read_text(encoding="utf-8"))
    check_schema(doc)
    assert [e["text"] for e in doc["explanations"]] == [TEXT_POS, TEXT_NEG]


def test_html_page_is_self_contained_and_escaped(runner, world, tmp_path):
    page = tmp_path / "out.html"
    hostile = "excellent <script>alert(1)</script> movie"
    result = _explain(runner, world["run"], hostile, "--store", world["store"], "--class-map", world["cmap"],
                      "--format", "html", "-o", page)
    assert f"wrote {page}" in result.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script" not in html and "&lt;" in html
    for external in ("<link", "src=", "@import", "url("):
        assert external not in html
    assert "excellent —[similarTo]→ good —[polarity]→ Positive" in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (apt-get install chromium)")
def test_html_page_renders_in_headless_chromium(runner, world, tmp_path):
    page = tmp_path / "out.html"
    _explain(runner, world["run"], "--file", "-", "--store", world["store"], "--class-map", world["cmap"],
             "--format", "html", "-o", page, stdin=f"{TEXT_POS}\n{TEXT_NEG}\n")
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@pytest.mark.neo4j
def test_neo4j_gives_the_same_explanation(runner, world, ns, neo4j_settings):
    from kg.neo4j_store import Neo4jStore

    with Neo4jStore(neo4j_settings) as store:
        store.import_file(world["ttl"])
        try:
            args = ["--class-map", world["cmap"]]
            for text in (TEXT_POS, TEXT_NEG):
                emb = _json(runner, world["run"], text, "--store", world["store"], *args)
                neo = _json(runner, world["run"], text, "--neo4j", *args)
                assert neo["knowledge"]["store"] == "neo4j"
                assert neo["explanations"] == emb["explanations"]
                assert neo["explanations"][0]["entities"][0]["paths"]
        finally:
            store.run("MATCH (b:Resource)--(n:Resource) WHERE b.uri STARTS WITH 'bnode://' AND n.uri STARTS WITH $ns "
                      "DETACH DELETE b", "cleaning up the test graph", ns=ns)
            store.delete([ns])


def test_bad_input_gives_one_line_errors(runner, world, tmp_path):
    cases = [
        (["explain", str(tmp_path / "nope"), "x"], "run directory not found"),
        (["explain", str(tmp_path), "x"], "is not a complete kgft training run"),
        (["explain", str(world["run"])], "give either TEXT or --file"),
        (["explain", str(world["run"]), "   "], "text 1 is empty"),
        (["explain", str(world["run"]), "x", "--store", str(tmp_path / "nostore")], "no kgft store at"),
    ]
    other = tmp_path / "other"
    other.mkdir()
    for name in ("vocab.json", "tokenizer.json"):
        shutil.copy(world["run"] / name, other / name)
    (other / "config.json").write_text('{"format": "something else"}', encoding="utf-8")
    cases.append((["explain", str(other), "x"], "another kgft version"))
    bad_map = tmp_path / "bad.toml"
    bad_map.write_text("[classes]\npos = [\n", encoding="utf-8")
    cases.append((["explain", str(world["run"]), "x", "--store", str(world["store"]), "--class-map", str(bad_map)],
                  f"{bad_map}:"))
    not_iri = tmp_path / "notiri.toml"
    not_iri.write_text('[classes]\npos = "Positive"\n', encoding="utf-8")
    cases.append((["explain", str(world["run"]), "x", "--store", str(world["store"]), "--class-map", str(not_iri)],
                  "which is not an IRI"))
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            assert len(result.output.strip().splitlines()) == 1, result.output


def test_paths_to_the_other_class_are_listed_as_opposing(runner, world, ns):
    doc = _json(runner, world["run"], "the movie was envious", "--store", world["store"], "--class-map", world["cmap"])
    (exp,) = doc["explanations"]
    envious = next(e for e in exp["entities"] if e["iri"] == ns + "envious")
    predicted = exp["prediction"]["label"]
    other = {"pos": "neg", "neg": "pos"}[predicted]
    target = {"pos": ns + "Positive", "neg": ns + "Negative"}
    # envious has a polarity edge to both concepts: one path supports the prediction, one opposes it
    assert [p["target"] for p in envious["paths"]] == [target[predicted]]
    assert [(p["class"], p["target"]) for p in envious["opposing"]] == [(other, target[other])]


def test_a_checkpoint_whose_weights_do_not_fit_is_one_clear_error(world, tmp_path):
    import shutil

    import torch

    from core.errors import ModelError
    from pipelines.run_files import load_trained_run

    run = tmp_path / "run"
    shutil.copytree(world["run"], run)
    best = run / "seed-0" / "best.pt"
    data = torch.load(best, weights_only=True)
    del data["classifier"]["ngram_head.idf"]  # as saved before the n-gram head had idf weights
    torch.save(data, best)
    with pytest.raises(ModelError, match="do not fit this version's classifier.*ngram_head.idf"):
        load_trained_run(run)


def test_a_checkpoint_with_another_versions_configuration_is_one_clear_error(world, tmp_path):
    import shutil

    import torch

    from core.errors import ModelError
    from pipelines.run_files import load_trained_run

    run = tmp_path / "run"
    shutil.copytree(world["run"], run)
    best = run / "seed-0" / "best.pt"
    data = torch.load(best, weights_only=True)
    data["model_config"]["ngram_buckets"] = 131072  # as saved when bigrams were hashed into buckets
    torch.save(data, best)
    with pytest.raises(ModelError, match="configuration does not fit this version's classifier.*ngram_buckets"):
        load_trained_run(run)
