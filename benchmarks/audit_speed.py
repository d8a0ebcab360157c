"""How long ``modgap.audit`` takes on one core: 500 pairs (CLIP's size), 1,000 bootstrap draws.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/audit_speed.py [--rounds 3] [--dim 512]

Synthetic unit-norm pairs of CLIP's shape (no real files needed); the audit alone, then with labels (10 classes,
which adds KMeans and 3 × 1,500 clustering scores), then the three post-hoc closers. Median of ``--rounds``.
A benchmark, not a test: it measures speed and asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date

import numpy as np

from modgap.audit import audit, compare_closers


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pairs", type=int, default=500)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--n-boot", type=int, default=1000)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    u = rng.normal(size=(a.pairs, a.dim))
    x, y = u + 2.0, u + rng.normal(size=u.shape) - 2.0
    labels = np.arange(a.pairs) % 10
    cases = {"audit": lambda: audit(x, y, n_boot=a.n_boot),
             "audit with labels": lambda: audit(x, y, labels, n_boot=a.n_boot),
             "three closers": lambda: compare_closers(x, y, n_boot=a.n_boot)}
    print(f"{date.today()} · {platform.processor() or platform.machine()} · OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')} · {a.pairs} pairs × {a.dim} dims, {a.n_boot} draws")
    for name, run in cases.items():
        times = []
        for _ in range(a.rounds):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        print(f"{name:>20}: {statistics.median(times):6.2f} s (median of {a.rounds})")


if __name__ == "__main__":
    main()
