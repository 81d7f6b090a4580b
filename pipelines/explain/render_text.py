"""The terminal view of an explanation: coloured tokens, entities, graph paths.

Renders the JSON form (schema ``kgft.explain/1``) so that every output format
shows the same numbers. Tokens supporting the prediction are green, tokens
against it red; the stronger the attribution, the bolder (top tokens are
also underlined). Styles are plain ANSI escapes; the CLI's output strips
them when it is not a terminal.
"""

from __future__ import annotations

from core.iri import local_name

_BAR = "─" * 72
#: Entities listed per text (the JSON form has all).
MAX_ENTITIES = 10
#: ANSI SGR codes of the styles used.
_SGR = {"bold": 1, "dim": 2, "underline": 4, "red": 31, "green": 32}


def _style(text: str, *styles: str) -> str:
    """``text`` in the given styles (keys of :data:`_SGR`), then a reset."""
    if not styles:
        return text
    return "".join(f"\x1b[{_SGR[s]}m" for s in styles) + text + "\x1b[0m"


def _fmt_prob(p: float) -> str:
    return f"{p:.3f}"


def _token(tok: dict, scale: float, top: set[int], color: bool) -> str:
    text = tok["text"]
    if tok.get("entity_token"):
        text = "⟨" + (local_name(tok["entities"][0]) if tok["entities"] else text) + "⟩"
    if not color:
        return text
    a = tok["attribution"]
    strength = abs(a) / scale if scale > 0 else 0.0
    if strength < 0.05:
        return _style(text, "dim")
    styles = ["green" if a > 0 else "red"]
    if strength >= 0.5:
        styles.append("bold")
    if tok["index"] in top:
        styles.append("underline")
    return _style(text, *styles)


def path_line(path: dict) -> str:
    """One path as ``a —[relation]→ b ←[relation]— c``; an edge an expert annotation added reads
    ``—[relation, annotated file:line]→``."""
    steps = path["steps"]
    parts = [steps[0]["from_label"]]
    for s in steps:
        relation = s["relation"] + (f", annotated {s['annotation']}" if s.get("annotation") else "")
        arrow = f" —[{relation}]→ " if s["direction"] == "forward" else f" ←[{relation}]— "
        parts.append(arrow + s["to_label"])
    return "".join(parts)


def _explanation(exp: dict, number: int, total: int, color: bool) -> list[str]:
    lines = []
    if total > 1:
        lines.append(f"{_BAR}\ntext {number} of {total}")
    pred = exp["prediction"]
    probs = "  ".join(f"{k} {_fmt_prob(v)}" for k, v in pred["probabilities"].items())
    head = f"prediction: {pred['label']} (p = {_fmt_prob(pred['probability'])})"
    lines.append(_style(head, "bold") if color else head)
    lines.append(f"  probabilities: {probs}")
    scale = max((abs(t["attribution"]) for t in exp["tokens"]), default=0.0)
    top = set(exp["top_tokens"])
    lines.append("tokens (green supports the prediction, red opposes it; underlined: top tokens):")
    lines.append("  " + " ".join(_token(t, scale, top, color) for t in exp["tokens"]))
    ranked = ", ".join(f"{exp['tokens'][i]['text']} {exp['tokens'][i]['attribution']:+.4f}" for i in exp["top_tokens"])
    lines.append(f"  top tokens: {ranked}")
    comp = exp["completeness"]
    lines.append(
        f"  integrated gradients: sum {comp['sum']:+.4f} = p {_fmt_prob(comp['probability'])} - "
        f"p(baseline) {_fmt_prob(comp['baseline_probability'])}, completeness delta {comp['delta']:+.2e}"
    )
    if exp["entities"]:
        lines.append("linked entities (share of |attribution|):")
        for k, ent in enumerate(exp["entities"][:MAX_ENTITIES], 1):
            words = ", ".join(f'"{m["text"]}"' + (f" (link annotated {m['annotation']})" if m.get("annotation") else "")
                              for m in ent["mentions"])
            channel = f" ({ent['channel_share']:.1%} through the knowledge channel)" if ent.get("channel_share") else ""
            lines.append(f"  {k}. {ent['label']} <{ent['iri']}>  {words}  share {ent['share']:.1%}{channel}, "
                         f"attribution {ent['attribution']:+.4f}")
            if ent.get("is_class_concept"):
                lines.append(f"     is itself a concept of class {pred['label']}")
            elif ent.get("paths") is not None:
                if not ent["paths"]:
                    lines.append(f"     no path to a concept of class {pred['label']} in the graph")
                for p in ent["paths"]:
                    lines.append(f"     supports {pred['label']}: {path_line(p)}")
            for p in ent.get("opposing") or []:
                lines.append(f"     opposes (class {p['class']}): {path_line(p)}")
        if len(exp["entities"]) > MAX_ENTITIES:
            lines.append(f"  ... and {len(exp['entities']) - MAX_ENTITIES} more (--format json lists all)")
    cf = exp.get("counterfactual")
    if cf:
        lines.append(
            f"counterfactual: without the knowledge of {cf['label']} (its tokens reset to the baseline), "
            f"p({pred['label']}) {_fmt_prob(pred['probability'])} → {_fmt_prob(cf['probability'])} "
            f"({cf['change']:+.3f}); prediction {pred['label']} → {cf['label_after']}"
        )
    for note in exp["notes"]:
        lines.append(f"note: {note}")
    return lines


def render_text(doc: dict, color: bool = True) -> str:
    """The terminal view of an explanation document.

    Args:
        doc (dict): ``ExplainResult.to_dict()`` output.
        color (bool): Use ANSI colours. (default: ``True``)

    Returns:
        str: The text, without a trailing newline.
    """
    know = doc["knowledge"]
    where = f"{know['store']} store {know['store_location']}" if know.get("store") else "no graph"
    cmap = know.get("class_map")
    lines = [f"run: {doc['run_dir']}  (knowledge: {'yes' if know['used'] else 'no'}; graph: {where}"
             + (f"; class map: {cmap['name']}" if cmap else "") + ")"]
    lines += [f"note: {n}" for n in doc["notes"]]
    total = len(doc["explanations"])
    for i, exp in enumerate(doc["explanations"], 1):
        lines += _explanation(exp, i, total, color)
    return "\n".join(lines)
