"""Class maps: the shipped defaults match the converters' IRIs; user files are validated."""

from __future__ import annotations

import pytest

from core.errors import ConfigError, DataError, ParseError
from kg.evidence import default_class_map, load_class_map, shipped_class_maps


def test_shipped_maps_and_dataset_defaults():
    names = {m.name for m in shipped_class_maps()}
    assert {"ohsumed-mesh", "sentiment"} <= names
    assert default_class_map("ohsumed").name == "ohsumed-mesh"
    assert default_class_map("/data/ohsumed_single_23.tar.gz").name == "ohsumed-mesh"
    assert default_class_map("imdb").name == "sentiment" and default_class_map("mr").name == "sentiment"
    assert default_class_map("reviews.csv") is None and default_class_map(None) is None


def test_sentiment_map_points_at_the_lexicon_converter_concepts():
    from kg.convert.namespaces import LEXICON

    cmap = default_class_map("imdb")
    assert cmap.concepts_for("pos") == [LEXICON + "Positive"]
    assert cmap.concepts_for("NEG") == [LEXICON + "Negative"]
    assert cmap.concepts_for("1") == [LEXICON + "Positive"] and cmap.concepts_for("0") == [LEXICON + "Negative"]
    assert cmap.policy.direction == "any"


def test_ohsumed_map_points_at_the_mesh_category_descriptors(mirror):
    from kg.convert.mesh import read_mesh_tree
    from kg.convert.namespaces import MESH

    _, terms, descriptor_at = read_mesh_tree(mirror / "mesh" / "2017MeshTree.txt")
    cmap = default_class_map("ohsumed")
    assert sorted(cmap.classes) == [f"C{i:02d}" for i in range(1, 24)]
    for label, concepts in cmap.classes.items():
        assert concepts == [MESH + descriptor_at[label]], label
    assert terms[descriptor_at["C04"]] == "Neoplasms"
    assert cmap.policy.direction == "forward"


def test_user_maps_in_toml_and_json(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('name = "mine"\n[prefixes]\nex = "http://ex.org/"\n[paths]\nmax_hops = 2\n'
                    '[classes]\nA = "ex:a"\nB = ["ex:b", "http://other.org/b"]\n', encoding="utf-8")
    cmap = load_class_map(toml)
    assert cmap.classes == {"A": ["http://ex.org/a"], "B": ["http://ex.org/b", "http://other.org/b"]}
    assert cmap.policy.max_hops == 2 and cmap.source == str(toml)
    js = tmp_path / "m.json"
    js.write_text('{"classes": {"A": ["http://ex.org/a"]}, "paths": {"direction": "forward"}}', encoding="utf-8")
    assert load_class_map(js).policy.direction == "forward" and load_class_map(js).name == "m"


@pytest.mark.parametrize(
    ("content", "suffix", "error", "message"),
    [
        ('[classes]\nA = "http://x/a"\nB = = 2\n', ".toml", ParseError, "bad.toml:3:"),
        ('{"classes": {"A": }', ".json", ParseError, "bad.json:1:19: not valid JSON"),
        ('colour = 1\n[classes]\nA = "http://x/a"\n', ".toml", ConfigError, "unknown class-map key(s) colour"),
        ('[paths]\nhops = 1\n[classes]\nA = "http://x/a"\n', ".toml", ConfigError, "unknown [paths] key(s) hops"),
        ('[paths]\ndirection = "up"\n[classes]\nA = "http://x/a"\n', ".toml", ConfigError, "direction"),
        ('[paths]\nmax_hops = "3"\n[classes]\nA = "http://x/a"\n', ".toml", ConfigError, "max_hops must be a positive integer"),
        ('[classes]\nA = "Positive"\n', ".toml", ConfigError, "not an IRI"),
        ('[classes]\nA = "http://x/a b"\n', ".toml", ConfigError, "not an IRI"),
        ('[classes]\nA = []\n', ".toml", ConfigError, "non-empty list"),
        ('name = "x"\n', ".toml", ConfigError, "non-empty [classes]"),
    ],
)
def test_bad_maps_are_refused_with_a_clear_message(tmp_path, content, suffix, error, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(error) as info:
        load_class_map(path)
    assert message in info.value.user_message()
    assert str(path) in info.value.user_message()


def test_missing_map_file(tmp_path):
    with pytest.raises(DataError, match="class map file not found"):
        load_class_map(tmp_path / "none.toml")
