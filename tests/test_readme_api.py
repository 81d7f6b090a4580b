"""The README's "Python API" snippet runs as written, on a toy OBO ontology and review CSV."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from toy_data import write_sentiment_csv

README = Path(__file__).resolve().parent.parent / "README.md"
CUES = {"pos": ["good", "great", "fun", "a real masterpiece"], "neg": ["bad", "awful", "boring", "a waste of time"]}

# The toy sentiment ontology of the other tests, as an OBO file.
ONTOLOGY = """format-version: 1.4
ontology: toy

[Term]
id: TOY:0000001
name: positive polarity

[Term]
id: TOY:0000002
name: negative polarity
""" + "".join(f"""
[Term]
id: TOY:00001{i:02d}
name: {word}
is_a: TOY:000000{1 if label == "pos" else 2}
""" for i, (label, word) in enumerate((label, w) for label, words in CUES.items() for w in words))

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


def readme_snippet() -> str:
    """The first ```python block after the "## Python API" heading."""
    section = README.read_text(encoding="utf-8").split("\n## Python API\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Python API section has no ```python block"
    return match.group(1)


def test_readme_python_api_snippet_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ontology.obo").write_text(ONTOLOGY, encoding="utf-8")
    write_sentiment_csv(tmp_path / "reviews.csv", CUES, 80)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_snippet(), str(README), "exec"), {"__name__": "readme"})
    output = printed.getvalue()
    metrics = json.loads((tmp_path / "runs" / "kg" / "metrics.json").read_text())
    assert f"test accuracy {metrics['accuracy']}" in output
    assert json.loads((tmp_path / "runs" / "kge" / "config.json").read_text())["store_dir"] == "kb"
    config = json.loads((tmp_path / "runs" / "kg" / "config.json").read_text())
    assert config["kind"] == "knowledge"
    assert "a real masterpiece" in output and "link prediction MRR" in output
