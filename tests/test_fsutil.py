"""Tests for core.fsutil (atomic writes)."""

import json

import pytest

from core.fsutil import atomic_path, atomic_write, write_json_atomic, write_text_atomic


def _leftovers(directory, target):
    return sorted(p.name for p in directory.iterdir() if p.name != target)


def test_write_text_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    assert write_text_atomic(target, "first") == target
    write_text_atomic(target, "second ü")
    assert target.read_text(encoding="utf-8") == "second ü"
    assert _leftovers(target.parent, "out.txt") == []


def test_write_json_passes_kwargs(tmp_path):
    target = tmp_path / "x.json"
    write_json_atomic(target, {"a": [1, 2]}, indent=2)
    assert target.read_text(encoding="utf-8") == json.dumps({"a": [1, 2]}, indent=2)
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": [1, 2]}


def test_write_json_unserializable_keeps_old_file(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert target.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path, "x.json") == []


def test_atomic_write_error_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target, "wb") as handle:
            handle.write(b"partial new content")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, "data.bin") == []


def test_atomic_write_binary_with_fsync(tmp_path):
    target = tmp_path / "data.bin"
    with atomic_write(target, "wb", fsync=True) as handle:
        handle.write(b"\x00\x01")
        assert not target.exists()
    assert target.read_bytes() == b"\x00\x01"


def test_atomic_write_rejects_read_mode(tmp_path):
    with pytest.raises(ValueError, match="modes"):
        with atomic_write(tmp_path / "x", "r"):
            pass


def test_atomic_path_suffix_and_cleanup(tmp_path):
    target = tmp_path / "plot.png"
    with atomic_path(target, suffix=".tmp.png", fsync=True) as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".tmp.png")
        tmp.write_bytes(b"png")
    assert target.read_bytes() == b"png"
    target.write_bytes(b"old")
    with pytest.raises(OSError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"new")
            raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, "plot.png") == []


def test_read_json_errors_name_the_file(tmp_path):
    from core.errors import DataError, ParseError
    from core.fsutil import read_json

    good = write_json_atomic(tmp_path / "ok.json", [1])
    assert read_json(good) == [1]
    with pytest.raises(DataError, match="vocabulary file not found"):
        read_json(tmp_path / "missing.json", "vocabulary file")
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1,\n', encoding="utf-8")
    with pytest.raises(ParseError) as info:
        read_json(bad)
    assert info.value.line == 2
    (tmp_path / "latin.json").write_bytes(b"\xff\xfe")
    with pytest.raises(DataError, match="cannot read file"):
        read_json(tmp_path / "latin.json")

