"""Dataset registry, fetching through a mirror or download, checksums, safe extraction."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from cli import cli
from core import settings
from core.data import DATASETS, DataFile, Dataset, cache_state, fetch, safe_extract, sha256_file
from core.data import registry
from core.errors import ChecksumError, DataError


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar_gz(path: Path, members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A registry entry 'toy' (a text file and a tarball) and a temporary mirror holding it."""
    mirror = tmp_path / "mirror"
    text = b"hello kgft\n"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "hello.txt").write_bytes(text)
    archive = _tar_gz(mirror / "toy" / "pack.tar.gz", {"pack/a.txt": b"A", "pack/skip/b.txt": b"B"})
    ds = Dataset(
        "toy",
        "a toy dataset",
        (
            DataFile("toy/hello.txt", _sha(text), len(text), url="http://127.0.0.1:9/hello.txt"),
            DataFile("toy/pack.tar.gz", _sha(archive), len(archive), url=None, extract=True, root="pack",
                     exclude=("pack/skip/*", "pack/skip"), repack="toy repack note"),
        ),
        "https://example.org/toy",
        "CC0",
    )
    monkeypatch.setitem(registry.DATASETS, "toy", ds)
    monkeypatch.setenv("KGFT_DATA_MIRROR", str(mirror))
    return mirror


# ------------------------------------------------------------------ registry
def test_registry_matches_mirror_checksums(mirror):
    sums = {}
    for line in (mirror / "SHA256SUMS").read_text().splitlines():
        sha, path = line.split()
        sums[path] = sha
    registered = {f.path: f.sha256 for ds in DATASETS.values() for f in ds.files}
    assert registered == sums
    for ds in DATASETS.values():
        for f in ds.files:
            assert (mirror / f.path).stat().st_size == f.size, f.path
    expected = {"imdb", "mr", "ohsumed", "mesh-2017", "opinion-lexicon", "wn18rr", "umls", "kinship",
                "nations", "pizza"}
    assert set(DATASETS) == expected


def test_imdb_registry_documents_the_repack():
    (f,) = DATASETS["imdb"].files
    assert f.repack and "unsup" in f.repack
    assert f.upstream_sha256 and f.upstream_sha256 != f.sha256
    assert set(f.known_checksums()) == {f.sha256, f.upstream_sha256}
    assert f.url.endswith("aclImdb_v1.tar.gz")


def test_unknown_name_lists_choices():
    with pytest.raises(DataError, match="unknown dataset 'nope'; choices: imdb, kinship"):
        fetch("nope")


# ------------------------------------------------------------------ mirror
def test_fetch_from_temp_mirror_extracts_once(toy):
    result = fetch("toy")
    home = settings.data_dir()
    assert result.source == "mirror"
    assert result.files["toy/hello.txt"] == home / "toy" / "hello.txt"
    assert (home / "toy" / "hello.txt").read_bytes() == b"hello kgft\n"
    root = result.extracted["toy/pack.tar.gz"]
    assert root == home / "toy" / "pack" and (root / "a.txt").read_text() == "A"
    assert not (root / "skip").exists(), "excluded members must not be unpacked"
    assert result.paths == [home / "toy" / "hello.txt", root]
    assert cache_state("toy") == "yes"
    stamp = (root / "a.txt").stat().st_mtime_ns
    again = fetch("toy")
    assert again.source == "cache"
    assert (root / "a.txt").stat().st_mtime_ns == stamp, "second fetch must not unpack again"
    assert not list(home.glob("toy/*.incoming")) and not list(home.glob("toy/.*.partial"))


def test_fetch_real_mirror(mirror):
    result = fetch("nations")
    assert result.source == "mirror"
    for f in DATASETS["nations"].files:
        assert sha256_file(result.files[f.path]) == f.sha256
    assert fetch("nations").source == "cache"
    assert cache_state("nations") == "yes" and cache_state("pizza") == "no"


def test_mirror_checksum_mismatch_is_refused(toy):
    (toy / "toy" / "hello.txt").write_bytes(b"tampered\n")
    with pytest.raises(ChecksumError) as info:
        fetch("toy")
    err = info.value
    msg = err.user_message()
    assert str(toy / "toy" / "hello.txt") in msg
    assert err.expected.startswith(_sha(b"hello kgft\n")) and err.actual == _sha(b"tampered\n")
    assert err.actual in msg and "not used" in msg
    local = settings.data_dir() / "toy"
    assert not (local / "hello.txt").exists()
    assert not [p for p in local.iterdir() if "incoming" in p.name]


