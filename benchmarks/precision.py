"""Would bfloat16 pay on this CPU? One training step (forward + backward + Adam) of the matchers in float32 and under
``torch.autocast("cpu", dtype=torch.bfloat16)``, at batch 32 (what the notebooks train with) and 128, one thread (as
every training runs), alternated round by round so that a slow moment of the machine hits both alike.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/precision.py [--steps 10] [--rounds 5]

Each step's share of the float32 matmul rate (one thread) is printed for both, the bf16 one counting the same FLOPs.
A benchmark, not a test: it measures and asserts nothing. Whether bf16 may be used for training is a separate
question, answered on held-out seeds (docs/speed.md): a speed-up that moves results beyond the seed noise is not kept.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import compare, make_step, matmul_rate  # noqa: E402  (the same steps the throughput benchmark times)

from modgap.matching.methods import Matcher  # noqa: E402


def autocast_step(one):
    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            one()
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    from modgap.tooling.runner import cpu_description

    print(f"CPU: {cpu_description()}; torch {torch.__version__}; one thread; bf16 on the CPU: "
          f"{torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()}")
    device = torch.device("cpu")
    peak = matmul_rate(device)
    print(f"float32 matmul, one thread: {peak / 1e9:.1f} GFLOP/s; a step's share of it is its FLOPs / time / that rate")
    print(f"{'task shape':24s} {'method':9s} {'fp32':>9s} {'bf16':>9s} {'speed-up':>8s} {'share: fp32':>11s} {'bf16':>6s}")
    for bs in (32, 128):
        shapes = [(f"spectra ({bs},1,451)", 1, (bs, 1, 451), 106), (f"images ({bs},1,28,28)", 2, (bs, 1, 28, 28), 0)]
        for label, dim, shape, n_ids in shapes:
            for method in ("siamese", "marrnet"):
                fp32 = make_step(Matcher, method, dim, shape, device, n_ids)
                bf16 = autocast_step(make_step(Matcher, method, dim, shape, device, n_ids))
                with FlopCounterMode(display=False) as fc:
                    fp32()
                t = compare({"fp32": fp32, "bf16": bf16}, device, args.steps, args.rounds)
                share = {k: fc.get_total_flops() / t[k] / peak for k in t}
                print(f"{label:24s} {method:9s} {1e3 * t['fp32']:7.1f}ms {1e3 * t['bf16']:7.1f}ms "
                      f"{t['fp32'] / t['bf16']:7.2f}× {share['fp32']:11.1%} {share['bf16']:6.1%}", flush=True)
    print(f"\nmedian of {args.rounds} alternated rounds of {args.steps} steps each")


if __name__ == "__main__":
    main()
