"""Training throughput of MarrNet (cmUNet + E) and the siamese baseline, against this machine's matmul rate.

    .venv/bin/python benchmarks/throughput.py [--device auto] [--steps 20] [--batch-size 32]

Reports samples/s for one training step (forward + backward + Adam) on each task shape, the FLOPs of
that step (torch.utils.flop_counter) and the fraction of the measured float32 matmul rate it reaches.
A benchmark, not a test: it measures speed and asserts nothing.
"""
from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from modgap import get_device
from modgap.matching.methods import MatchConfig, Matcher
from modgap.models.extractor import FeatureExtractor


def matmul_rate(device, n: int = 2048, reps: int = 10) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - t)


def step_rate(method: str, dim: int, shape, device, steps: int, n_ids: int):
    cfg = MatchConfig(method=method, dim=dim, n_ids=n_ids)
    phi = FeatureExtractor(dim, 1, 8, stages=2, embed_dim=32).to(device) if method == "marrnet" else None
    model = Matcher(cfg, phi).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    a, b = torch.rand(shape, device=device), torch.rand(shape, device=device)
    ids = torch.randint(0, max(n_ids, 1), (shape[0],), device=device) if n_ids else torch.arange(shape[0], device=device)

    def one():
        loss, _ = model.loss(a, b, ids, 0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as fc:
        one()
    flops = fc.get_total_flops()
    one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / steps
    return shape[0] / dt, flops / dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=MatchConfig.batch_size, help="default: the batch the notebooks train with")
    args = ap.parse_args()
    device = get_device(args.device)
    peak = matmul_rate(device)
    print(f"device {device}, {torch.get_num_threads()} threads; float32 matmul: {peak / 1e9:.1f} GFLOP/s")
    print(f"{'task shape':22s} {'method':9s} {'samples/s':>10s} {'GFLOP/s':>8s} {'of matmul':>9s}")
    bs = args.batch_size
    for label, dim, shape, n_ids in [(f"spectra ({bs},1,451)", 1, (bs, 1, 451), 106), (f"images ({bs},1,28,28)", 2, (bs, 1, 28, 28), 0)]:
        for method in ("siamese", "marrnet"):
            sps, fps = step_rate(method, dim, shape, device, args.steps, n_ids)
            print(f"{label:22s} {method:9s} {sps:10.0f} {fps / 1e9:8.2f} {fps / peak:9.1%}")


if __name__ == "__main__":
    main()
