"""RDF/XML entity declarations: nested and external entities refused with file:line, expansion bounded."""

from __future__ import annotations

import time

import pytest

import kg.xml_safety
from cli import cli

RDF_OPEN = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">\n'
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY a "' + "a" * 51 + '">\n'
          + "".join(f' <!ENTITY {n} "{("&" + p + ";") * 10}">\n' for p, n in zip("abcdefg", "bcdefgh"))
          + "]>\n" + RDF_OPEN
          + '<rdf:Description rdf:about="http://e/s"><e:p>&h;</e:p></rdf:Description>\n</rdf:RDF>\n')


def _import(runner, tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, runner.invoke(cli, ["ontology", "import", str(path), "--store", str(tmp_path / "store"), "-q"])


def _stored(tmp_path) -> int:
    from kg.embedded import EmbeddedStore

    with EmbeddedStore(tmp_path / "store", read_only=True) as store:
        return store.count()


def test_billion_laughs_is_refused_quickly_with_its_line(runner, tmp_path):
    assert len(LAUGHS.encode()) < 1000  # 10^7 copies of "a" x 51 bytes: 510 MB if expanded
    start = time.perf_counter()
    path, result = _import(runner, tmp_path, "laughs.rdf", LAUGHS)
    assert time.perf_counter() - start < 5
    assert result.exit_code == 1
    assert f"{path}:4:" in result.output and "entity expansion not allowed" in result.output
    assert _stored(tmp_path) == 0


def test_an_external_entity_is_refused_with_its_line(runner, tmp_path):
    text = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n' + RDF_OPEN
            + '<rdf:Description rdf:about="http://e/s"><e:p>&x;</e:p></rdf:Description>\n</rdf:RDF>\n')
    path, result = _import(runner, tmp_path, "external.rdf", text)
    assert result.exit_code == 1
    assert f"{path}:3:" in result.output and "external entity not allowed" in result.output
    assert "root:" not in result.output
    assert _stored(tmp_path) == 0


def test_plain_abbreviations_as_in_owl_files_are_read(runner, tmp_path):
    text = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY owl "http://www.w3.org/2002/07/owl#">\n'
            ' <!ENTITY e "http://e/">\n]>\n' + RDF_OPEN
            + '<owl:Class xmlns:owl="&owl;" rdf:about="&e;Dog"><e:note>a &e; thing</e:note></owl:Class>\n</rdf:RDF>\n')
    _, result = _import(runner, tmp_path, "owl.rdf", text)
    assert result.exit_code == 0, result.output
    assert "2 triples read" in result.output


def test_expansion_beyond_the_limit_is_refused(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(kg.xml_safety, "MIN_EXPANSION_BYTES", 10_000)
    text = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY big "' + "x" * 1000 + '">\n]>\n' + RDF_OPEN
            + '<rdf:Description rdf:about="http://e/s">\n<e:p>' + "&big;" * 200 + "</e:p>\n</rdf:Description>\n"
            "</rdf:RDF>\n")
    path, result = _import(runner, tmp_path, "quadratic.rdf", text)
    assert result.exit_code == 1
    assert f"{path}:7:" in result.output and "entity expansion limit exceeded" in result.output
    assert _stored(tmp_path) == 0


@pytest.mark.parametrize("prolog", ["<!-- made by hand -->\n", '<?xml-stylesheet href="x.xsl"?>\n',
                                    "<!DOCTYPE rdf:RDF>\n"])
def test_xml_is_recognised_after_a_comment_pi_or_doctype(runner, tmp_path, prolog):
    """Also without a telling extension (sniffed), and a .rdf file is RDF/XML whatever it starts with."""
    body = RDF_OPEN + '<rdf:Description rdf:about="http://e/s"><e:p>v</e:p></rdf:Description>\n</rdf:RDF>\n'
    for name in ("data.rdf", "data.txt"):
        _, result = _import(runner, tmp_path, name, prolog + body)
        assert result.exit_code == 0, result.output
        assert "(rdfxml," in result.output


def test_rdfxml_errors_without_a_parser_position_get_a_line(runner, tmp_path):
    text = ('<?xml version="1.0"?>\n' + RDF_OPEN + '<rdf:Description rdf:about="http://e/a">\n  <e:p>v</e:p>\n'
            '</rdf:Description>\n<rdf:Description rdf:aboutEach="http://e/b">\n  <e:p>v</e:p>\n'
            "</rdf:Description>\n</rdf:RDF>\n")
    path, result = _import(runner, tmp_path, "bad.rdf", text)
    assert result.exit_code == 1
    assert f"{path}:6: " in result.output and "aboutEach" in result.output
