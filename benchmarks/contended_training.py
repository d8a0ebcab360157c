"""Two-tower training with the cores idle and with another CPU-bound job running, before and after the executor:
the old path (one model after another in the notebook's process, torch on every core) against ``train_towers``
(one one-thread process per core), in one run, alternating.

The cliff this measures: torch's OpenMP threads spin while they wait for each other, so when another process
holds a core, a 2-thread training on 2 cores slows by far more than half. One-thread workers have nothing to wait for.

Then the notebook's own work (evaluation in the kernel: embedding a test set with a MarrNet, as 04 and 08 do for
every occluded probe set) before and after the kernel's threads followed the free cores: torch on every core
(before) against ``modgap.device.threads_for_this_process()`` (after, what ``start_run`` sets), idle and under load.

    .venv/bin/python benchmarks/contended_training.py [--models 4] [--epochs 2] [--embeds 20] [--part both|towers|kernel]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from contextlib import contextmanager

import torch

from modgap.contrastive.experiment import captioned_images, train_or_load_tower, train_towers
from modgap.contrastive.two_tower import TwoTowerConfig


def _hog(stop) -> None:
    x = 0
    while not stop.is_set():  # one core busy, as another user's job would keep it
        x = (x * 1103515245 + 12345) % 2**31


LOADS = ("idle", "another job on one core")


@contextmanager
def under(load: str):
    """The block runs with the cores idle, or with another process keeping one core busy."""
    if load == "idle":
        yield
        return
    stop = mp.Event()
    hog = mp.Process(target=_hog, args=(stop,))
    hog.start()
    time.sleep(0.5)  # let it take its core
    try:
        yield
    finally:
        stop.set()
        hog.join()


def _time(path: str, jobs: list[dict]) -> float:
    with tempfile.TemporaryDirectory() as d:
        jobs = [{**j, "folder": d} for j in jobs]
        t0 = time.perf_counter()
        if path == "one after another, every core":
            for j in jobs:
                train_or_load_tower(**j)
        else:
            train_towers(jobs, progress_bar=False)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--embeds", type=int, default=20, help="passes over 2,000 test images in the kernel part")
    ap.add_argument("--part", choices=["both", "towers", "kernel"], default="both")
    args = ap.parse_args()
    if args.part in ("both", "towers"):
        towers(args)
    if args.part in ("both", "kernel"):
        kernel_evaluation(args.embeds)


def towers(args) -> None:
    data = captioned_images(0, 2000, text_encoder="scratch")
    jobs = [dict(data=data, cfg=TwoTowerConfig(variant="full", temperature=0.1, epochs=args.epochs, seed=s))
            for s in range(args.models)]
    print(f"{args.models} two-tower models × {args.epochs} epochs, {torch.get_num_threads()} torch threads in this process")
    paths = ("one after another, every core", "train_towers, one thread per process")
    seconds = {}
    for load in LOADS:
        with under(load):
            for path in paths:
                seconds[load, path] = _time(path, jobs)
                print(f"{load:24s} {path:38s} {seconds[load, path]:6.1f} s")
    for path in paths:
        print(f"{path}: {seconds['another job on one core', path] / seconds['idle', path]:.2f}x slower under load")
    for load in ("idle", "another job on one core"):
        print(f"{load}: train_towers {seconds[load, paths[0]] / seconds[load, paths[1]]:.2f}x faster than the old path")


def kernel_evaluation(repeats: int) -> None:
    from modgap.device import threads_for_this_process, usable_cores
    from modgap.matching.methods import MatchConfig, Matcher

    model = Matcher(MatchConfig(method="marrnet", dim=2, perceptual="ssim"))
    x = torch.rand(2000, 1, 28, 28)
    seconds = {}
    for load in LOADS:
        with under(load):
            for path in ("every core (before)", "the free cores (after)"):
                n = usable_cores() if path.startswith("every") else threads_for_this_process()
                torch.set_num_threads(n)
                model.embed_all(x[:256], "a")  # warm-up at this thread count
                t0 = time.perf_counter()
                for _ in range(repeats):
                    model.embed_all(x, "a")
                seconds[load, path] = time.perf_counter() - t0
                print(f"kernel evaluation, {load:24s} {path:24s} {n} thread(s) {seconds[load, path]:6.1f} s")
    for path in ("every core (before)", "the free cores (after)"):
        print(f"kernel evaluation, {path}: {seconds['another job on one core', path] / seconds['idle', path]:.2f}x "
              "slower under load")


if __name__ == "__main__":  # train_towers spawns processes: this guard is required
    main()
