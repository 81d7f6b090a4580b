"""Which end of a long text is kept (``--truncate head|tail``), in training and in explain."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cli import cli
from core.errors import ConfigError
from kg.linking import EntityLinker
from model.knowledge.encoder import TextEncoder
from model.text import Tokenizer, Vocab
from pipelines.explain.text import encode_text

EX = "http://example.org/"
TEXT = "the plot was slow and dull but the ending is a real masterpiece"
LINKER = EntityLinker.from_labels([(EX + "dull", "dull"), (EX + "masterpiece", "real masterpiece")])


def _encoder(truncate: str, max_len: int) -> TextEncoder:
    return TextEncoder(Tokenizer(), max_len, LINKER, truncate=truncate)


def test_head_and_tail_keep_the_right_end():
    words = Tokenizer().tokenize(TEXT)
    assert _encoder("head", 4).clip(words) == words[:4]
    assert _encoder("tail", 4).clip(words) == words[-4:]
    assert _encoder("tail", 100).clip(words) == words
    # tail: the last words and the multi-word entity's token inserted after them
    tokens = _encoder("tail", 5).process(TEXT)
    assert tokens == ["is", "a", "real", "masterpiece", f"<ent:{EX}masterpiece>"]
    assert _encoder("head", 5).process(TEXT) == words[:5]


def test_unknown_mode_is_refused(runner):
    with pytest.raises(ConfigError, match="truncate"):
        TextEncoder(Tokenizer(), 8, truncate="middle")
    result = runner.invoke(cli, ["train", "--truncate", "middle", "--out", "x"])
    assert result.exit_code == 2 and "--truncate" in result.output


@pytest.mark.parametrize("truncate, max_len, kept", [("tail", 6, {"masterpiece"}), ("head", 6, {"dull"}),
                                                     ("tail", 14, {"dull", "masterpiece"})])
def test_explain_positions_follow_the_kept_end(truncate, max_len, kept):
    encoder = _encoder(truncate, max_len)
    tokens = encoder.process(TEXT)
    vocab = Vocab.build([tokens])
    run = SimpleNamespace(encoder=encoder, vocab=vocab, channel=None)
    encoded = encode_text(run, TEXT)
    assert encoded.tokens == tokens
    found = {iris[0][len(EX):]: (words_at, after) for _s, _e, iris, words_at, after in encoded.mentions}
    assert set(found) == kept
    for name, (words_at, after) in found.items():
        label = {"dull": ["dull"], "masterpiece": ["real", "masterpiece"]}[name]
        assert [tokens[p] for p in words_at] == label
        assert [tokens[p] for p in after] == ([f"<ent:{EX}masterpiece>"] if name == "masterpiece" else [])
