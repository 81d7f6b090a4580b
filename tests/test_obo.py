"""OBO flat files (kg.obo): imported as the triples of the ontology's own OWL release."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from cli import cli

UO = Path(__file__).parent / "data" / "uo"

#: Every non-blank statement about a class, and its existential restrictions.
CLASS_FACTS = "SELECT ?c ?p ?o WHERE { ?c a owl:Class ; ?p ?o FILTER(!isBlank(?o)) }"
RESTRICTIONS = ("SELECT ?c ?r ?v WHERE { ?c a owl:Class ; rdfs:subClassOf ?x . "
                "?x a owl:Restriction ; owl:onProperty ?r ; owl:someValuesFrom ?v }")

TOY = """format-version: 1.4
idspace: TOY {ns}TOY_ "test terms"
ontology: {onto}

[Term]
id: TOY:0000001
name: animal
synonym: "beast" BROAD []
synonym: "creature" RELATED []
synonym: "fauna member" NARROW []
xref: Wikipedia:Animal
comment: kingdom Animalia

[Term]
id: TOY:0000002
name: dog
def: "A domesticated canid." [TOY:curator]
synonym: "hound" EXACT []
is_a: TOY:0000001 ! animal
relationship: part_of TOY:0000003

[Term]
id: TOY:0000003
name: pack
is_obsolete: true

[Typedef]
id: part_of
name: part of
xref: BFO:0000050
"""

BAD = """format-version: 1.4

