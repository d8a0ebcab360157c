"""Channels-last for the 1-D (spectra) path, measured on the feature extractor E: the same network run three ways,
alternated, one training step each (forward, backward, Adam) at batch 32 on one thread:

- ``1-D``: as the notebooks run it, ``Conv1d`` / ``BatchNorm1d`` / ``MaxPool1d`` on (B, C, L);
- ``2-D``: every layer as its 2-D twin with a 1 × k kernel on (B, C, 1, L), weights copied, channels-first;
- ``2-D channels-last``: the same in ``torch.channels_last``, the layout whose oneDNN kernels made images 10–22%
  faster (docs/speed.md, "Kept").

It prints the median step of each and the largest difference of the three outputs (the same function up to
rounding). E is about half of a MarrNet step; cmUNet's 1-D path folds bins into channels with reshapes and is not
converted here.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/channels_last_1d.py [--rounds 5] [--steps 10]
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch import nn

from modgap.models.extractor import FeatureExtractor


def as_2d(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with every 1-D layer replaced by its 2-D twin on a (1, L) plane (1 × k kernels)."""
    m = copy.deepcopy(module)
    _convert(m)
    return m


def _convert(m: nn.Module) -> None:
    for name, child in m.named_children():
        if isinstance(child, nn.Conv1d):
            new = nn.Conv2d(child.in_channels, child.out_channels, (1, child.kernel_size[0]), stride=(1, child.stride[0]),
                            padding=(0, child.padding[0]), bias=child.bias is not None)
            new.weight.data.copy_(child.weight.data.unsqueeze(2))
            if child.bias is not None:
                new.bias.data.copy_(child.bias.data)
        elif isinstance(child, nn.BatchNorm1d):
            new = nn.BatchNorm2d(child.num_features)
            new.load_state_dict(child.state_dict())
        elif isinstance(child, nn.MaxPool1d):
            k, s = child.kernel_size, child.stride
            new = nn.MaxPool2d((1, k if isinstance(k, int) else k[0]), (1, s if isinstance(s, int) else s[0]))
        elif isinstance(child, nn.AdaptiveAvgPool1d):
            out = child.output_size
            new = nn.AdaptiveAvgPool2d((1, out if isinstance(out, int) else out[0]))
        else:
            _convert(child)
            continue
        setattr(m, name, new)


def step_time(model, x, steps: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    t = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        model(x).square().mean().backward()
        opt.step()
    return (time.perf_counter() - t) / steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.manual_seed(0)
    e1 = FeatureExtractor(dim=1)
    e2 = as_2d(e1)
    e2cl = as_2d(e1).to(memory_format=torch.channels_last)
    x1 = torch.randn(args.batch, 1, 451)
    x2 = x1.unsqueeze(2)
    x2cl = x2.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        y = [m.eval()(x) for m, x in ((e1, x1), (e2, x2), (e2cl, x2cl))]
    print(f"largest output difference, 2-D vs 1-D: {(y[1] - y[0]).abs().max():.1e}; channels-last vs 1-D: "
          f"{(y[2] - y[0]).abs().max():.1e}  (scale {y[0].abs().max():.1e})")
    runs = {"1-D": (e1.train(), x1), "2-D": (e2.train(), x2), "2-D channels-last": (e2cl.train(), x2cl)}
    for model, x in runs.values():  # warm-up
        step_time(model, x, 3)
    times = {k: [] for k in runs}
    for _ in range(args.rounds):
        for k, (model, x) in runs.items():
            times[k].append(step_time(model, x, args.steps))
    base = statistics.median(times["1-D"])
    print(f"E on spectra (batch {args.batch}, {torch.get_num_threads()} thread(s)), median of {args.rounds} rounds of "
          f"{args.steps} steps:")
    for k, v in times.items():
        med = statistics.median(v)
        print(f"  {k:18s} {1000 * med:6.1f} ms/step  {base / med:4.2f}x the 1-D path")


if __name__ == "__main__":
    main()
