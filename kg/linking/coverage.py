"""How much of a corpus an entity linker covers."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable

from core.progress import progress


@dataclass
class CoverageReport:
    """Linking coverage of a corpus.

    Args:
        documents (int): Number of texts.
        tokens (int): Number of tokens (tokenizer output).
        linked_tokens (int): Tokens inside a mention.
        linked_documents (int): Texts with at least one mention.
        mentions (int): Number of mentions.
        distinct_entities_per_doc (float): Mean number of distinct entities per text.
        top_entities (list[tuple[str, int]]): Most frequent entities and their
            mention counts.
    """

    documents: int
    tokens: int
    linked_tokens: int
    linked_documents: int
    mentions: int
    distinct_entities_per_doc: float
    top_entities: list[tuple[str, int]] = field(default_factory=list)

    @property
    def token_share(self) -> float:
        """Share of tokens inside a mention."""
        return self.linked_tokens / self.tokens if self.tokens else 0.0

    @property
    def document_share(self) -> float:
        """Share of texts with at least one mention."""
        return self.linked_documents / self.documents if self.documents else 0.0

    def to_dict(self) -> dict:
        """JSON-ready form, shares included."""
        out = asdict(self)
        out["top_entities"] = [[iri, n] for iri, n in self.top_entities]
        out["token_share"] = self.token_share
        out["document_share"] = self.document_share
        return out


def coverage(linker, texts: Iterable[str], tokenizer, top_k: int = 20) -> CoverageReport:
    """Link every text and summarize the coverage.

    Args:
        linker (EntityLinker): The linker.
        texts (Iterable[str]): Raw texts.
        tokenizer (model.text.Tokenizer): Tokenizer whose tokens are counted
            and linked (:meth:`EntityLinker.link_tokens`).
        top_k (int): How many most frequent entities to report. (default: ``20``)

    Returns:
        CoverageReport: The report.
    """
    docs = tokens = linked_tokens = linked_docs = mentions = distinct_total = 0
    counts: Counter[str] = Counter()
    for text in progress(texts, desc="linking", unit="doc"):
        toks = tokenizer.tokenize(text, keep_case=True)
        found = linker.link_tokens(toks)
        docs += 1
        tokens += len(toks)
        if found:
            linked_docs += 1
            mentions += len(found)
            linked_tokens += sum(m.end - m.start for m in found)
            entities = {iri for m in found for iri in m.entities}
            distinct_total += len(entities)
            counts.update(iri for m in found for iri in m.entities)
    return CoverageReport(
        documents=docs,
        tokens=tokens,
        linked_tokens=linked_tokens,
        linked_documents=linked_docs,
        mentions=mentions,
        distinct_entities_per_doc=distinct_total / docs if docs else 0.0,
        top_entities=counts.most_common(top_k),
    )
