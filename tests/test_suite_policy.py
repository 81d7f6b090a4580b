"""The test suite's own rules: real-data tests skip without the data mirror, but fail (a setup error) in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_TEST = "tests/test_store.py::test_real_ontology_counts_match_rdflib[embedded-pizza]"


@pytest.mark.parametrize("ci, outcome", [(None, "1 skipped"), ("true", "1 error")], ids=["local", "CI"])
def test_real_data_tests_without_the_mirror_skip_locally_and_fail_in_ci(ci, outcome):
    env = {k: v for k, v in os.environ.items() if k not in ("KGFT_DATA_MIRROR", "CI")}
    if ci is not None:
        env["CI"] = ci
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", REAL_DATA_TEST],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert outcome in proc.stdout, proc.stdout[-2000:]
    assert "KGFT_DATA_MIRROR is not set" in proc.stdout
    assert proc.returncode == (1 if ci else 0)
