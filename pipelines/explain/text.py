"""Explaining one text: tokens and their attributions, linked entities, counterfactual.

Which tokens carry an entity's *knowledge* (the rows that knowledge runs
initialize from, and regularize toward, the entity's vector):

* a one-word mention: that word's token;
* a multi-word mention: the ``<ent:IRI>`` token inserted after it (its words
  are ordinary words); if that token was not inserted (limit per mention, or
  cut by ``max_len``), the mention's words.

An entity's *share* is the sum of ``|attribution|`` over all tokens of its
mentions (words and entity tokens) divided by the sum over all tokens (and,
with a knowledge channel, the bag features); its *channel share* is the part
that went through those tokens' concept vectors. The
*counterfactual* resets the knowledge tokens of the entity with the largest
share to the baseline embedding, the ``<unk>`` row (what the model has for a
token it knows nothing about), and predicts again.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.attribution import attribute_tokens, predict_proba
from model.knowledge.channel_inputs import collate_channel
from model.knowledge.entity_tokens import entity_of, is_entity_token
from pipelines.explain.result import EntityExplanation, TextExplanation

NO_ENTITY_NOTE = "no entity of the knowledge graph was linked in this text"


@dataclass
class EncodedText:
    """One text as the run's encoder sees it, with mention positions.

    Args:
        tokens (list[str]): Final tokens (entity tokens included, truncated).
        ids (list[int]): Vocabulary ids.
        mentions (list[tuple[int, int, tuple[str, ...], list[int], list[int]]]):
            ``(word start, word end, entities, word positions, entity-token positions)``
            with positions in ``tokens``.
        words (list[str]): The words before entity tokens were inserted.
        channel (ChannelBatch, optional): The knowledge channel's inputs (runs with a channel).
    """

    tokens: list[str]
    ids: list[int]
    mentions: list[tuple]
    words: list[str]
    channel: object = None


def encode_text(run, text: str) -> EncodedText:
    """Tokenize, link and encode ``text`` exactly as ``run``'s encoder does, keeping positions.

    Args:
        run: A :class:`pipelines.run_files.TrainedRun`.
        text (str): Raw text.
    """
    enc = run.encoder
    if enc.linker is not None:
        words, cased = enc.words(text)
        mentions, linked = enc.link_words(words, cased)
    else:
        words, mentions, linked = enc.clip(enc.tokenizer.tokenize(text)), [], None
    full = linked.tokens if linked is not None else words
    tokens = enc.clip(full)
    offset = len(full) - len(tokens) if enc.truncate == "tail" else 0
    # word index -> its position in the kept tokens (None where max_len cut it)
    word_pos: list[int | None] = []
    ent_pos: dict[int, list[int]] = {}
    for pos, tok in enumerate(full):
        kept = pos - offset if offset <= pos < offset + len(tokens) else None
        if is_entity_token(tok) and word_pos:
            if kept is not None:
                ent_pos.setdefault(len(word_pos) - 1, []).append(kept)
        else:
            word_pos.append(kept)
    spans = []
    for m in mentions:
        words_at = word_pos[m.start : m.end]
        if len(words_at) < m.end - m.start or None in words_at:  # the mention's words were cut by max_len
            continue
        after = []
        if m.end - m.start > 1:
            after = [p for p in ent_pos.get(m.end - 1, []) if entity_of(tokens[p]) in m.entities]
        spans.append((m.start, m.end, tuple(m.entities), words_at, after))
    channel = None
    if run.channel is not None:
        kept = linked.clipped(enc.window(len(full)))
        doc = run.channel.encode(kept.position_entities, kept.mention_entities, kept.mention_negated)
        channel = collate_channel([doc], len(tokens), run.channel.slots)
    return EncodedText(tokens, run.encoder.encode(run.vocab, [tokens])[0], spans, words, channel)


def _entities(run, encoded: EncodedText, attr) -> list[EntityExplanation]:
    attributions = attr.attributions
    through = attr.channel_attributions or [0.0] * len(attributions)
    total = (sum(abs(a) for a in attributions) + sum(abs(a) for a in attr.bag_attributions)) or 1.0
    found: dict[str, dict] = {}
    for start, end, iris, word_at, ent_at in encoded.mentions:
        mention = {"start": start, "end": end, "text": " ".join(encoded.words[start:end])}
        for iri in iris:
            own = [p for p in ent_at if entity_of(encoded.tokens[p]) == iri]
            entry = found.setdefault(iri, {"mentions": [], "all": set(), "knowledge": set()})
            entry["mentions"].append(mention)
            entry["all"].update(word_at + own)
            entry["knowledge"].update(own if own else word_at)
    bag = _bag_parts(run, encoded, attr, list(found))
    out = []
    for iri, e in found.items():
        tokens, in_bag = [attributions[p] for p in e["all"]], bag.get(iri, 0.0)
        out.append(EntityExplanation(
            iri=iri, label=e["mentions"][0]["text"], mentions=e["mentions"],
            token_indices=sorted(e["knowledge"]),
            attribution=float(sum(tokens) + in_bag), share=float((sum(map(abs, tokens)) + abs(in_bag)) / total),
            channel_share=float((sum(abs(through[p]) for p in e["all"]) + abs(in_bag)) / total),
        ))
    out.sort(key=lambda e: (-e.share, e.iri))
    return out


def _bag_parts(run, encoded: EncodedText, attr, iris: list[str]) -> dict[str, float]:
    """Each entity's part of the bag's attributions: a feature's attribution split evenly over the
    text's entities that reach it (its concept or an ancestor, negated or not)."""
    if encoded.channel is None or not iris:
        return {}
    half = len(run.channel.bag_of)
    reach = {iri: {int(f) % half for f in run.channel.encode([(iri,)], [(iri,)]).bag_ids.tolist()} for iri in iris}
    parts = dict.fromkeys(iris, 0.0)
    for feature, value in zip(encoded.channel.bag_ids.tolist(), attr.bag_attributions):
        owners = [iri for iri in iris if int(feature) % half in reach[iri]]
        for iri in owners:
            parts[iri] += float(value) / len(owners)
    return parts


