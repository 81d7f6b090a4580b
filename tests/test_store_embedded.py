"""Embedded-store specifics: the import paths for small and large files, formats, locking."""

from __future__ import annotations

import gzip

import pytest

import kg.embedded
from kg.embedded import EmbeddedStore
from kg.errors import ParseError, StoreError
from kg.parse import detect_format

NT = "".join(f'<http://e/s{i}> <http://e/p> "v{i}" .\n' for i in range(50))
NT_BNODES = NT + '_:b <http://e/p> <http://e/s1> .\n<http://e/s2> <http://e/q> _:b .\n'


@pytest.fixture(params=["transaction", "bulk-buffer", "validate-then-bulk", "concurrent-chunks"])
def import_path(request, monkeypatch):
    """Force each of the import strategies on tiny files."""
    if request.param == "bulk-buffer":
        monkeypatch.setattr(kg.embedded, "TRANSACTION_QUADS", 5)
    elif request.param == "validate-then-bulk":
        monkeypatch.setattr(kg.embedded, "BUFFER_QUADS", 10)
    elif request.param == "concurrent-chunks":
        # ~100-byte chunks: many bulk loads in flight on several threads.
        monkeypatch.setattr(kg.embedded, "BUFFER_QUADS", 10)
        monkeypatch.setattr(kg.embedded, "CHUNK_BYTES", 100)
        monkeypatch.setattr(kg.embedded, "LOAD_THREADS", 3)
    return request.param


@pytest.mark.parametrize("content,expected", [(NT, 50), (NT_BNODES, 52)])
def test_every_import_path_is_complete_and_idempotent(import_path, tmp_path, content, expected):
    path = tmp_path / "data.nt"
    path.write_text(content, encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        assert store.import_file(path).triples_added == expected
        assert store.import_file(path).triples_added == 0
        assert store.count() == expected


def test_every_import_path_is_all_or_nothing(import_path, tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text(NT + "<http://e/x> <http://e/p> oops .\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        with pytest.raises(ParseError) as info:
            store.import_file(bad)
        assert info.value.line == 51
        assert store.count() == 0


def test_a_failed_import_keeps_what_the_store_held(import_path, tmp_path):
    """Into a non-empty store nothing of a bad file lands, and nothing already there is lost."""
    good, bad = tmp_path / "good.nt", tmp_path / "bad.nt"
    good.write_text("<http://e/keep> <http://e/p> <http://e/s0> .\n", encoding="utf-8")
    bad.write_text(NT + "<http://e/x> <http://e/p> oops .\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        store.import_file(good)
        with pytest.raises(ParseError):
            store.import_file(bad)
        assert store.count() == 1
        bad.write_text(NT, encoding="utf-8")  # fixed: now it imports in full
        assert store.import_file(bad).triples_added == 50


def test_gzip_and_bom_and_content_sniffing(tmp_path):
    gz = tmp_path / "data.nt.gz"
    gz.write_bytes(gzip.compress(b"\xef\xbb\xbf" + NT.encode()))
    odd = tmp_path / "data.txt"
    odd.write_text('@prefix : <http://e/> .\n:a :b "c" .\n', encoding="utf-8")
    assert detect_format(gz) == "nt"
    assert detect_format(odd) == "turtle"
    with EmbeddedStore(tmp_path / "store") as store:
        assert store.import_file(gz).triples_added == 50
        assert store.import_file(odd).triples_added == 1


@pytest.mark.parametrize(
    "name,content,fmt",
    [
        ("x.nq", '<http://e/a> <http://e/b> "c" <http://e/g> .\n', "nquads"),
        ("x.trig", '@prefix : <http://e/> .\n:g { :a :b "c" . }\n', "trig"),
        ("x.jsonld", '{"@id": "http://e/a", "http://e/b": "c"}', "jsonld"),
        ("x.rdf", '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                  'xmlns:e="http://e/"><rdf:Description rdf:about="http://e/a"><e:b>c</e:b>'
                  '</rdf:Description></rdf:RDF>\n', "rdfxml"),
    ],
)
def test_other_formats_merge_into_one_graph(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        result = store.import_file(path)
        assert (result.format, result.triples_added) == (fmt, 1)
        assert [tuple(map(str, t)) for t in store.triples()] == [("http://e/a", "http://e/b", "c")]


def test_rdfxml_error_has_a_line(tmp_path):
    bad = tmp_path / "bad.owl"
    bad.write_text('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
                   '<rdf:Description rdf:about="http://e/a">\n</rdf:RDF>\n', encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store, pytest.raises(ParseError) as info:
        store.import_file(bad)
    assert info.value.line == 4


def test_store_is_locked_while_open(tmp_path):
    with EmbeddedStore(tmp_path / "store"):
        with pytest.raises(StoreError, match="in use"):
            EmbeddedStore(tmp_path / "store")
    EmbeddedStore(tmp_path / "store").close()  # released on close


def test_refuses_a_directory_that_is_not_a_store(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(StoreError, match="not a kgft store"):
        EmbeddedStore(tmp_path / "docs")


def test_line_chunks_and_blank_node_scan(tmp_path):
    from kg.parse import has_blank_node_labels, iter_line_chunks

    plain, blank = tmp_path / "a.nt", tmp_path / "b.nt"
    plain.write_bytes(b"\xef\xbb\xbf" + NT.encode())
    blank.write_text(NT_BNODES, encoding="utf-8")
    chunks = list(iter_line_chunks(plain, size=100))
    assert b"".join(chunks) == NT.encode()
    assert all(c.endswith(b"\n") for c in chunks) and len(chunks) > 5
    assert not has_blank_node_labels(plain)
    assert has_blank_node_labels(blank)


def test_byte_scan_finds_a_needle_split_across_two_reads(tmp_path):
    from kg.parse import contains_any, has_blank_node_labels

    path = tmp_path / "big.nt"
    block = 1 << 22  # the scan's read size
    path.write_bytes(b"x" * (block - 1) + b"_:" + b"y" * 10)  # "_" ends the first read, ":" starts the next
    assert has_blank_node_labels(path)
    assert contains_any(path, (b"\r", b"_:"))
    assert not contains_any(path, (b"\r", b"::"))
