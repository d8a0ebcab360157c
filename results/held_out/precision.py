"""Held-out check of two training-speed levers of the matching track on a CPU (issue "Twice the seeds in the same
time"): may the notebooks train their matchers under ``torch.autocast("cpu", torch.bfloat16)``, or with a larger
batch?

Decision rule, written here before the run:

- **Data and models**: held-out seed 7 (each model seed draws its own data, as the notebooks do), model seeds 7-11,
  notebook 03's default sizes and epochs (9 image / 2 spectra epochs), all six methods on the five tasks. Every
  (task, method, seed) is trained three ways: as now (float32, batch 32, lr 4e-3), with ``precision="bf16"``, and at
  batch 128 with lr 8e-3 (the square-root scaling rule for Adam, Malladi et al. 2022; same epochs, so a quarter of
  the steps). All in one ``train_all`` call with the protocols interleaved, so that a slow moment of the machine hits
  each alike.
- **Speed**: the ratio of summed training seconds, as now / candidate, per modality (spectra, images).
- **Results**: d = rank-1(candidate) − rank-1(as now), in points, paired by (task, method, seed). The five per-seed means
  of d (over the 30 task × method cells) give a t interval (4 df). A candidate moves results **within noise** if that
  95% interval lies inside ±2 points, the smallest effect of interest of the rank-1 claims (results/claims_plan.yaml,
  c3).
- **Adopt** a candidate (bf16 on CPUs with native bf16 only) if it is within noise and its speed ratio is at least 1.1
  on both modalities. Adopting changes trained numbers, so it would be the default from the next reference rerun on:
  the references of this round were rerun as now, before this check.

    .venv/bin/python results/held_out/precision.py [--models runs/held_out/models] [--seeds 5]

Writes results/held_out/precision.csv (one row per task, method, seed and protocol) and prints the summary.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from modgap.matching.experiment import load_data, matching_jobs, perceptual_nets, settings, train_all, train_or_load
from modgap.matching.methods import METHODS
from modgap.matching.tasks import MATCHING_TASKS
from modgap.metrics.identification import per_query_scores

HERE = Path(__file__).resolve().parent
SESOI = 2.0  # rank-1 points (results/claims_plan.yaml, c3.marrnet-beats)
#: the protocols: MatchConfig settings beside the notebooks' own; "as now" first
PROTOCOLS = {"as now": {}, "bf16": {"precision": "bf16"}, "batch 128": {"batch_size": 128, "lr": 8e-3}}


def summary(df: pd.DataFrame, candidate: str, base: str = "as now") -> dict:
    """The decision's numbers for ``candidate`` against ``base`` from the per-model table: speed ratios, the pooled
    difference of rank-1 and its interval."""
    df = df[df.protocol.isin([base, candidate])]
    wide = df.pivot_table(index=["task", "method", "seed"], columns="protocol", values="rank1")
    d = (wide[candidate] - wide[base]).rename("d").reset_index()
    per_seed = d.groupby("seed")["d"].mean()
    n = len(per_seed)
    half = stats.t.ppf(0.975, n - 1) * per_seed.std(ddof=1) / np.sqrt(n) if n > 1 else float("inf")
    kind = np.where(df.task == "Raman-IR", "spectra", "images")
    secs = df.assign(kind=kind).pivot_table(index="kind", columns="protocol", values="train_s", aggfunc="sum")
    speed = (secs[base] / secs[candidate]).to_dict()
    noise = df[df.protocol == base].groupby(["task", "method"])["rank1"].std(ddof=1).median()
    within = bool(abs(per_seed.mean()) + half < SESOI)
    return {"d_mean": float(per_seed.mean()), "d_low": float(per_seed.mean() - half),
            "d_high": float(per_seed.mean() + half), "seeds": n, "within_noise": within,
            "seed_sd": float(noise), "speed": speed,
            "adopt": within and all(v >= 1.1 for v in speed.values()),
            "per_task": d.groupby("task")["d"].mean().round(2).to_dict(),
            "per_method": d.groupby("method")["d"].mean().round(2).to_dict()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="runs/held_out/models")
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    P = SimpleNamespace(seed=7, n_seeds=args.seeds, tasks=MATCHING_TASKS, epochs=9, spectra_epochs=2, n_train_images=600,
                        n_test_images=400, n_train_measurements=20, fresh_spectra=False, fashion_root="",
                        models_dir=args.models, perceptual="phi", patience=0, data_draw="per-seed")
    S = settings(P, smoke=False)
    data = load_data(S)
    phi = perceptual_nets(data, S)
    jobs = {p: matching_jobs(data, METHODS, S, phi, **config) for p, config in PROTOCOLS.items()}
    keys = list(jobs["as now"])
    order = [(p, k) for k in keys for p in PROTOCOLS]  # interleaved: each model's protocols side by side
    t0 = time.perf_counter()
    timing = dict(zip(order, train_all([jobs[p][k] for p, k in order])))
    print(f"{len(order)} models in {time.perf_counter() - t0:.0f} s")
    rows = []
    for p, (task, method, s) in order:
        T = data[task, s]
        model, _ = train_or_load(**jobs[p][task, method, s])
        q = per_query_scores(model.embed_all(T.probe, "a"), model.embed_all(T.gallery, "b"), T.probe_ids, T.gallery_ids)
        rows.append({"protocol": p, "task": task, "method": method, "seed": s, "rank1": 100 * q["rank1"].mean(),
                     "train_s": timing[p, (task, method, s)][0]})
    df = pd.DataFrame(rows)
    if (df.train_s == 0).any():
        print("some models were loaded, not trained: the speed ratios below leave their time out; "
              "rerun with an empty --models folder for them")
    df.to_csv(HERE / "precision.csv", index=False)
    print(df.pivot_table(index="method", columns=["task", "protocol"], values="rank1").round(1).to_string())
    for candidate in list(PROTOCOLS)[1:]:
        out = summary(df, candidate)
        print(f"\n{candidate} - as now, rank-1, mean of {out['seeds']} per-seed means: {out['d_mean']:+.2f} "
              f"[{out['d_low']:+.2f}, {out['d_high']:+.2f}] points (within ±{SESOI}: {out['within_noise']}); "
              f"median seed SD of rank-1 as now: {out['seed_sd']:.2f}")
        print("  per task:", out["per_task"])
        print("  per method:", out["per_method"])
        print("  speed-up (summed training seconds, as now / candidate):", {k: round(v, 2) for k, v in out["speed"].items()})
        print("  adopt (within noise and >= 1.1x on both):", out["adopt"])


if __name__ == "__main__":
    main()