def _bag(run, encoded: EncodedText, attr) -> list[dict]:
    """The bag-of-ancestors features of the text with their attributions, largest first."""
    if encoded.channel is None:
        return []
    concept_of = {f: c for c, f in run.channel.bag_of.items()}
    iri_of = {i: iri for iri, i in run.channel.index.items()}
    half = len(concept_of)
    rows = [{"concept": iri_of.get(concept_of[int(f) % half], ""), "negated": int(f) >= half, "attribution": float(a)}
            for f, a in zip(encoded.channel.bag_ids.tolist(), attr.bag_attributions)]
    return sorted(rows, key=lambda r: (-abs(r["attribution"]), r["concept"]))


def explain_text(run, text: str, top_k: int = 5, n_steps: int = 50, evidence=None) -> TextExplanation:
    """Prediction, attributions, linked entities, graph evidence and counterfactual of one text.

    Args:
        run: A :class:`pipelines.run_files.TrainedRun`.
        text (str): The text.
        top_k (int): Top tokens to list. (default: ``5``)
        n_steps (int): Integrated-gradients steps. (default: ``50``)
        evidence (Callable[[TextExplanation], None], optional): Adds labels and graph
            paths to the entities and may re-rank ties; runs before the counterfactual,
            which uses the first entity. (default: ``None``, no graph)

    Returns:
        TextExplanation: The explanation.
    """
    model, labels = run.classifier, run.labels
    encoded = encode_text(run, text)
    unk = run.vocab.unk_index
    attr = attribute_tokens(model, encoded.ids, baseline_index=unk, n_steps=n_steps, channel=encoded.channel)
    probs, target = attr.probabilities, attr.target
    p = probs[target]
    link_map: dict[int, set[str]] = {}
    for _, _, iris, word_at, ent_at in encoded.mentions:
        for pos in word_at:
            link_map.setdefault(pos, set()).update(iris)
    tokens = [
        {"index": i, "text": tok, "attribution": float(a), "in_vocab": tok in run.vocab,
         "entity_token": is_entity_token(tok),
         "entities": [entity_of(tok)] if is_entity_token(tok) else sorted(link_map.get(i, ()))}
        for i, (tok, a) in enumerate(zip(encoded.tokens, attr.attributions))
    ]
    ranked = sorted(range(len(tokens)), key=lambda i: (-abs(tokens[i]["attribution"]), i))[:top_k]
    explanation = TextExplanation(
        text=text,
        prediction={"label": labels[target], "index": target, "probability": float(p),
                    "probabilities": {lab: float(q) for lab, q in zip(labels, probs)}},
        # The completeness terms as the attribution computed them (its p equals float(p) up to rounding).
        completeness={"delta": attr.delta, "sum": float(sum(attr.attributions) + sum(attr.bag_attributions)), "probability": attr.probability,
                      "baseline_probability": attr.baseline_probability},
        tokens=tokens,
        top_tokens=ranked,
        entities=_entities(run, encoded, attr) if run.has_knowledge else [],
        bag=_bag(run, encoded, attr),
    )
    if run.has_knowledge and not explanation.entities:
        explanation.notes.append(NO_ENTITY_NOTE)
    if evidence is not None:
        evidence(explanation)
    if explanation.entities:
        top = explanation.entities[0]
        after = predict_proba(model, encoded.ids, encoded.channel, removed=top.token_indices, baseline_index=unk)
        explanation.counterfactual = {
            "entity": top.iri, "label": top.label, "token_indices": list(top.token_indices),
            "probability": float(after[target]), "change": float(after[target] - p),
            "label_after": labels[max(range(len(after)), key=after.__getitem__)],
            "probabilities": {lab: float(q) for lab, q in zip(labels, after)},
        }
    return explanation
