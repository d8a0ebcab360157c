"""Training throughput of MarrNet (cmUNet + E) and the baselines, against this machine's matmul rate, and what
each kept speed change bought, measured in this one run.

    .venv/bin/python benchmarks/throughput.py [--device auto] [--steps 20] [--rounds 5] [--threads 2]

For each task shape and method: samples/s of one training step (forward + backward + Adam) as the package
trains today, its FLOPs (torch.utils.flop_counter), and the fraction of the measured float32 matmul rate (the
same thread count) it reaches. Then the before/after ratio of each change kept in the training step, the
"before" rebuilt here from the old code path: the variants run in alternation, ``--rounds`` times, and the
median is reported, so that a slow moment of the machine hits both sides alike.

A benchmark, not a test: it measures speed and asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from modgap import get_device
from modgap.matching.methods import MatchConfig, Matcher
from modgap.models.extractor import FeatureExtractor


def matmul_rate(device, n: int = 2048, reps: int = 10) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    sync(device)
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - t)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


class BeforeMatcher(Matcher):
    """The training step before the speed changes: channels-first images (the same loss up to rounding) and the
    augmentation rolling one sample at a time in a Python loop (exactly the same; test_matching_methods checks
    both)."""

    def __init__(self, cfg, phi=None):
        super().__init__(cfg, phi)
        self.to(memory_format=torch.contiguous_format)
        if phi is not None:
            phi.to(memory_format=torch.contiguous_format)

    def memory_format(self, x):
        return x.contiguous()

    def augment(self, x):
        s = self.cfg.shift
        if s == 0 or not self.training:
            return x
        dims = tuple(range(2, x.dim()))
        offsets = torch.randint(-s, s + 1, (len(x), len(dims)))
        return torch.stack([torch.roll(xi, tuple(o.tolist()), tuple(d - 1 for d in dims)) for xi, o in zip(x, offsets)])


def make_step(cls, method: str, dim: int, shape, device, n_ids: int):
    """A closure running one training step of a fresh model, seeded, on fixed random inputs."""
    torch.manual_seed(0)
    cfg = MatchConfig(method=method, dim=dim, n_ids=n_ids)
    phi = FeatureExtractor(dim, 1, 8, stages=2, embed_dim=32).to(device) if cfg.uses_phi else None
    model = cls(cfg, phi).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    a, b = torch.rand(shape, device=device), torch.rand(shape, device=device)
    ids = torch.randint(0, n_ids, (shape[0],), device=device) if n_ids else torch.arange(shape[0], device=device)

    def one():
        loss, _ = model.loss(a, b, ids, 0.5)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return one


def seconds_per_step(one, device, steps: int) -> float:
    sync(device)
    t = time.perf_counter()
    for _ in range(steps):
        one()
    sync(device)
    return (time.perf_counter() - t) / steps


def compare(variants: dict, device, steps: int, rounds: int) -> dict[str, float]:
    """Median seconds per step of each variant, measured in alternation."""
    for one in variants.values():  # warm-up: first calls allocate and pick kernels
        for _ in range(3):
            one()
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, one in variants.items():
            times[name].append(seconds_per_step(one, device, steps))
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's, one per core)")
    ap.add_argument("--batch-size", type=int, default=MatchConfig.batch_size, help="default: the batch the notebooks train with")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device(args.device)
    peak = matmul_rate(device)
    print(f"device {device}, {torch.get_num_threads()} threads; float32 matmul: {peak / 1e9:.1f} GFLOP/s")
    print(f"{'task shape':22s} {'method':9s} {'samples/s':>10s} {'GFLOP/s':>8s} {'of matmul':>9s} "
          f"{'before':>9s} {'now':>9s} {'speed-up':>8s}")
    bs = args.batch_size
    shapes = [(f"spectra ({bs},1,451)", 1, (bs, 1, 451), 106), (f"images ({bs},1,28,28)", 2, (bs, 1, 28, 28), 0)]
    for label, dim, shape, n_ids in shapes:
        for method in ("siamese", "transfer", "marrnet"):
            now = make_step(Matcher, method, dim, shape, device, n_ids)
            before = make_step(BeforeMatcher, method, dim, shape, device, n_ids)
            with FlopCounterMode(display=False) as fc:
                now()
            t = compare({"before": before, "now": now}, device, args.steps, args.rounds)
            flops = fc.get_total_flops() / t["now"]
            print(f"{label:22s} {method:9s} {bs / t['now']:10.0f} {flops / 1e9:8.2f} {flops / peak:9.1%} "
                  f"{1e3 * t['before']:7.1f}ms {1e3 * t['now']:7.1f}ms {t['before'] / t['now']:7.2f}×")
    threads = torch.get_num_threads()
    if device.type == "cpu" and threads > 1:
        # train_all trains one model per core, one thread each: over one model after another with every thread,
        # that gains at most threads × t(all threads) / t(one thread) — less when the cores share memory bandwidth
        print(f"\nside by side ({threads} processes × 1 thread) against one after another ({threads} threads), "
              "the most it can gain:")
        for label, dim, shape, n_ids in shapes:
            for method in ("siamese", "marrnet"):
                one = make_step(Matcher, method, dim, shape, device, n_ids)
                t = {}
                for _ in range(args.rounds):
                    for n in (threads, 1):
                        torch.set_num_threads(n)
                        t.setdefault(n, []).append(compare({"x": one}, device, args.steps, 1)["x"])
                torch.set_num_threads(threads)
                t1, tn = statistics.median(t[1]), statistics.median(t[threads])
                print(f"{label:22s} {method:9s} 1 thread {1e3 * t1:6.1f} ms, {threads} threads {1e3 * tn:6.1f} ms: "
                      f"at most {threads * tn / t1:.2f}×")


if __name__ == "__main__":
    main()
