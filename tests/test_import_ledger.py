"""The embedded store's import ledger: a file imported whole is not read again, until something is removed."""

from __future__ import annotations

import logging

import pyoxigraph as ox
import pytest

import kg.embedded
from core.errors import ParseError
from kg.embedded import EmbeddedStore
from kg.import_ledger import LEDGER
from kg.sparql_query import run_sparql

NT = "".join(f"<http://e/s{i}> <http://e/p> <http://e/o{i}> .\n" for i in range(30))


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.nt"
    path.write_text(NT, encoding="utf-8")
    return path


def _skipped(store, path) -> bool:
    return store.import_file(path).extra["skipped"]


def test_a_recorded_file_is_not_read_again_even_renamed(tmp_path, data):
    copy = tmp_path / "copy.nt"
    copy.write_bytes(data.read_bytes())
    with EmbeddedStore(tmp_path / "store") as store:
        assert not _skipped(store, data)
        assert _skipped(store, data) and _skipped(store, copy)
        data.write_text(NT + "<http://e/new> <http://e/p> <http://e/o0> .\n", encoding="utf-8")
        edited = store.import_file(data)  # new bytes, a new import
        assert (edited.extra["skipped"], edited.triples_added) == (False, 1)


def test_a_removal_forgets_the_ledger_and_the_next_import_restores(tmp_path, data):
    quad = ox.Quad(ox.NamedNode("http://e/s3"), ox.NamedNode("http://e/p"), ox.NamedNode("http://e/o3"))
    with EmbeddedStore(tmp_path / "store") as store:
        store.import_file(data)
        store.remove_quads([quad])
        assert not (store.directory / LEDGER).exists()
        again = store.import_file(data)
        assert (again.extra["skipped"], again.triples_added, store.count()) == (False, 1, 30)


def test_a_sparql_update_forgets_the_ledger(tmp_path, data):
    with EmbeddedStore(tmp_path / "store") as store:
        store.import_file(data)
        run_sparql(store, "DELETE WHERE { <http://e/s4> ?p ?o }", write=True)
        assert store.count() == 29
        again = store.import_file(data)
        assert (again.extra["skipped"], again.triples_added) == (False, 1)


def test_relative_iris_resolved_against_another_base_are_another_import(tmp_path):
    ttl = "<a> <http://e/p> <b> .\n"
    one, other = tmp_path / "one", tmp_path / "other"
    for directory in (one, other):
        directory.mkdir()
        (directory / "data.ttl").write_text(ttl, encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        assert store.import_file(one / "data.ttl").triples_added == 1
        assert store.import_file(other / "data.ttl").triples_added == 1  # other IRIs: read again
        assert _skipped(store, one / "data.ttl")
        assert store.import_file(one / "data.ttl", base_iri="http://x/").triples_added == 1


def test_a_rolled_back_import_loses_the_ledger_not_the_data(tmp_path, data, monkeypatch):
    monkeypatch.setattr(kg.embedded, "BUFFER_QUADS", 10)  # the journaled bulk path
    bad = tmp_path / "bad.nt"
    bad.write_text(NT + "<http://e/x> <http://e/p> oops .\n", encoding="utf-8")
    with EmbeddedStore(tmp_path / "store") as store:
        store.import_file(data)
        with pytest.raises(ParseError):
            store.import_file(bad)
        again = store.import_file(data)
        assert (again.extra["skipped"], again.triples_added, store.count()) == (False, 0, 30)
        assert _skipped(store, data)


def test_an_unreadable_ledger_means_a_full_import(tmp_path, data, caplog):
    with EmbeddedStore(tmp_path / "store") as store:
        store.import_file(data)
        (store.directory / LEDGER).write_text("{not json", encoding="utf-8")
        with caplog.at_level(logging.WARNING):
            again = store.import_file(data)
        assert (again.extra["skipped"], again.triples_added) == (False, 0)
        assert "unreadable" in caplog.text
        assert _skipped(store, data)
