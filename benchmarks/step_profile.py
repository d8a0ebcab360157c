"""Where a training step's time goes: ``torch.profiler`` over one thread's training steps of a matcher, the ops
grouped by name with their share of the step's self CPU time, and the FLOP rate of each convolution.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/step_profile.py [--task spectra|images] [--method marrnet] [--steps 20]

A benchmark, not a test: it measures and asserts nothing. docs/speed.md ("Where a spectra step goes") quotes it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import make_step  # noqa: E402

from modgap.matching.methods import Matcher  # noqa: E402

SHAPES = {"spectra": (1, (32, 1, 451), 106), "images": (2, (32, 1, 28, 28), 0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=list(SHAPES), default="spectra")
    ap.add_argument("--method", default="marrnet")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    dim, shape, n_ids = SHAPES[args.task]
    one = make_step(Matcher, args.method, dim, shape, torch.device("cpu"), n_ids)
    for _ in range(3):
        one()
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        for _ in range(args.steps):
            one()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"{args.task} {shape}, {args.method}, one thread, {args.steps} steps: {total / 1e3 / args.steps:.1f} ms per step")
    print(f"{'op (self time)':44s} {'share':>6s} {'ms/step':>8s}")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:12]:
        print(f"{e.key[:44]:44s} {100 * e.self_cpu_time_total / total:5.1f}% {e.self_cpu_time_total / 1e3 / args.steps:8.2f}")
    print("\nops that count FLOPs (forward; their time includes what they call):")
    for e in sorted((e for e in events if e.flops), key=lambda e: -e.flops):
        print(f"{e.key[:44]:44s} {e.flops / 1e9 / args.steps:6.3f} GFLOP/step at "
              f"{e.flops / (e.cpu_time_total * 1e3):6.1f} GFLOP/s")


if __name__ == "__main__":
    main()