[Term]
id: TOY:1
name: fine
is_a TOY:2
"""


def invoke(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def rows(runner, store: Path, query: str) -> set[tuple]:
    result = invoke(runner, "query", "sparql", query, "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    return {tuple(row.values()) for row in json.loads(result.output)["rows"]}


def toy(tmp_path: Path, ns: str = "http://kgft.test/obo/", onto: str = "toy", name: str = "toy.obo") -> Path:
    path = tmp_path / name
    path.write_text(TOY.format(ns=ns, onto=onto), encoding="utf-8")
    return path


def test_obo_and_owl_release_of_one_ontology_give_the_same_classes(runner, tmp_path):
    """The UO release as OBO and as its OWL translation: same classes, labels, synonyms, edges."""
    for fmt in ("obo", "owl"):
        result = invoke(runner, "ontology", "import", "-q", UO / f"uo-excerpt.{fmt}", "--store", tmp_path / fmt)
        assert result.exit_code == 0, result.output
    facts = {fmt: rows(runner, tmp_path / fmt, CLASS_FACTS) for fmt in ("obo", "owl")}
    assert facts["obo"] == facts["owl"]
    obo = "http://purl.obolibrary.org/obo/"
    oio = "http://www.geneontology.org/formats/oboInOwl#"
    assert len({c for c, _, _ in facts["obo"]}) == 11
    assert (obo + "UO_0000008", "http://www.w3.org/2000/01/rdf-schema#label", "meter") in facts["obo"]
    assert (obo + "UO_0000008", oio + "hasExactSynonym", "metre") in facts["obo"]
    assert (obo + "UO_0000008", "http://www.w3.org/2000/01/rdf-schema#subClassOf", obo + "UO_0000045") in facts["obo"]
    assert (obo + "UO_0000003", oio + "hasAlternativeId", "UO:0000149") in facts["obo"]
    restrictions = {fmt: rows(runner, tmp_path / fmt, RESTRICTIONS) for fmt in ("obo", "owl")}
    assert restrictions["obo"] == restrictions["owl"] and len(restrictions["obo"]) == 6


def test_obo_mapping_of_synonyms_xrefs_obsolescence_and_shorthands(runner, tmp_path):
    store = tmp_path / "store"
    result = invoke(runner, "ontology", "import", toy(tmp_path), "--store", store)
    assert result.exit_code == 0, result.output
    assert "(obo," in result.output
    ns, oio = "http://kgft.test/obo/TOY_", "http://www.geneontology.org/formats/oboInOwl#"
    facts = rows(runner, store, "SELECT ?c ?p ?o WHERE { ?c ?p ?o FILTER(!isBlank(?o) && !isBlank(?c)) }")
    for expected in [
        (ns + "0000001", oio + "hasBroadSynonym", "beast"),
        (ns + "0000001", oio + "hasRelatedSynonym", "creature"),
        (ns + "0000001", oio + "hasNarrowSynonym", "fauna member"),
        (ns + "0000001", oio + "hasDbXref", "Wikipedia:Animal"),
        (ns + "0000001", "http://www.w3.org/2000/01/rdf-schema#comment", "kingdom Animalia"),
        (ns + "0000002", "http://purl.obolibrary.org/obo/IAO_0000115", "A domesticated canid."),
        (ns + "0000002", oio + "hasExactSynonym", "hound"),
        (ns + "0000003", "http://www.w3.org/2002/07/owl#deprecated", "true"),
        ("http://purl.obolibrary.org/obo/BFO_0000050", "http://www.w3.org/2000/01/rdf-schema#label", "part of"),
    ]:
        assert expected in facts
    # the typedef `part_of` is BFO:0000050 (its xref), as in the OWL releases
    assert rows(runner, store, RESTRICTIONS) == {
        (ns + "0000002", "http://purl.obolibrary.org/obo/BFO_0000050", ns + "0000003")
    }


def test_obo_is_sniffed_without_extension_and_never_written(runner, tmp_path):
    store = tmp_path / "store"
    plain = toy(tmp_path, name="toy-terms.txt")
    result = invoke(runner, "ontology", "import", "-q", plain, "--store", store)
    assert result.exit_code == 0 and "(obo," in result.output, result.output
    result = invoke(runner, "ontology", "export", "--store", store, "--format", "obo", "-o", tmp_path / "x.obo")
    assert result.exit_code == 1
    assert "reads obo files but does not write them" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "x.obo").exists()


@pytest.mark.parametrize("content, where, reason", [
    (BAD.encode(), ":6:1:", "expected EOI, Comment, or TermClause"),
    (BAD.replace("is_a TOY:2", "name: caf\xe9").encode("latin-1"), ":6:10:", "invalid UTF-8"),
], ids=["syntax", "latin-1"])
def test_bad_obo_is_file_line_and_writes_nothing(runner, tmp_path, content, where, reason):
    store = tmp_path / "store"
    assert invoke(runner, "ontology", "import", "-q", toy(tmp_path), "--store", store).exit_code == 0
    before = json.loads(invoke(runner, "ontology", "stats", "--store", store, "--json").output)["triples"]
    bad = tmp_path / "bad.obo"
    bad.write_bytes(content)
    result = invoke(runner, "ontology", "import", bad, "--store", store)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"{bad}{where}" in lines[0] and reason in lines[0] and "(obo)" in lines[0], lines
    after = json.loads(invoke(runner, "ontology", "stats", "--store", store, "--json").output)["triples"]
    assert after == before


@pytest.mark.neo4j
def test_obo_into_neo4j_and_bad_obo_writes_nothing(runner, neo4j_settings, tmp_path):
    from kg.neo4j_store import Neo4jStore
    from kg.parse import file_sha256

    ns, onto = f"http://kgft.test/{uuid.uuid4().hex}/", f"kgfttest{uuid.uuid4().hex}"
    path, bad = toy(tmp_path, ns=ns, onto=onto), tmp_path / "bad.obo"
    bad.write_text(BAD.replace("TOY:", f"{onto.upper()}:"), encoding="utf-8")
    try:
        result = invoke(runner, "ontology", "import", "-q", path, "--neo4j")
        assert result.exit_code == 0, result.output
        query = "MATCH (n:Resource {uri: $uri}) RETURN n[$label] AS label"
        result = invoke(runner, "query", "cypher", query, "--param", f"uri={ns}TOY_0000002",
                        "--param", "label=http://www.w3.org/2000/01/rdf-schema#label", "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["rows"] == [{"label": ["dog"]}]
        result = invoke(runner, "ontology", "import", bad, "--neo4j")
        assert result.exit_code == 1 and f"{bad}:6" in result.output
        count = "MATCH (n:Resource) WHERE n.uri STARTS WITH $p RETURN count(n) AS n"
        result = invoke(runner, "query", "cypher", count, "--param",
                        f"p=http://purl.obolibrary.org/obo/{onto.upper()}_", "--format", "json")
        assert json.loads(result.output)["rows"] == [{"n": 0}]
    finally:
        with Neo4jStore(neo4j_settings) as store:
            store.delete([ns, f"http://purl.obolibrary.org/obo/{onto}", f"bnode://k{file_sha256(path)[:16]}"])
            store.forget_import(file_sha256(path))
