"""A self-contained HTML page for an explanation (inline CSS, no external assets).

Renders the JSON form (schema ``kgft.explain/1``): the prediction with a bar
per class, the text with every token shaded by its attribution (hover shows
the value), the linked entities with their share and graph paths, the
counterfactual and the notes. Every text from the input is HTML-escaped.
"""

from __future__ import annotations

from html import escape

from core.iri import local_name
from pipelines.explain.render_text import MAX_ENTITIES, path_line

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2330;background:#fafbfc;padding:0 1rem}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
.meta{color:#5b6475;font-size:.9rem}.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;
padding:1rem 1.2rem;margin:1rem 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.pred{font-size:1.15rem;font-weight:600}.bars{display:grid;grid-template-columns:max-content 1fr max-content;
gap:.2rem .6rem;align-items:center;margin:.5rem 0;max-width:520px}.bar{height:.7rem;background:#e7eaf0;
border-radius:4px;overflow:hidden}.bar span{display:block;height:100%;background:#4c78a8}
.bar span.win{background:#2f9e44}.text{line-height:2.1;font-size:1.02rem}
.tok{padding:.12rem .18rem;border-radius:3px;margin:0 1px;white-space:pre-wrap}
.tok.oov{color:#8a92a3;text-decoration:underline dotted}.tok.top{outline:2px solid #1d2330;outline-offset:-1px}.tok.ent{font-style:italic;font-size:.85em;color:#334}
table{border-collapse:collapse;width:100%;font-size:.93rem}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #eceef2;vertical-align:top}th{color:#5b6475;font-weight:600}
.share{display:inline-block;height:.55rem;background:#4c78a8;border-radius:3px;vertical-align:middle;margin-right:.4rem}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;background:#f3f5f9;
border-radius:4px;padding:.15rem .4rem;display:inline-block;margin:.1rem 0}.iri{color:#7a8294;font-size:.8rem}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4rem .7rem;margin:.4rem 0}
.legend span{padding:.1rem .4rem;border-radius:3px;margin-right:.4rem}.pos{color:#2f9e44}.neg{color:#c92a2a}
"""


def _shade(a: float, scale: float) -> str:
    strength = min(1.0, abs(a) / scale) if scale > 0 else 0.0
    rgb = "47,158,68" if a > 0 else "201,42,42"
    return f"background:rgba({rgb},{0.08 + 0.72 * strength:.3f})" if strength >= 0.02 else ""


def _tokens(exp: dict) -> str:
    scale = max((abs(t["attribution"]) for t in exp["tokens"]), default=0.0)
    top = set(exp["top_tokens"])
    out = []
    for t in exp["tokens"]:
        cls = (["tok"] + (["top"] if t["index"] in top else []) + (["ent"] if t["entity_token"] else [])
               + ([] if t["in_vocab"] else ["oov"]))
        text = t["text"]
        if t["entity_token"] and t["entities"]:
            text = "⟨" + local_name(t["entities"][0]) + "⟩"
        title = f"{t['attribution']:+.5f}" + (f" · {', '.join(t['entities'])}" if t["entities"] else "")
        out.append(f'<span class="{" ".join(cls)}" style="{_shade(t["attribution"], scale)}" '
                   f'title="{escape(title)}">{escape(text)}</span>')
    return " ".join(out)


def _bars(pred: dict) -> str:
    rows = []
    for label, p in pred["probabilities"].items():
        win = " class=\"win\"" if label == pred["label"] else ""
        rows.append(f"<div>{escape(label)}</div><div class=\"bar\"><span{win} style=\"width:{100 * p:.1f}%\"></span>"
                    f"</div><div>{p:.3f}</div>")
    return f'<div class="bars">{"".join(rows)}</div>'


def _entities(exp: dict) -> str:
    if not exp["entities"]:
        return ""
    label = exp["prediction"]["label"]
    rows = []
    for ent in exp["entities"][:MAX_ENTITIES]:
        words = ", ".join(escape(m["text"]) + (f" <i>(link annotated {escape(m['annotation'])})</i>"
                                               if m.get("annotation") else "") for m in ent["mentions"])
        if ent["is_class_concept"]:
            evidence = f"is itself a concept of class <b>{escape(label)}</b>"
        elif ent["paths"] is None:
            evidence = "<span class=\"iri\">graph not searched</span>"
        elif not ent["paths"]:
            evidence = f"no path to a concept of class {escape(label)}"
        else:
            evidence = "<br>".join(f'supports {escape(label)}: <span class="path">{escape(path_line(p))}</span>'
                                   for p in ent["paths"])
        opposing = [f'opposes (class {escape(p["class"])}): <span class="path">{escape(path_line(p))}</span>'
                    for p in ent.get("opposing") or []]
        evidence = "<br>".join([evidence, *opposing])
        rows.append(
            f"<tr><td><b>{escape(ent['label'])}</b><br><span class=\"iri\">{escape(ent['iri'])}</span></td>"
            f"<td>{words}</td><td><span class=\"share\" style=\"width:{120 * ent['share']:.0f}px\"></span>"
            f"{ent['share']:.1%}</td><td>{ent['attribution']:+.4f}</td><td>{evidence}</td></tr>"
        )
    extra = len(exp["entities"]) - MAX_ENTITIES
    more = f'<p class="meta">… and {extra} more linked entities (the JSON form lists all)</p>' if extra > 0 else ""
    return ("<h2>Linked entities</h2><table><tr><th>entity</th><th>words</th><th>share of |attribution|</th>"
            f"<th>attribution</th><th>graph evidence</th></tr>{''.join(rows)}</table>{more}")


def _counterfactual(exp: dict) -> str:
    cf = exp["counterfactual"]
    if not cf:
        return ""
    pred = exp["prediction"]
    cls = "neg" if cf["change"] < 0 else "pos"
    return (f"<h2>Counterfactual</h2><p>Without the knowledge of <b>{escape(cf['label'])}</b> (its tokens reset "
            f"to the baseline embedding): p({escape(pred['label'])}) {pred['probability']:.3f} → "
            f"{cf['probability']:.3f} <b class=\"{cls}\">({cf['change']:+.3f})</b>; prediction "
            f"{escape(pred['label'])} → {escape(cf['label_after'])}.</p>")


def _card(exp: dict, number: int, total: int) -> str:
    pred = exp["prediction"]
    comp = exp["completeness"]
    title = f"<h2>Text {number} of {total}</h2>" if total > 1 else ""
    notes = "".join(f'<div class="note">{escape(n)}</div>' for n in exp["notes"])
    return (
        f'<section class="card">{title}<div class="pred">Prediction: {escape(pred["label"])} '
        f'({pred["probability"]:.3f})</div>{_bars(pred)}'
        '<h2>Tokens</h2><p class="legend meta"><span style="background:rgba(47,158,68,.5)">supports</span>'
        '<span style="background:rgba(201,42,42,.5)">opposes</span> the prediction; outlined: top tokens; '
        'dotted grey: not in the vocabulary (read as &lt;unk&gt;); hover for values</p>'
        f'<div class="text">{_tokens(exp)}</div>'
        f'<p class="meta">Integrated gradients: sum {comp["sum"]:+.4f} = p {comp["probability"]:.3f} − '
        f'p(baseline) {comp["baseline_probability"]:.3f}; completeness delta {comp["delta"]:+.2e}</p>'
        f"{_entities(exp)}{_counterfactual(exp)}{notes}</section>"
    )


def render_html(doc: dict) -> str:
    """A complete HTML document for an explanation document.

    Args:
        doc (dict): ``ExplainResult.to_dict()`` output.

    Returns:
        str: The page.
    """
    know = doc["knowledge"]
    graph = f"{know['store']} store {know['store_location']}" if know.get("store") else "no graph"
    cmap = know.get("class_map")
    att = doc["attribution"]
    meta = (f"run {escape(doc['run_dir'])} · knowledge: {'yes' if know['used'] else 'no'} · graph: {escape(graph)}"
            + (f" · class map: {escape(cmap['name'])}" if cmap else "")
            + f" · {escape(att['method'])} on the {escape(att['layer'])} layer, {att['n_steps']} steps, "
            f"baseline {escape(att['baseline'])}")
    notes = "".join(f'<div class="note">{escape(n)}</div>' for n in doc["notes"])
    total = len(doc["explanations"])
    cards = "".join(_card(e, i, total) for i, e in enumerate(doc["explanations"], 1))
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>kgft explanation</title><style>{_CSS}</style></head><body>"
        f"<h1>kgft explanation</h1><div class=\"meta\">{meta}</div>{notes}{cards}</body></html>\n"
    )
