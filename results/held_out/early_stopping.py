"""Held-out check of early stopping (issue "claims you can trust", §3): train every matching method to
convergence with early stopping on a validation split, and compare with the fixed budget of the notebooks.

Decision rule, written before the run: adopt early stopping (at most 3× the epochs: 27 on images, 6 on
spectra; patience 3 epochs; 10% of the training pairs held out for validation) for notebooks 02–04 if the
held-out rank-1 averaged over the six methods and five tasks is higher than with the fixed budget (9 / 2
epochs on all the training pairs). Held-out data: data seed 7, model seeds 7 and 8, the default sizes.

    .venv/bin/python results/held_out/early_stopping.py [--models runs/held_out/models]

Writes results/held_out/early_stopping.csv (one row per task, method, seed and protocol) and prints the table.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from modgap.matching.experiment import load_data, matching_jobs, perceptual_nets, settings, train_all, train_or_load
from modgap.matching.methods import METHODS
from modgap.matching.tasks import MATCHING_TASKS
from modgap.metrics.identification import per_query_scores

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="runs/held_out/models")
    args = ap.parse_args()
    base = dict(seed=7, n_seeds=2, tasks=MATCHING_TASKS, n_train_images=600, n_test_images=400, n_train_measurements=20,
                fresh_spectra=False, fashion_root="", models_dir=args.models, perceptual="phi",
                data_draw="fixed")
    protocols = {"fixed budget (9 / 2 epochs)": dict(epochs=9, spectra_epochs=2, patience=0),
                 "early stopping (≤ 27 / 6 epochs, patience 3)": dict(epochs=27, spectra_epochs=6, patience=3)}
    S0 = settings(SimpleNamespace(**base, **protocols["fixed budget (9 / 2 epochs)"]), smoke=False)
    data = load_data(S0)  # the same data and φ for both protocols (data_draw="fixed", as run)
    phi = perceptual_nets(data, S0)
    rows = []
    for name, proto in protocols.items():
        S = settings(SimpleNamespace(**base, **proto), smoke=False)  # model seeds 7, 8 (seed 7, n_seeds 2)
        jobs = matching_jobs(data, METHODS, S, phi)
        t0 = time.perf_counter()
        timing = dict(zip(jobs, train_all(list(jobs.values()))))
        print(f"{name}: {len(jobs)} models in {time.perf_counter() - t0:.0f} s")
        for (task, method, s), job in jobs.items():
            T = data[task, s]
            model, res = train_or_load(**job)
            q = per_query_scores(model.embed_all(T.probe, "a"), model.embed_all(T.gallery, "b"), T.probe_ids, T.gallery_ids)
            rows.append({"protocol": name, "task": task, "method": method, "seed": s, "rank1": 100 * q["rank1"].mean(),
                         "epochs": len(res.history), "best_epoch": res.best_epoch, "train_s": timing[task, method, s][0]})
    df = pd.DataFrame(rows)
    df.to_csv(HERE / "early_stopping.csv", index=False)
    table = df.pivot_table(index=["method"], columns=["protocol", "task"], values="rank1").round(1)
    print(table.to_string())
    print(df.groupby("protocol")[["rank1", "epochs"]].mean().round(2).to_string())


if __name__ == "__main__":
    main()
