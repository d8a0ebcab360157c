"""Seeds as one batched model: is training the S seeds of one method together (``torch.func.stack_module_state``
+ ``vmap``) faster than training them one after another, on this machine's cores?

    .venv/bin/python benchmarks/batched_seeds.py [--seeds 2 5] [--steps 15] [--rounds 3] [--threads 1]

For each task shape (images 28×28, spectra 451 bins) and method (siamese, MarrNet): the time of one training step
(forward + backward + Adam, batch 32) of S seeds

- one after another: S separate models, as ``train_all`` trains them today (per process);
- batched: one ``vmap`` over the S seeds' stacked parameters and buffers, each seed on its own batch (as each
  seed has its own data), the S losses summed and one Adam step on the stacked parameters (Adam is elementwise,
  so it is each seed's own Adam);
- and the bound: one model on a batch of 32·S, which is what any merging of S small steps into one large one
  could at best approach (vmap of a convolution becomes one convolution over S·32 samples or S groups).

Before timing, it checks that the batched step gives each seed the loss and gradients of its separate step (up to
rounding): a fast wrong path would not count. The shift augmentation is off in both paths (it draws random
offsets, which vmap would draw differently) — it is 3.5% of a step. The variants run in alternation ``--rounds``
times and the median is reported. A benchmark, not a test: it measures speed and asserts nothing.

Rule from the issue: keep batching only at ≥ 1.5× on 2 cores with each seed's model equal to its separate
training up to rounding.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch.func import functional_call, stack_module_state, vmap

from modgap.matching.methods import MatchConfig, Matcher
from modgap.models.extractor import FeatureExtractor
from modgap.seed import seeded

SHAPES = {"images": (2, (32, 1, 28, 28)), "spectra": (1, (32, 1, 451))}


def models(method: str, dim: int, n_seeds: int):
    phi = None
    if method == "marrnet":
        with seeded(99):
            phi = FeatureExtractor(dim, 1, 8, stages=2, embed_dim=32).eval().requires_grad_(False)
    out = []
    for s in range(n_seeds):
        cfg = MatchConfig(method=method, dim=dim, n_ids=0, shift=0, seed=s)
        with seeded(s):
            out.append(Matcher(cfg, phi))
    return out


def inputs(shape, n_seeds: int):
    g = torch.Generator().manual_seed(1)
    return [(torch.rand(shape, generator=g), torch.rand(shape, generator=g), torch.arange(shape[0]))
            for _ in range(n_seeds)]


def separate(ms, data):
    opts = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in ms]

    def step():
        losses = []
        for m, o, (a, b, ids) in zip(ms, opts, data):
            loss, _ = m.loss(a, b, ids, 0.75)
            o.zero_grad(set_to_none=True)
            loss.backward()
            o.step()
            losses.append(loss.detach())
        return torch.stack(losses)

    return step


def vmapped_loss(ms):
    """``(f, params, buffers)``: ``f(params, buffers, a, b, ids) -> (S,)`` the S seeds' losses in one ``vmap`` over
    their stacked state (``params``: leaves that require grad)."""
    base = copy.deepcopy(ms[0]).to("meta")  # the module whose code runs; the state comes from the stack
    base.forward = base.loss  # functional_call calls forward
    base.memory_format = lambda x: x  # vmap cannot ask for a layout: the batched path runs channels-first
    params, buffers = stack_module_state(ms)  # name -> (S, ...)

    def one(p, bu, a, b, ids):
        return functional_call(base, (p, bu), (a, b, ids, 0.75), strict=True)[0]

    return vmap(one, randomness="different"), params, buffers


def stacked(data):
    """(a, b, ids), each (S, B, ...): every seed's own batch."""
    return tuple(torch.stack([d[k] for d in data]) for k in range(3))


def batched(ms, data):
    f, params, buffers = vmapped_loss(ms)
    opt = torch.optim.Adam(params.values(), lr=1e-3)
    a, b, ids = stacked(data)

    def step():
        losses = f(params, buffers, a, b, ids)  # (S,)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        return losses.detach()

    return step


def large_batch(method, dim, shape, n_seeds):
    (m,) = models(method, dim, 1)
    (d,) = inputs((shape[0] * n_seeds, *shape[1:]), 1)
    return separate([m], [d])


def check(method, dim, shape, n_seeds) -> float:
    """Largest relative difference between a seed's loss and gradients in the batched step and in its separate
    step: |Δloss| / |loss| and max |Δgrad| / the largest |grad| of that seed's model (a bias followed by BatchNorm
    has a gradient of exactly 0 in exact arithmetic and ~1e-8 of rounding in either path)."""
    ms, data = models(method, dim, n_seeds), inputs(shape, n_seeds)
    ref = [m.loss(a, b, i, 0.75)[0] for m, (a, b, i) in zip(ms, data)]
    grads = [torch.autograd.grad(r, [p for p in m.parameters() if p.requires_grad], allow_unused=True)
             for r, m in zip(ref, ms)]
    f, p, bu = vmapped_loss(models(method, dim, n_seeds))
    losses = f(p, bu, *stacked(data))
    g = torch.autograd.grad(losses.sum(), list(p.values()), allow_unused=True)
    worst = float(((losses.detach() - torch.stack(ref).detach()).abs() / torch.stack(ref).detach().abs()).max())
    names = [n for n, q in ms[0].named_parameters() if q.requires_grad]
    for j, name in enumerate(names):
        k = list(p).index(name)
        for s in range(n_seeds):
            if grads[s][j] is not None and g[k] is not None:
                scale = max(float(t.abs().max()) for t in grads[s] if t is not None)
                worst = max(worst, float((g[k][s] - grads[s][j]).abs().max()) / scale)
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[2, 5])
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--methods", nargs="+", default=["siamese", "marrnet"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{args.threads} torch thread(s); median of {args.rounds} alternating rounds of {args.steps} steps")
    print(f"{'shape':8s} {'method':8s} {'S':>2s} {'rel. |Δ|':>9s} {'separate':>9s} {'batched':>9s} {'ratio':>6s} "
          f"{'32·S batch':>10s} {'bound':>6s}")
    for shape_name, (dim, shape) in SHAPES.items():
        for method in args.methods:
            for n in args.seeds:
                diff = check(method, dim, shape, n)
                steps = {"separate": separate(models(method, dim, n), inputs(shape, n)),
                         "batched": batched(models(method, dim, n), inputs(shape, n)),
                         "large": large_batch(method, dim, shape, n)}
                times = {k: [] for k in steps}
                for fn in steps.values():
                    fn()  # warm-up
                for _ in range(args.rounds):
                    for k, fn in steps.items():
                        t = time.perf_counter()
                        for _ in range(args.steps):
                            fn()
                        times[k].append((time.perf_counter() - t) / args.steps)
                t = {k: statistics.median(v) for k, v in times.items()}
                print(f"{shape_name:8s} {method:8s} {n:2d} {diff:9.1e} {1e3 * t['separate']:7.1f}ms "
                      f"{1e3 * t['batched']:7.1f}ms {t['separate'] / t['batched']:5.2f}× {1e3 * t['large']:8.1f}ms "
                      f"{t['separate'] / t['large']:5.2f}×", flush=True)


if __name__ == "__main__":
    main()
