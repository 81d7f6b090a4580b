"""Embedded-store specifics: the import paths for small and large files, formats, locking."""

from __future__ import annotations

import gzip

import pytest

import kg.bulk_load
import kg.embedded
from kg.embedded import EmbeddedStore
from kg.import_ledger import ImportLedger
from core.errors import ParseError, StoreError
from kg.parse import detect_format

NT = "".join(f'<http://e/s{i}> <http://e/p> "v{i}" .\n' for i in range(50))
NT_BNODES = NT + '_:b <http://e/p> <http://e/s1> .\n<http://e/s2> <http://e/q> _:b .\n'
# Comments, blank and indented lines, CRLF ends and no final newline: still 50 statements.
_LINES = NT.splitlines()
NT_LAYOUT = ("# a comment\n\n" + "\n".join(_LINES[:10]) + "\n   \n\t# indented comment\r\n"
             + " . # trailing\r\n".join(line.removesuffix(" .") for line in _LINES[10:]) + " .")


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
        monkeypatch.setattr(kg.bulk_load, "CHUNK_BYTES", 100)
        monkeypatch.setattr(kg.bulk_load, "LOAD_THREADS", 3)
    return request.param


@pytest.mark.parametrize("content,expected", [(NT, 50), (NT_BNODES, 52), (NT_LAYOUT, 50)])
def test_every_import_path_is_complete_and_idempotent(import_path, tmp_path, content, expected):
    path = tmp_path / "data.nt"
    path.write_text(content, encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        assert store.import_file(path).triples_added == expected
        again = store.import_file(path)
        assert (again.triples_read, again.triples_added, again.extra["skipped"]) == (expected, 0, True)
        ImportLedger(store.directory).forget()  # the whole way again: the loader adds nothing either
        full = store.import_file(path)
        assert (full.triples_read, full.triples_added, full.extra["skipped"]) == (expected, 0, False)
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


def test_readers_share_the_store_and_a_writer_has_it_alone(tmp_path):
    from kg.store_lock import LOCK_FILE

    EmbeddedStore(tmp_path / "store").close()
    with EmbeddedStore(tmp_path / "store", read_only=True) as one, EmbeddedStore(tmp_path / "store", read_only=True):
        assert one.count() == 0
        with pytest.raises(StoreError, match="in use by another process"):
            EmbeddedStore(tmp_path / "store")
    with EmbeddedStore(tmp_path / "store"), pytest.raises(StoreError, match="in use by another process"):
        EmbeddedStore(tmp_path / "store", read_only=True)
    # A lock file left alone (a first open that failed) does not make a new directory foreign.
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / LOCK_FILE).touch()
    EmbeddedStore(tmp_path / "new").close()


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


def _crashed_import(tmp_path):
    """A store of 50 triples, then an import that wrote 10 more and died (journal and rollback copy left)."""
    import pyoxigraph as ox

    from kg.import_journal import ImportJournal

    data = tmp_path / "data.nt"
    data.write_text(NT, encoding="utf-8")
    store = EmbeddedStore(tmp_path / "store")
    store.import_file(data)
    ImportJournal(store.directory).begin(store.oxigraph, tmp_path / "big.nt")
    store.oxigraph.bulk_extend([ox.Quad(ox.NamedNode(f"http://e/new{i}"), ox.NamedNode("http://e/p"),
                                        ox.Literal("x")) for i in range(10)])
    store.oxigraph.flush()
    store.close()  # no commit: as after a SIGKILL
    return tmp_path / "store"


