"""Tokenizer, vocabulary and dataset loaders (synthetic files and the real mirror)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core.errors import ConfigError, DataError, ParseError
from model.text import Example, Tokenizer, Vocab, load_dataset


# ------------------------------------------------------------------ tokenizer
def test_tokenizer_defaults():
    tok = Tokenizer()
    assert tok.tokenize("This movie<br /><br />was GREAT, don't miss it!") == [
        "this", "movie", "was", "great", ",", "don't", "miss", "it", "!"]
    assert tok.tokenize("Cisplatin (7.5 mg/kg) in 1,000 rats") == [
        "cisplatin", "(", "7.5", "mg", "/", "kg", ")", "in", "1,000", "rats"]
    assert tok.tokenize("ＦＵＬＬ width ﬁne") == ["full", "width", "fine"]  # NFKC
    assert tok.tokenize("non-Hodgkin_lymphoma") == ["non", "-", "hodgkin_lymphoma"]
    assert tok.tokenize("") == []


def test_ascii_text_takes_the_fast_pattern_and_gets_the_same_tokens():
    """Every 3-character ASCII string (control characters such as \\x1c-\\x1f included, whitespace
    to Python) splits alike with the ASCII pattern and the Unicode one."""
    import itertools

    from model.text.tokenizer import _ASCII_TOKEN_RE, _TOKEN_RE

    chars = [chr(i) for i in range(128)]
    for a, b in itertools.product(chars, repeat=2):
        texts = [a + b + c for c in chars]
        assert [_ASCII_TOKEN_RE.findall(t) for t in texts] == [_TOKEN_RE.findall(t) for t in texts]
    assert Tokenizer().tokenize("It's 7.5\x1cmg, isn't it?") == ["it's", "7.5", "mg", ",", "isn't", "it", "?"]


def test_tokenizer_options():
    assert Tokenizer(lowercase=False).tokenize("Big Apple") == ["Big", "Apple"]
    assert Tokenizer(numbers="replace").tokenize("won 3 of 4.5") == ["won", "<num>", "of", "<num>"]
    assert Tokenizer(numbers="drop").tokenize("won 3 of 4") == ["won", "of"]
    assert Tokenizer(punctuation=False).tokenize("yes, no!") == ["yes", "no"]
    assert Tokenizer(strip_html=False).tokenize("a<br />b") == ["a", "<", "br", "/", ">", "b"]
    assert Tokenizer(max_tokens=2).tokenize("one two three") == ["one", "two"]
    with pytest.raises(ConfigError, match="numbers mode"):
        Tokenizer(numbers="spell")
    with pytest.raises(ConfigError, match="unicode"):
        Tokenizer(unicode_form="NFX")
    tok = Tokenizer(numbers="replace", lowercase=False)
    assert Tokenizer.from_dict(json.loads(json.dumps(tok.to_dict()))) == tok
    with pytest.raises(ConfigError, match="unknown tokenizer option"):
        Tokenizer.from_dict({"lowercase": True, "stem": True})


# ------------------------------------------------------------------ vocab
def test_vocab_order_and_cutoffs():
    tokens = [["b", "a", "c", "a"], ["b", "d", "a"]]
    vocab = Vocab.build(tokens)
    assert vocab.itos == ["<pad>", "<unk>", "a", "b", "c", "d"]  # freq desc, then token
    assert (vocab.pad_index, vocab.unk_index, len(vocab)) == (0, 1, 6)
    assert Vocab.build(tokens, min_freq=2).itos == ["<pad>", "<unk>", "a", "b"]
    assert Vocab.build(tokens, max_size=3).itos == ["<pad>", "<unk>", "a"]
    ent = Vocab.build(tokens, specials=("<pad>", "<unk>", "<ent>"))
    assert ent.itos[:3] == ["<pad>", "<unk>", "<ent>"] and ent.stoi["a"] == 3
    assert Vocab.build(tokens, specials=("<ent>",)).itos[:3] == ["<pad>", "<unk>", "<ent>"]
    assert vocab.encode(["a", "zzz", "d"]) == [2, 1, 5]
    assert vocab.decode([2, 0, 5, 1]) == ["a", "d", "<unk>"]
    with pytest.raises(DataError, match="outside the vocabulary"):
        vocab.decode([99])
    with pytest.raises(ConfigError):
        Vocab.build(tokens, min_freq=0)
    with pytest.raises(ConfigError):
        Vocab.build(tokens, max_size=1)


def test_vocab_round_trip(tmp_path):
    vocab = Vocab.build([["x", "y", "y", "ünï"]], specials=("<pad>", "<unk>", "<ent>"))
    path = vocab.save(tmp_path / "run" / "vocab.json")
    back = Vocab.load(path)
    assert back == vocab and back.itos == vocab.itos and back.counts == vocab.counts
    assert back.specials == ("<pad>", "<unk>", "<ent>")
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(DataError, match="not a kgft vocabulary"):
        Vocab.load(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text('{"format": \n')
    with pytest.raises(ParseError, match="broken.json:2"):
        Vocab.load(tmp_path / "broken.json")
    with pytest.raises(DataError, match="not found"):
        Vocab.load(tmp_path / "missing.json")


# ------------------------------------------------------------------ tabular files
def _rows(n_per_label: dict[str, int]) -> list[dict]:
    return [{"text": f"{label} text number {i}", "label": label}
            for label, n in n_per_label.items() for i in range(n)]


def _write_csv(path: Path, rows: list[dict], sep: str = ",") -> Path:
    cols = list(rows[0])
    lines = [sep.join(cols)] + [sep.join(str(r[c]) for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_valid_split_is_stratified_and_seeded(tmp_path):
    path = _write_csv(tmp_path / "data.csv", _rows({"good": 60, "bad": 40}))
    ds = load_dataset(path, valid_fraction=0.1, test_fraction=0.2, seed=3)
    assert ds.labels == ["bad", "good"]
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (72, 8, 20)
    assert Counter(ex.label for ex in ds.test) == {1: 12, 0: 8}
    assert Counter(ex.label for ex in ds.valid) == {1: 5, 0: 3}
    assert all(isinstance(ex, Example) for ex in ds.train)
    again = load_dataset(path, valid_fraction=0.1, seed=3)
    assert again.train == ds.train and again.valid == ds.valid and again.test == ds.test
    other = load_dataset(path, valid_fraction=0.1, seed=4)
    assert other.valid != ds.valid
    texts = {ex.text for split in (ds.train, ds.valid, ds.test) for ex in split}
    assert len(texts) == 100, "splits must not overlap or lose rows"


def test_train_fraction_and_caps(tmp_path):
    path = _write_csv(tmp_path / "data.tsv", _rows({"a": 50, "b": 50}), sep="\t")
    ds = load_dataset(path, valid_fraction=0.0, test_fraction=0.2, train_fraction=0.25)
    assert len(ds.valid) == 0 and len(ds.test) == 20
    assert Counter(ex.label for ex in ds.train) == {0: 10, 1: 10}
    capped = load_dataset(path, max_train=10, max_test=4, max_valid=2)
    assert (len(capped.train), len(capped.valid), len(capped.test)) == (10, 2, 4)
    assert set(ex.label for ex in capped.train) == {0, 1}
    with pytest.raises(ConfigError, match="train_fraction"):
        load_dataset(path, train_fraction=1.5)
    with pytest.raises(DataError, match=r"single class \(1 row\(s\) left .* and the subsampling\)") as info:
        load_dataset(path, max_train=1)
    assert info.value.hint == "raise train_fraction or max_train"


def test_a_dataset_too_small_for_its_splits_says_so(tmp_path):
    """Two rows: the test split takes both, with no subsampling asked for; four: training keeps one class."""
    path = _write_csv(tmp_path / "tiny.csv", _rows({"pos": 1, "neg": 1}))
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert info.value.message == ("dataset tiny: training has no rows (0 row(s) left after the test split (2), "
                                  "the validation split (0))")
    assert "add rows" in info.value.hint
    path = _write_csv(tmp_path / "small.csv", _rows({"pos": 3, "neg": 1}))
    with pytest.raises(DataError, match=r"^dataset small: training has a single class \(1 row\(s\) left"):
        load_dataset(path)


def test_split_seed_keeps_the_held_out_examples_while_the_seed_draws_the_training_subsample(tmp_path):
    path = _write_csv(tmp_path / "data.csv", _rows({"good": 60, "bad": 60}))
    runs = [load_dataset(path, valid_fraction=0.1, test_fraction=0.2, train_fraction=0.5, max_test=20, seed=s,
                         split_seed=0) for s in (0, 1)]
    assert runs[0].test == runs[1].test and runs[0].valid == runs[1].valid
    assert runs[0].train != runs[1].train and len(runs[0].train) == len(runs[1].train)
    plain = load_dataset(path, valid_fraction=0.1, test_fraction=0.2, train_fraction=0.5, max_test=20, seed=0)
    assert plain.train == runs[0].train and plain.test == runs[0].test  # split_seed=None: the seed's
    assert load_dataset(path, valid_fraction=0.1, test_fraction=0.2, seed=1).test != plain.test


def test_jsonl_with_split_column_and_custom_columns(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [{"body": f"t{i}", "y": i % 3, "split": "test" if i >= 24 else ("dev" if i >= 21 else "train")}
            for i in range(30)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ds = load_dataset(path, text_column="body", label_column="y")
    assert ds.labels == ["0", "1", "2"]
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (21, 3, 6)
    assert ds.summary()["test"]["per_label"] == {"0": 2, "1": 2, "2": 2}


def test_directory_with_train_and_test_files(tmp_path):
    _write_csv(tmp_path / "train.csv", _rows({"x": 10, "y": 10}))
    _write_csv(tmp_path / "test.csv", _rows({"x": 3, "y": 2}))
    ds = load_dataset(tmp_path, valid_fraction=0.2)
    assert (len(ds.train), len(ds.valid), len(ds.test)) == (16, 4, 5)


def test_bad_data_errors(tmp_path):
    path = _write_csv(tmp_path / "d.csv", _rows({"a": 5, "b": 5}))
    with pytest.raises(DataError, match=r"no column 'review' \(columns: text, label\)"):
        load_dataset(path, text_column="review")
    one = _write_csv(tmp_path / "one.csv", _rows({"a": 10}))
    with pytest.raises(DataError, match="only one class"):
        load_dataset(one)
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\nfine,a\n,b\n  ,a\nok,b\n")
    with pytest.raises(DataError, match=r"2 empty text\(s\) in train: .*empty.csv:3, .*empty.csv:4"):
        load_dataset(empty, test_fraction=0.5)
    _write_csv(tmp_path / "train.csv", _rows({"a": 4, "b": 4}))
    _write_csv(tmp_path / "test.csv", _rows({"a": 2, "c": 1}))
    with pytest.raises(DataError, match=r"test label\(s\) 'c' never occur in training"):
        load_dataset(tmp_path)
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"text": "a", "label": 1}\n{"text": oops}\n')
    with pytest.raises(ParseError, match=r"bad.jsonl:2:\d+: invalid JSON"):
        load_dataset(bad_json)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"text,label\nok,a\ncaf\xe9,b\n")
    with pytest.raises(ParseError, match="latin.csv:3: not valid UTF-8"):
        load_dataset(latin)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("text,label\na,x\nb,y,extra\n")
    with pytest.raises(ParseError, match="ragged.csv:3"):
        load_dataset(ragged)
    with pytest.raises(DataError, match="no dataset 'nosuch'.*imdb, mr, ohsumed"):
        load_dataset("nosuch")
    (tmp_path / "notes.txt").write_text("a\n")
    with pytest.raises(DataError, match="unsupported file type .txt"):
        load_dataset(tmp_path / "notes.txt")


def test_imdb_directory_layout(tmp_path):
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                (folder / f"{i}_{7 if label == 'pos' else 2}.txt").write_text(f"{label} review {i}<br />end")
    (tmp_path / "aclImdb" / "train" / "unsup").mkdir()
    (tmp_path / "aclImdb" / "train" / "unsup" / "0_0.txt").write_text("unlabeled")
    ds = load_dataset(tmp_path / "aclImdb", valid_fraction=0.0)
    assert ds.labels == ["neg", "pos"] and len(ds.train) == 6 and len(ds.test) == 6
    assert ds.train[0] == Example("neg review 0<br />end", 0)


def test_ohsumed_directory_layout(tmp_path):
    root = tmp_path / "ohsumed_single_23"
    for split, n in (("training", 3), ("test", 2)):
        for label in ("C01", "C04"):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{label}{split}{i:04d}").write_text(f"Title {i}.\n Abstract sentence\n")
    ds = load_dataset(root, valid_fraction=0.0)
    assert ds.labels == ["C01", "C04"] and (len(ds.train), len(ds.test)) == (6, 4)
    assert ds.train[0].text == "Title 0. Abstract sentence"


# ------------------------------------------------------------------ real data (mirror)
def test_mr_textgcn_split(mirror):
    ds = load_dataset("mr", valid_fraction=0.1)
    assert ds.labels == ["neg", "pos"]
    assert len(ds.train) + len(ds.valid) == 7108 and len(ds.test) == 3554
    assert len(ds.valid) == 710  # round(0.1 * 3554) per class
    assert Counter(ex.label for ex in ds.test) == {0: 1777, 1: 1777}
    assert ds.train[0].text == "idiotic and ugly ."  # line 2 of mr.txt (line 1 went to valid)


def test_ohsumed_textgcn_split(mirror):
    ds = load_dataset("ohsumed", valid_fraction=0.0)
    assert len(ds.train) == 3357 and len(ds.test) == 4043
    assert ds.labels == [f"C{i:02d}" for i in range(1, 24)]
    assert all(ex.text.strip() for ex in ds.train[:50])


def test_imdb_from_mirror_tarball(mirror):
    ds = load_dataset("imdb", valid_fraction=0.0)
    assert len(ds.train) == 25000 and len(ds.test) == 25000
    assert Counter(ex.label for ex in ds.train) == {0: 12500, 1: 12500}
    assert ds.test[-1].label == 1 and "<br />" in "".join(ex.text for ex in ds.train[:200])
