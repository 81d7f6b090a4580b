"""Long documents must cost what their length says: step time at 128 vs 256 tokens.

A plain 2-layer BiLSTM-256 training step (batch 64, classifying from the final
hidden states) once took 1 s at 128 tokens but 20 s at 256 tokens on a 2-core
x86 CPU: denormal floats in the backward pass through the final hidden state.
kgft's trainer sets ``torch.set_flush_denormal(True)`` at process start
(:func:`model.train.configure_cpu`). This script measures the step time ratio
256/128 as training runs it (expected about 2, linear in length); with
``--without-flush`` it also measures the same steps with flushing off, side by
side, to show what the setting prevents.

    .venv/bin/python bench/train_denormal.py [--steps 3] [--without-flush]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.train import configure_cpu


def step_time(length: int, steps: int, batch: int = 64, vocab: int = 20000) -> float:
    """Median seconds of one AdamW training step at ``length`` tokens."""
    torch.manual_seed(0)
    model = BiLSTMClassifier(ClassifierConfig(vocab_size=vocab, num_classes=2, embedding_dim=100, hidden=256))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    tokens = torch.randint(2, vocab, (batch, length))
    lengths = torch.full((batch,), length)
    y = torch.randint(0, 2, (batch,))
    times = []
    for i in range(steps + 1):  # the first step warms up
        start = time.perf_counter()
        loss = F.cross_entropy(model(tokens, lengths), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--without-flush", action="store_true", help="also measure with denormal flushing off")
    args = parser.parse_args()
    modes = [True, False] if args.without_flush else [True]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BiLSTM-256 x2, batch 64")
    for flush in modes:
        if flush:
            configure_cpu()
        else:
            torch.set_flush_denormal(False)
        t128, t256 = step_time(128, args.steps), step_time(256, args.steps)
        print(f"flush_denormal={flush!s:5}  128 tokens {t128:6.2f} s/step  256 tokens {t256:6.2f} s/step  "
              f"ratio {t256 / t128:5.2f} (expected ~2)")


if __name__ == "__main__":
    main()
