"""Wall time of notebook 03's trainings on a Dask LocalCluster with 1 and with 2 one-thread workers, in one run
(the same jobs, fresh checkpoint folders), and what that projects for N workers.

The jobs are 03's six methods on one task at the default sizes, for a few epochs (a full-profile 03 is 150 such
jobs at 27 epochs: 54 min on 2 local cores). The projection assumes the jobs are independent and many more than
the workers: T(N) ≈ overhead + work / N, with work and overhead solved from the two measurements.

    .venv/bin/python benchmarks/cluster_training.py [--epochs 3] [--task visible-thermal]
"""
from __future__ import annotations

import argparse
import tempfile
import time

from modgap.matching.experiment import train_all
from modgap.matching.methods import METHODS
from modgap.matching.tasks import MATCHING_TASKS, load_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="visible-thermal", choices=MATCHING_TASKS)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=2)
    args = ap.parse_args()
    T = load_task(args.task)
    methods = [m for m in METHODS if not METHODS[m].perceptual]  # no φ to train first: only the trainings are timed
    methods += [m for m in METHODS if METHODS[m].perceptual]
    seconds = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            jobs = [dict(T=T, method=m, seed=s, epochs=args.epochs, ckpt_dir=d, perceptual="ssim")
                    for m in methods for s in range(args.seeds)]
            t0 = time.perf_counter()
            train_all(jobs, workers=workers, progress_bar=False, scheduler=f"local:{workers}")
            seconds[workers] = time.perf_counter() - t0
        print(f"{workers} Dask worker(s): {len(jobs)} trainings in {seconds[workers]:.1f} s")
    work = 2 * (seconds[1] - seconds[2])  # T(1) = o + w, T(2) = o + w/2
    overhead = seconds[1] - work
    print(f"speed-up with 2 workers: {seconds[1] / seconds[2]:.2f}x; projected: overhead {overhead:.1f} s + "
          f"{work:.1f} s of training / N workers, e.g. "
          + ", ".join(f"N={n}: {overhead + work / n:.0f} s" for n in (4, 8, 16)))


if __name__ == "__main__":  # the workers are separate processes: this guard is required
    main()
