"""Wall time of training the five methods × two seeds on one task, one model after another (``workers=1``,
all torch threads) against side by side (``train_all``'s default: one process and one thread per core).

    .venv/bin/python benchmarks/parallel_training.py [--task visible-thermal] [--epochs 9]

A benchmark, not a test: it measures speed and asserts nothing. Models go to a temporary folder.
"""
from __future__ import annotations

import argparse
import tempfile
import time

import torch

from modgap.matching.experiment import cpu_workers, perceptual_net, train_all
from modgap.matching.methods import METHODS
from modgap.matching.tasks import MATCHING_TASKS, load_task


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="visible-thermal", choices=MATCHING_TASKS)
    ap.add_argument("--epochs", type=int, default=9)
    args = ap.parse_args()
    T = load_task(args.task)
    print(f"{args.task}: {len(METHODS)} methods × 2 seeds, {args.epochs} epochs, {torch.get_num_threads()} torch threads")
    for workers in (1, cpu_workers("cpu")):
        with tempfile.TemporaryDirectory() as d:
            phi = perceptual_net(T, d, 0, 2)
            jobs = [dict(T=T, method=m, seed=s, epochs=args.epochs, ckpt_dir=d, phi=phi)
                    for m in reversed(list(METHODS)) for s in (0, 1)]
            t = time.perf_counter()
            done = train_all(jobs, workers=workers, progress_bar=False)
            wall = time.perf_counter() - t
        print(f"workers={workers}: {wall:6.1f} s wall clock, {sum(s for s, _ in done):6.1f} s summed over models")


if __name__ == "__main__":  # train_all starts processes with spawn: this guard is required
    main()
