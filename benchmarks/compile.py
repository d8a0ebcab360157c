"""Would graph capture pay? One training step of the matchers eager and with ``torch.compile`` (inductor) around the
loss, one thread (as every training runs), batch 32: the compile cost paid on the first steps, then the steady-state
step, eager and compiled alternated round by round.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/compile.py [--steps 10] [--rounds 5]

A benchmark, not a test: it measures and asserts nothing. A compiled step is worth it only if its compile is paid once
per worker process (warm workers, fixed shapes) and the step stays bit-identical or within the seed noise.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import compare  # noqa: E402

from modgap.matching.methods import MatchConfig, Matcher  # noqa: E402
from modgap.models.extractor import FeatureExtractor  # noqa: E402


def steps(method: str, dim: int, shape, n_ids: int):
    """The eager and the compiled step of two identical fresh models on the same inputs."""
    out = {}
    for name in ("eager", "compiled"):
        torch.manual_seed(0)
        cfg = MatchConfig(method=method, dim=dim, n_ids=n_ids)
        phi = FeatureExtractor(dim, 1, 8, stages=2, embed_dim=32) if cfg.uses_phi else None
        model = Matcher(cfg, phi)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        a, b = torch.rand(shape), torch.rand(shape)
        ids = torch.randint(0, n_ids, (shape[0],)) if n_ids else torch.arange(shape[0])
        loss_fn = (lambda m: lambda *x: m.loss(*x)[0])(model)
        if name == "compiled":
            loss_fn = torch.compile(loss_fn, dynamic=False)

        def one(loss_fn=loss_fn, opt=opt, a=a, b=b, ids=ids):
            loss = loss_fn(a, b, ids, 0.5)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        out[name] = one
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}; one thread; batch 32")
    print(f"{'task shape':24s} {'method':9s} {'compile':>8s} {'eager':>9s} {'compiled':>9s} {'speed-up':>8s}")
    cpu = torch.device("cpu")
    for label, dim, shape, n_ids in (("spectra (32,1,451)", 1, (32, 1, 451), 106),
                                     ("images (32,1,28,28)", 2, (32, 1, 28, 28), 0)):
        for method in ("siamese", "marrnet"):
            s = steps(method, dim, shape, n_ids)
            t0 = time.perf_counter()
            for _ in range(3):  # the first calls compile (forward and backward graphs)
                s["compiled"]()
            cost = time.perf_counter() - t0
            t = compare(s, cpu, args.steps, args.rounds)
            print(f"{label:24s} {method:9s} {cost:7.1f}s {1e3 * t['eager']:7.1f}ms {1e3 * t['compiled']:7.1f}ms "
                  f"{t['eager'] / t['compiled']:7.2f}×", flush=True)
    print(f"\nmedian of {args.rounds} alternated rounds of {args.steps} steps each; compile: the first 3 steps")


if __name__ == "__main__":
    main()
