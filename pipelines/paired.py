"""Paired comparison of two arms on the same test examples: bootstrap CI and McNemar's test.

Two training runs (say knowledge and baseline) that were tested on the same
examples are compared example by example, not only by their accuracies: with
``correct[s, i]`` whether seed ``s`` got example ``i`` right, the lift is the
mean over seeds and examples of ``correct_a - correct_b``. Its 95% confidence
interval comes from a seeded bootstrap over examples (the seeds' predictions
of an example are resampled together), and McNemar's exact test (on the first
seed of each arm) says how likely the disagreements are under "no difference".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from math import comb
from pathlib import Path

import numpy as np

from core.errors import DataError
from pipelines.run_dir import RunDir

RESAMPLES = 2000


@dataclass
class PairedComparison:
    """Arm ``a`` minus arm ``b`` on the same examples.

    Args:
        examples (int): Test examples compared.
        seeds (int): Seeds paired (seed ``k`` of ``a`` with seed ``k`` of ``b``).
        accuracy_a (float): Mean accuracy of ``a`` over its seeds.
        accuracy_b (float): Mean accuracy of ``b``.
        diff (float): ``accuracy_a - accuracy_b``.
        ci_low (float): Lower end of the 95% bootstrap interval of ``diff``.
        ci_high (float): Upper end.
        only_a (int): Examples only ``a`` got right (first seeds).
        only_b (int): Examples only ``b`` got right (first seeds).
        mcnemar_p (float): Two-sided exact McNemar p-value (first seeds).
    """

    examples: int
    seeds: int
    accuracy_a: float
    accuracy_b: float
    diff: float
    ci_low: float
    ci_high: float
    only_a: int
    only_b: int
    mcnemar_p: float

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely on one side of 0."""
        return self.ci_low > 0 or self.ci_high < 0

    def to_dict(self) -> dict:
        """Plain dict form."""
        return asdict(self)

    def line(self) -> str:
        """One line: the difference, its interval and the McNemar p-value."""
        return (f"{self.diff:+.4f} (95% CI {self.ci_low:+.4f} .. {self.ci_high:+.4f}; McNemar p={self.mcnemar_p:.3g}; "
                f"{self.examples} examples x {self.seeds} seed(s))")


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value for the discordant counts."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(only_a, only_b) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def compare(correct_a: np.ndarray, correct_b: np.ndarray, resamples: int = RESAMPLES, seed: int = 0) -> PairedComparison:
    """Compare two arms from ``[seeds, examples]`` boolean correctness matrices.

    Args:
        correct_a (np.ndarray): ``[seeds, examples]`` of arm ``a``.
        correct_b (np.ndarray): The same shape for arm ``b`` (seeds paired by position).
        resamples (int): Bootstrap resamples. (default: ``2000``)
        seed (int): Bootstrap seed. (default: ``0``)

    Raises:
        DataError: the arms were not tested on the same number of examples and seeds.
    """
    a, b = np.atleast_2d(np.asarray(correct_a, bool)), np.atleast_2d(np.asarray(correct_b, bool))
    if a.shape != b.shape or a.shape[1] == 0:
        raise DataError(f"cannot pair runs tested on different examples or seeds: {a.shape} vs {b.shape}",
                        hint="compare runs trained with the same dataset, test cap and number of seeds")
    per_example = (a.astype(np.float64) - b).mean(axis=0)
    n = per_example.size
    rng = np.random.default_rng(seed)
    boot = np.array([per_example[rng.integers(0, n, n)].mean() for _ in range(resamples)])
    low, high = np.quantile(boot, [0.025, 0.975])
    only_a, only_b = int((a[0] & ~b[0]).sum()), int((~a[0] & b[0]).sum())
    return PairedComparison(n, a.shape[0], float(a.mean()), float(b.mean()), float(per_example.mean()),
                            float(low), float(high), only_a, only_b, mcnemar_exact(only_a, only_b))


def correctness(run_dir: Path | str) -> np.ndarray:
    """``[seeds, examples]`` correctness of a finished training run's test predictions.

    Raises:
        DataError: the run has no saved test probabilities (trained by an older kgft).
    """
    import json

    run = RunDir(run_dir)
    metrics = json.loads(run.metrics.read_text(encoding="utf-8"))
    rows = []
    for entry in metrics["per_seed"]:
        seed_dir = run.seed(entry["seed"])
        probs_file, labels_file = seed_dir.probabilities, seed_dir.labels
        if not probs_file.is_file() or not labels_file.is_file():
            raise DataError(f"{seed_dir.path} has no saved test predictions",
                            hint="train the run again with this kgft version")
        probs = np.load(probs_file, allow_pickle=False)
        rows.append(probs.argmax(axis=1) == np.load(labels_file, allow_pickle=False))
    return np.stack(rows)
