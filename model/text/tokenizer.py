"""A fast, dependency-free word tokenizer owned by kgft (torchtext is retired).

One compiled regular expression splits text into words (letters and digits,
underscores and inner apostrophes), numbers (``7.5``, ``1,000``) and single
punctuation marks; a few normalization options run before it. The same
tokenizer feeds the vocabulary, the classifier and the entity linker, so token
positions agree across them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

NUM_TOKEN = "<num>"

# Words (letters, digits and underscores) with inner apostrophes ("don't",
# "alzheimer's") or decimal parts ("7.5", "1,000"), else any single other
# symbol. One branch for words is faster than a separate number branch, and
# \w+ is faster than [^\W_]+ in CPython's re (bench/tokenizer.py).
_TOKEN_RE = re.compile(r"\w+(?:['\u2019]\w+|[.,]\d+)*|[^\w\s]")
# The same tokens on ASCII text, found faster: in ASCII mode \w and \d mean the same on ASCII
# characters, and \s lacks only \x1c-\x1f (whitespace to str.isspace), added back.
_ASCII_TOKEN_RE = re.compile(r"\w+(?:['\u2019]\w+|[.,]\d+)*|[^\w\s\x1c-\x1f]", re.ASCII)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
# HTML tags such as IMDB's "<br />" (a "<" directly followed by a letter)
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_NUMBER_MODES = ("keep", "replace", "drop")


@dataclass(frozen=True)
class Tokenizer:
    """Regex word tokenizer with normalization options.

    Args:
        lowercase (bool): Lower-case the text first. (default: ``True``)
        strip_html (bool): Replace HTML line breaks (``<br />`` as in IMDB) and
            other tags with spaces. (default: ``True``)
        unicode_form (str, optional): Unicode normalization form applied first
            (``"NFKC"``, ``"NFC"``, ...); ``None`` skips it. ASCII text is
            skipped cheaply. (default: ``"NFKC"``)
        numbers (str): ``"keep"`` numbers as they are, ``"replace"`` them with
            ``<num>`` or ``"drop"`` them. (default: ``"keep"``)
        punctuation (bool): Keep punctuation marks as tokens. (default: ``True``)
        max_tokens (int, optional): Truncate each text to this many tokens.
            (default: ``None``)

    Raises:
        ConfigError: an unknown ``numbers`` mode or unicode form.
    """

    lowercase: bool = True
    strip_html: bool = True
    unicode_form: str | None = "NFKC"
    numbers: str = "keep"
    punctuation: bool = True
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        from core.errors import ConfigError

        if self.numbers not in _NUMBER_MODES:
            raise ConfigError(
                f"unknown tokenizer numbers mode {self.numbers!r}",
                hint=f"use one of {', '.join(_NUMBER_MODES)}",
            )
        if self.unicode_form not in (None, "NFC", "NFD", "NFKC", "NFKD"):
            raise ConfigError(
                f"unknown unicode normalization form {self.unicode_form!r}",
                hint="use NFC, NFD, NFKC, NFKD or none",
            )
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"tokenizer max_tokens must be positive, got {self.max_tokens}")

    def normalize(self, text: str, keep_case: bool = False) -> str:
        """Apply the normalization options (unicode, HTML, case unless ``keep_case``) to ``text``."""
        if self.unicode_form and not text.isascii():
            text = unicodedata.normalize(self.unicode_form, text)
        if self.strip_html and "<" in text:
            text = _TAG_RE.sub(" ", text)
        if self.lowercase and not keep_case:
            text = text.lower()
        return text

    def tokenize_with_case(self, text: str) -> tuple[list[str], list[str]]:
        """The tokens, and the same tokens in their original case (for case-sensitive linking).

        Args:
            text (str): The raw text.

        Returns:
            tuple[list[str], list[str]]: The tokens (lower-cased when ``lowercase``) and the
            cased tokens, position for position.
        """
        cased = self.tokenize(text, keep_case=True)
        return ([t.lower() for t in cased] if self.lowercase else cased), cased

    def tokenize(self, text: str, keep_case: bool = False) -> list[str]:
        """Split ``text`` into tokens.

        Args:
            text (str): The raw text.
            keep_case (bool): Skip lower-casing (see :meth:`tokenize_with_case`). (default: ``False``)

        Returns:
            list[str]: The tokens, in order.
        """
        text = self.normalize(text, keep_case)
        tokens = (_ASCII_TOKEN_RE if text.isascii() else _TOKEN_RE).findall(text)
        if not self.punctuation:
            tokens = [t for t in tokens if t[0].isalnum() or t[0] == "_"]
        if self.numbers != "keep":
            full = _NUMBER_RE.fullmatch
            if self.numbers == "replace":
                tokens = [NUM_TOKEN if full(t) else t for t in tokens]
            else:
                tokens = [t for t in tokens if not full(t)]
        if self.max_tokens is not None:
            del tokens[self.max_tokens :]
        return tokens

    __call__ = tokenize

    def to_dict(self) -> dict:
        """The options as a JSON-ready dict (saved with a run)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, options: dict) -> "Tokenizer":
        """Rebuild a tokenizer from :meth:`to_dict` output.

        Raises:
            ConfigError: unknown option names.
        """
        from core.errors import ConfigError

        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(
                f"unknown tokenizer option(s): {', '.join(unknown)}",
                hint=f"known options: {', '.join(sorted(known))}",
            )
        return cls(**options)
