"""Where a finished run's notebook time went, from what the run itself recorded: each notebook's seconds
(run.json, 05's sequential looks counted to 05), its longest cells (papermill's per-cell durations) and 03's
training seconds per task and method (``train_s`` of per_seed.csv, the seconds each model trained in its worker;
0 for a model loaded from disk, so the table means "from empty" only for a run that started empty).

    .venv/bin/python benchmarks/where_the_time_went.py runs/full [--cells 3] [--out results/full_profile_time.md]

It reads; it trains nothing. ``benchmarks/timings.py --only full --keep`` leaves a run from empty to read.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timings import notebook_seconds  # noqa: E402  (the same run folders timings.json counts)


def per_notebook(runs: Path) -> pd.Series:
    """Minutes per notebook, looks included."""
    out: dict[str, float] = {}
    for folder, seconds in notebook_seconds(runs).items():
        out[folder[:2]] = out.get(folder[:2], 0.0) + seconds / 60
    return pd.Series(out, name="minutes").sort_index()


def longest_cells(runs: Path, n: int = 3) -> pd.DataFrame:
    """The ``n`` longest cells of each notebook: seconds and the cell's first line."""
    rows = []
    for nb in sorted(runs.glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        timed = [(c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0,
                  "".join(c["source"]).splitlines()[0][:70] if c["source"] else "") for c in cells if c["cell_type"] == "code"]
        for seconds, line in sorted(timed, reverse=True)[:n]:
            rows.append({"notebook": nb.parent.name[:2], "seconds": round(seconds, 1), "cell": line})
    return pd.DataFrame(rows)


def training_03(runs: Path) -> pd.DataFrame:
    """03's worker seconds per task × method: models, trained (not loaded) and their summed training minutes."""
    table = pd.read_csv(runs / "03_marrnet_vs_baselines" / "per_seed.csv")
    g = table.groupby(["task", "method"])
    return pd.DataFrame({"models": g.size(), "trained": g["loaded"].apply(lambda x: int((~x.astype(bool)).sum())),
                         "worker_min": (g["train_s"].sum() / 60).round(1)}).reset_index()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, help="a profile's run folder, e.g. runs/full")
    ap.add_argument("--cells", type=int, default=3)
    ap.add_argument("--out", type=Path, help="also write the Markdown here")
    args = ap.parse_args()
    if not (args.runs / "03_marrnet_vs_baselines" / "per_seed.csv").exists():
        raise SystemExit(f"{args.runs} holds no finished run of notebook 03 (no 03_marrnet_vs_baselines/per_seed.csv)")
    nb = per_notebook(args.runs)
    t3 = training_03(args.runs)
    pivot = t3.pivot(index="task", columns="method", values="worker_min")
    pivot["all methods"] = pivot.sum(axis=1)
    pivot.loc["all tasks"] = pivot.sum(axis=0)
    text = "\n\n".join([
        f"Notebook minutes in `{args.runs}` (total {nb.sum():.1f}):\n\n" + nb.round(1).to_frame().T.to_markdown(index=False),
        "Longest cells:\n\n" + longest_cells(args.runs, args.cells).to_markdown(index=False),
        f"03's training, worker minutes (two workers share the wall clock; {int(t3.trained.sum())} of "
        f"{int(t3.models.sum())} models trained, {t3.worker_min.sum():.1f} worker-min):\n\n"
        + pivot.round(1).to_markdown(),
    ])
    print(text)
    if args.out:
        args.out.write_text(f"# Where the time went: `{args.runs}`\n\nWritten by `benchmarks/where_the_time_went.py`.\n\n"
                            + text + "\n")


if __name__ == "__main__":
    main()