def _leftovers(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("read_only", [False, True])
def test_an_import_cut_short_is_rolled_back_when_the_store_is_opened(tmp_path, read_only):
    from kg.import_journal import JOURNAL

    directory = _crashed_import(tmp_path)
    assert (directory / JOURNAL).exists() and _leftovers(tmp_path) == [".store.kgft-rollback"]
    with EmbeddedStore(directory, read_only=read_only) as store:
        assert store.count() == 50
    assert not (directory / JOURNAL).exists() and _leftovers(tmp_path) == []


def test_a_rollback_cut_short_is_finished_when_the_store_is_opened(tmp_path):
    import os

    directory = _crashed_import(tmp_path)
    os.replace(directory, tmp_path / ".store.kgft-discard")  # died between the two renames of the swap
    with EmbeddedStore(directory) as store:
        assert store.count() == 50
    assert _leftovers(tmp_path) == []


def test_a_committed_import_keeps_its_triples_and_drops_the_rollback_copy(tmp_path):
    from kg.import_journal import JOURNAL

    directory = _crashed_import(tmp_path)
    (directory / JOURNAL).unlink()  # died after the commit, before deleting the rollback copy
    with EmbeddedStore(directory) as store:
        assert store.count() == 60
    assert _leftovers(tmp_path) == []


def test_a_journal_without_its_rollback_copy_is_reported(tmp_path):
    import shutil

    directory = _crashed_import(tmp_path)
    shutil.rmtree(tmp_path / ".store.kgft-rollback")
    with pytest.raises(StoreError, match="rollback copy .* is gone"):
        EmbeddedStore(directory)


def test_a_large_import_leaves_no_journal_or_rollback_copy(import_path, tmp_path):
    from kg.import_journal import JOURNAL

    path = tmp_path / "data.nt"
    path.write_text(NT_BNODES, encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        store.import_file(path)
    assert not (tmp_path / "store" / JOURNAL).exists() and _leftovers(tmp_path) == []


TYPED = (
    '<http://e/a> <http://e/p> "1.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
    '<http://e/a> <http://e/p> "+1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    '<http://e/a> <http://e/q> "1E0"^^<http://www.w3.org/2001/XMLSchema#double> .\n'
    '<http://e/a> <http://e/q> "1"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n'
    '<http://e/a> <http://e/q> "2024-01-01T00:00:00+00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    '<http://e/a> <http://e/r> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
)


def test_every_import_path_exports_literals_exactly_as_written(import_path, tmp_path):
    """Oxigraph stores values ("1.0" -> "1"); export gives back the lexical forms of the file."""
    from kg.export import export_store

    data, out = tmp_path / "typed.nt", tmp_path / "out.nt"
    data.write_text(NT + TYPED, encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        result = store.import_file(data)
        export_store(store, out, "nt")
        # Queries see values: "+1"^^xsd:integer and "1.0"^^xsd:decimal both equal 1.
        query = "SELECT (COUNT(*) AS ?n) WHERE { <http://e/a> <http://e/p> ?o FILTER(?o = 1) }"
        assert int(next(iter(store.oxigraph.query(query)))["n"].value) == 2
        assert store.count() == result.triples_added == 56
    exported = out.read_text(encoding="utf-8").splitlines()
    assert sorted(exported) == sorted((NT + TYPED).splitlines())


def _integer(lexical: str) -> str:
    return f'<http://e/a> <http://e/p> "{lexical}"^^<http://www.w3.org/2001/XMLSchema#integer> .'


@pytest.mark.parametrize("files", [[["1", "+1"]], [["1"], ["+1"]], [["+1"], ["1"]], [["01"], ["+1"]],
                                   [["01", "+1"], ["1"]]], ids=str)
def test_forms_of_one_value_all_come_back(tmp_path, files):
    """"1", "01" and "+1"^^xsd:integer are one stored value but three RDF terms, in one file or several."""
    from kg.export import export_store

    out = tmp_path / "out.nt"
    with EmbeddedStore(tmp_path / "store") as store:
        for number, forms in enumerate(files):
            data = tmp_path / f"part{number}.nt"
            data.write_text("".join(_integer(form) + "\n" for form in forms), encoding="utf-8")
            store.import_file(data)
        assert store.count() == 1
        export_store(store, out, "nt")
    written = sorted({_integer(form) for forms in files for form in forms})
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == written
