"""What the evaluation changes bought, measured in this one run: each "before" is the old code path, run in
alternation with today's, ``--rounds`` times, median reported.

    .venv/bin/python benchmarks/evaluation.py [--rounds 3]

1. KMeans (05, 06, 08: V-Measure of 2,000 × 64 embeddings, 10 classes, 10 restarts) with scikit-learn's default
   threads against one thread (``modgap.device.one_thread``), in a process where torch has just run, as in
   a notebook kernel;
2. the logistic-regression domain classifier of ``modgap.metrics.gap`` (01, 02, 04: 2 × 1,000 samples of 784
   pixels), the same two ways;
3. V-Measure inside a bootstrap (05's and 08's intervals, 1,000 draws): ``sklearn.metrics.v_measure_score``
   against ``modgap.metrics.clustering.v_measure``.

Each is measured twice: on an otherwise idle machine, and with every core kept busy by other processes (what
``make test``'s parallel workers, a sweep or a second run do to a notebook).

A benchmark, not a test: it measures speed and asserts nothing (the tests check that results are equal).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import v_measure_score

from modgap.device import one_thread
from modgap.metrics.clustering import v_measure
from modgap.metrics.gap import domain_classifier_accuracy


def torch_work():
    """What a notebook does between two evaluations: a little torch, which leaves its OpenMP threads spinning."""
    a = torch.randn(256, 256)
    for _ in range(20):
        a = torch.tanh(a @ a / 16)


def timed(fn) -> float:
    """Seconds of one call of ``fn``, right after some torch work (as in a notebook)."""
    torch_work()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def spin():
    while True:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 64))
    labels = rng.integers(0, 10, 1000)
    z = np.concatenate([centres[labels], centres[labels]]) + 1.5 * rng.normal(size=(2000, 64))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    x, y = rng.random((1000, 784)), rng.random((1000, 784)) + 0.05
    truth = np.r_[labels, labels]
    clusters = KMeans(10, n_init=10, random_state=0).fit_predict(z)

    def kmeans():
        KMeans(10, n_init=10, random_state=0).fit_predict(z)

    def kmeans_one():
        with one_thread():
            kmeans()

    def domain():  # the old path: domain_classifier_accuracy's model and folds, on torch's thread count
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=torch.get_num_threads()):
            from sklearn.linear_model import LogisticRegression
            from sklearn.model_selection import StratifiedKFold, cross_val_score
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler
            clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
            cross_val_score(clf, np.concatenate([x, y]), np.r_[np.zeros(1000), np.ones(1000)],
                            cv=StratifiedKFold(5, shuffle=True, random_state=0))

    draws = [rng.integers(0, 2000, 2000) for _ in range(1000)]

    def vm_sklearn():
        for q in draws:
            v_measure_score(truth[q], clusters[q])

    def vm_fast():
        for q in draws:
            v_measure(truth[q], clusters[q])

    print(f"{torch.get_num_threads()} torch threads; median of {args.rounds} rounds")
    print(f"{'what':42s} {'machine':9s} {'before':>8s} {'now':>8s} {'speed-up':>8s}")
    cases = [("KMeans, 2,000 × 64, k = 10, 10 restarts", kmeans, kmeans_one),
             ("domain classifier, 5-fold, 2,000 × 784", domain, lambda: domain_classifier_accuracy(x, y)),
             ("V-Measure in 1,000 bootstrap draws", vm_sklearn, vm_fast)]
    for load in ("idle", "all busy"):
        spinners = []
        if load == "all busy":  # one process per core keeps it busy
            spinners = [multiprocessing.get_context("spawn").Process(target=spin, daemon=True)
                        for _ in range(os.cpu_count() or 1)]
            for p in spinners:
                p.start()
        try:
            for what, before, now in cases:
                tb, tn = [], []
                for _ in range(args.rounds):  # alternate, so a slow moment hits both
                    tb.append(timed(before))
                    tn.append(timed(now))
                b, n = statistics.median(tb), statistics.median(tn)
                print(f"{what:42s} {load:9s} {b:7.2f}s {n:7.2f}s {b / n:7.1f}×")
        finally:
            for p in spinners:
                p.terminate()


if __name__ == "__main__":
    main()