def test_repack_mismatch_message_explains(toy):
    (toy / "toy" / "pack.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(ChecksumError, match="toy repack note"):
        fetch("toy")


def test_corrupt_cache_is_quarantined_and_refetched(toy):
    fetch("toy")
    local = settings.data_dir() / "toy" / "hello.txt"
    local.write_bytes(b"bit rot\n")
    fetch("toy")
    assert local.read_bytes() == b"hello kgft\n"
    assert local.with_name("hello.txt.corrupt").read_bytes() == b"bit rot\n"


def test_mirror_missing_file(toy):
    (toy / "toy" / "hello.txt").unlink()
    with pytest.raises(DataError, match="has no toy/hello.txt"):
        fetch("toy")


# ------------------------------------------------------------------ network
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_without_mirror_is_one_clear_error(toy, monkeypatch):
    monkeypatch.delenv("KGFT_DATA_MIRROR")
    url = f"http://127.0.0.1:{_free_port()}/hello.txt"  # nothing listens there
    entry = registry.DATASETS["toy"]
    files = (DataFile("toy/hello.txt", entry.files[0].sha256, 11, url=url),)
    monkeypatch.setitem(registry.DATASETS, "toy", Dataset("toy", "t", files, "h", "l"))
    with pytest.raises(DataError) as info:
        fetch("toy")
    msg = info.value.user_message()
    assert f"cannot download toy/hello.txt from {url}" in msg
    assert "KGFT_DATA_MIRROR" in msg
    assert not list(settings.data_dir().rglob("*.part"))


def test_no_single_file_download_needs_a_mirror(toy, monkeypatch):
    monkeypatch.delenv("KGFT_DATA_MIRROR")
    fetch_files = registry.DATASETS["toy"].files[1:]
    monkeypatch.setitem(registry.DATASETS, "toy", Dataset("toy", "t", fetch_files, "h", "l"))
    with pytest.raises(DataError, match="cannot be downloaded: toy repack note.*KGFT_DATA_MIRROR"):
        fetch("toy")


@pytest.fixture
def http_dir(tmp_path):
    """A local HTTP server (no real network) serving a temporary directory."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_verifies_and_reads_archive_members(http_dir, monkeypatch):
    root, base = http_dir
    monkeypatch.delenv("KGFT_DATA_MIRROR", raising=False)
    words = b"good\ngreat\n"
    (root / "words.txt").write_bytes(words)
    with zipfile.ZipFile(root / "lex.zip", "w") as zf:
        zf.writestr("lex/pos.txt", words)
    files = (
        DataFile("dl/words.txt", _sha(words), len(words), url=f"{base}/words.txt"),
        DataFile("dl/pos.txt", _sha(words), len(words), url=f"{base}/lex.zip", member="lex/pos.txt"),
    )
    monkeypatch.setitem(registry.DATASETS, "dl", Dataset("dl", "d", files, "h", "l"))
    result = fetch("dl")
    assert result.source == "download"
    assert result.files["dl/words.txt"].read_bytes() == words
    assert result.files["dl/pos.txt"].read_bytes() == words
    # upstream serves something else now: a fresh download is refused, not used
    (root / "words.txt").write_bytes(b"changed\n")
    result.files["dl/words.txt"].unlink()
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        fetch("dl")
    assert not result.files["dl/words.txt"].exists()


# ------------------------------------------------------------------ extraction
def _malicious_tar(path: Path, kind: str) -> None:
    with tarfile.open(path, "w:gz") as tf:
        ok = tarfile.TarInfo("pkg/ok.txt")
        ok.size = 2
        tf.addfile(ok, io.BytesIO(b"ok"))
        if kind in ("dotdot", "absolute"):
            evil = tarfile.TarInfo("../evil.txt" if kind == "dotdot" else "/tmp/kgft-evil.txt")
            evil.size = 4
            tf.addfile(evil, io.BytesIO(b"evil"))
        else:
            link = tarfile.TarInfo("pkg/link")
            link.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
            link.linkname = "../../outside" if kind == "symlink" else "../outside"
            tf.addfile(link)


@pytest.mark.parametrize(
    "kind,message",
    [("dotdot", "escapes the target"), ("absolute", "absolute path"),
     ("symlink", "symlink 'pkg/link' points outside"), ("hardlink", "hard link 'pkg/link' points outside")],
)
def test_unsafe_tar_members_are_refused(tmp_path, kind, message):
    archive = tmp_path / "bad.tar.gz"
    _malicious_tar(archive, kind)
    dest = tmp_path / "out"
    with pytest.raises(DataError, match=message):
        safe_extract(archive, dest)
    assert not (tmp_path / "evil.txt").exists()
    assert not list(dest.rglob("*")), "nothing may be extracted from a malicious archive"


def test_unsafe_zip_member_is_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", "ok")
        zf.writestr("../evil.txt", "evil")
    with pytest.raises(DataError, match="escapes the target"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_safe_extract_root_must_exist(tmp_path):
    archive = tmp_path / "a.tar.gz"
    _tar_gz(archive, {"other/x.txt": b"x"})
    with pytest.raises(DataError, match="expected directory pack/"):
        safe_extract(archive, tmp_path / "out", root="pack")


# ------------------------------------------------------------------ CLI
def test_cli_data_list(runner, toy):
    result = runner.invoke(cli, ["data", "list"])
    assert result.exit_code == 0, result.output
    for name in ("imdb", "mr", "ohsumed", "mesh-2017", "opinion-lexicon", "wn18rr", "pizza", "toy"):
        assert name in result.output
    assert "CACHED" in result.output
    data = json.loads(runner.invoke(cli, ["data", "list", "--json"]).output)
    assert {row["name"]: row["cached"] for row in data}["toy"] == "no"


def test_cli_data_fetch(runner, toy):
    result = runner.invoke(cli, ["data", "fetch", "toy", "--json", "-q"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["source"] == "mirror"
    assert out["paths"] == [str(settings.data_dir() / "toy/hello.txt"), str(settings.data_dir() / "toy/pack")]
    plain = runner.invoke(cli, ["data", "fetch", "toy"])
    assert plain.exit_code == 0 and plain.output.splitlines()[0].endswith("toy/hello.txt")
    assert "yes" in runner.invoke(cli, ["data", "list"]).output


def test_cli_data_errors(runner, toy):
    result = runner.invoke(cli, ["data", "fetch", "nope"])
    assert result.exit_code == 1
    assert "unknown dataset 'nope'; choices: imdb" in result.output
    (toy / "toy" / "hello.txt").write_bytes(b"tampered\n")
    result = runner.invoke(cli, ["data", "fetch", "toy"])
    assert result.exit_code == 1
    assert "checksum mismatch" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_fetch_real_mirror(runner, mirror):
    result = runner.invoke(cli, ["data", "fetch", "pizza"])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.name == "pizza.owl" and sha256_file(path) == DATASETS["pizza"].files[0].sha256
