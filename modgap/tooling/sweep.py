"""Parameter sweeps over one notebook with papermill: every combination of a YAML grid, in parallel.

    python -m modgap.tooling.sweep notebooks/05_closing_the_gap.ipynb grid.yaml [--jobs 2] [--smoke] [--force]
    python -m modgap.tooling.sweep ... --scheduler tcp://host:8786        # on an existing Dask cluster

The grid file::

    grid:            # every combination of these values is one run
      seed: [0, 1]
      temperature: [0.05, 0.1]
    fixed:           # the same for every run (optional)
      n_seeds: 1
    metric: gap      # what the summary figure shows (optional; default: the first metric)

Each run executes into its own folder ``<sweep>/<k1>=<v1>__<k2>=<v2>/`` (never another run's). A run
whose executed notebook already exists is skipped unless ``--force``. A failed run is reported with
its notebook and failing cell and does not stop the others. At the end every run's ``results.csv`` is
gathered, with one column per grid parameter, into ``<sweep>/sweep.csv`` plus ``sweep.png`` (mean ± std
over the settings that are not shown, such as seeds).
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from modgap.parameters import ParameterError
from modgap.paths import RUNS_DIR


@dataclass
class Grid:
    grid: dict
    fixed: dict
    metric: str | None = None

    def combinations(self) -> list[dict]:
        keys = list(self.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*(self.grid[k] for k in keys))]


def load_grid(path: str | Path) -> Grid:
    """Read and validate a grid YAML file; errors name the file and the problem."""
    import yaml

    from modgap.io import UnreadableFile, readable_file

    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"grid file {path} does not exist")
    try:
        readable_file(path, "grid file")
    except UnreadableFile as exc:
        raise ValueError(f"grid {exc}") from None
    try:
        doc = yaml.safe_load(path.read_text())
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (a grid is YAML, e.g. grid: {{seed: [0, 1]}})") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("grid"), dict) or not doc["grid"]:
        raise ValueError(f"{path}: expected a mapping with a non-empty 'grid:' of parameter: [values]")
    unknown = set(doc) - {"grid", "fixed", "metric"}
    if unknown:
        raise ValueError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: grid, fixed, metric")
    for k, v in doc["grid"].items():
        if not isinstance(v, list) or not v:
            raise ValueError(f"{path}: grid parameter {k!r} must be a non-empty list, got {v!r}")
    fixed = doc.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise ValueError(f"{path}: 'fixed:' must be a mapping of parameter: value, got {fixed!r}")
    overlap = set(fixed) & set(doc["grid"])
    if overlap:
        raise ValueError(f"{path}: {sorted(overlap)} are both in 'grid' and 'fixed'")
    if "output_dir" in doc["grid"] or "output_dir" in fixed:
        raise ValueError(f"{path}: output_dir cannot be swept or fixed: the sweep gives each run a folder of its own "
                         "under its --out folder; remove it")
    metric = doc.get("metric")
    if metric is not None and not isinstance(metric, str):
        raise ValueError(f"{path}: metric must be a metric's name (text), got {metric!r}")
    return Grid(doc["grid"], fixed, metric)


#: the longest run folder name: file systems refuse names over 255 bytes, and a name has ``-smoke`` added in smoke mode
MAX_RUN_NAME = 120


def run_name(params: dict) -> str:
    """A folder name for one combination, e.g. ``seed=0__temperature=0.1``. One too long for a file system is cut
    and ends in a digest of the whole combination, so it stays unique and the same on a rerun."""
    import hashlib
    import json

    name = "__".join(f"{k}={str(v).replace('/', '_').replace(' ', '')}" for k, v in params.items())
    if len(name.encode()) <= MAX_RUN_NAME:
        return name
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return name.encode()[:MAX_RUN_NAME - 14].decode(errors="ignore") + "__" + digest


def _run_one(notebook: str, out_dir: str, params: dict, smoke: bool, timeout: int, force: bool = False) -> dict:
    """Worker: run one combination unless its folder holds a finished run of the same notebook, parameters (the
    grid's and the fixed ones) and code, every file intact; never raises, returns a status record."""
    if smoke:
        os.environ["MODGAP_SMOKE"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    from modgap.paths import UnsafePath
    from modgap.tooling.runner import NotebookFailed, run_or_keep

    try:
        out, kept = run_or_keep(notebook, out_dir, params, timeout=timeout, reuse=not force, say=lambda line: None)
        return {"run": Path(out_dir).name, "status": "skipped (done)" if kept else "ok", "output": str(out)}
    except NotebookFailed as exc:
        return {"run": Path(out_dir).name, "status": "failed", "notebook": exc.notebook.name, "cell": exc.cell,
                "error": exc.error, "output": str(exc.output)}
    except (ParameterError, FileNotFoundError, UnsafePath, ValueError) as exc:
        return {"run": Path(out_dir).name, "status": "failed", "notebook": Path(notebook).name, "cell": None,
                "error": f"{type(exc).__name__}: {exc}", "output": ""}


def run_sweep(notebook: str | Path, grid: Grid, sweep_dir: str | Path, jobs: int = 2, smoke: bool = False,
              force: bool = False, scheduler: str | None = None, timeout: int = 1800) -> list[dict]:
    """Run every combination not yet finished (a finished one is kept only if its notebook, parameters — the
    fixed ones too — and code are the same and its files intact: ``run_or_keep``); one status record each."""
    notebook = Path(notebook).resolve()
    sweep_dir = Path(sweep_dir).resolve()
    todo, records = [], []
    for combo in grid.combinations():
        params = {**grid.fixed, **combo}
        out = sweep_dir / run_name(combo)
        todo.append((str(notebook), str(out), params, smoke, timeout, force))
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ImportError("--scheduler needs Dask: pip install distributed") from exc
        with Client(scheduler) as client:
            futures = [client.submit(_run_one, *args, pure=False) for args in todo]
            records += client.gather(futures)
    elif jobs <= 1 or len(todo) <= 1:
        records += [_run_one(*args) for args in todo]
    else:
        # spawn, not fork: a forked copy of a process with threads running (papermill's zmq loop, torch) can deadlock
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_run_one, *args) for args in todo]
            records += [f.result() for f in as_completed(futures)]
    return sorted(records, key=lambda r: r["run"])


def gather(sweep_dir: str | Path, grid: Grid, smoke: bool = False):
    """Tidy table of every finished run's results, with one column per grid parameter."""
    import pandas as pd

    frames = []
    for combo in grid.combinations():
        folder = Path(sweep_dir) / (run_name(combo) + ("-smoke" if smoke else ""))
        csv = folder / "results.csv"
        if csv.exists():
            df = pd.read_csv(csv)
            for k, v in combo.items():
                df.insert(0, k, v if not isinstance(v, (list, dict)) else str(v))
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


def plot_sweep(table, grid: Grid, path: str | Path, metric: str | None = None):
    """Bar chart of ``metric`` per setting (mean ± std over seeds), hue by method/task when present."""
    import seaborn as sns
    from matplotlib.figure import Figure  # no pyplot: works under any backend, and leaves the caller's alone

    from modgap.io import save_figure

    value = "value" if "value" in table else "mean"
    if "metric" in table:
        metric = metric or str(table["metric"].iloc[0])
        if metric not in set(table["metric"]):
            raise ValueError(f"metric {metric!r} not in the results; available: {sorted(set(table['metric']))}")
        table = table[table["metric"] == metric]
    shown = [k for k in grid.grid if k != "seed"] or list(grid.grid)
    t = table.copy()
    t["setting"] = t[shown].astype(str).agg(", ".join, axis=1) if shown else "all"
    hue = next((c for c in ("method", "task") if c in t), None)
    fig = Figure(figsize=(max(5, 1.2 * t["setting"].nunique() * (1 + (hue is not None))), 3.5))
    ax = fig.subplots()
    sns.barplot(data=t, x="setting", y=value, hue=hue, errorbar="sd", ax=ax)
    over = ", ".join(k for k in grid.grid if k not in shown) or "runs"
    ax.set(xlabel=", ".join(shown), ylabel=metric or value, title=f"{metric or value}: mean ± std over {over}")
    if hue:
        ax.legend(fontsize=7)
    save_figure(fig, path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.sweep", description="Run a notebook over a grid of parameters.")
    ap.add_argument("notebook")
    ap.add_argument("grid", help="YAML file with grid: / fixed: / metric:")
    ap.add_argument("--out", help="sweep folder (default: runs/sweeps/<notebook>-<grid file name>)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel local runs")
    ap.add_argument("--smoke", action="store_true", help="tiny settings (MODGAP_SMOKE=1)")
    ap.add_argument("--force", action="store_true", help="rerun combinations that already finished")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler to run on instead of local processes")
    ap.add_argument("--metric", help="metric for the summary figure")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = ap.parse_args(argv)
    from modgap.paths import UnsafePath, check_output_path

    nb = Path(args.notebook)
    try:
        if not (nb.suffix == ".ipynb" and nb.is_file()):
            raise ValueError(f"not a notebook: {nb} (give an .ipynb file, e.g. notebooks/05_closing_the_gap.ipynb)")
        if args.jobs < 1 or args.timeout < 1:
            raise ValueError(f"--jobs and --timeout must be at least 1, got {args.jobs} and {args.timeout}")
        grid = load_grid(args.grid)
        out = (check_output_path(args.out, "--out", outside_ok=True) if args.out else
               check_output_path(RUNS_DIR / "sweeps" / f"{nb.stem}-{Path(args.grid).stem}", "the sweep folder"))
        if "models_dir" in {**grid.fixed, **grid.grid}:
            for value in grid.grid.get("models_dir", [grid.fixed.get("models_dir")]):
                check_output_path(str(value), f"{args.grid}: models_dir", runs_dir=out)
    except (ValueError, FileNotFoundError, UnsafePath) as exc:
        print(f"[sweep] {exc}", file=sys.stderr)
        return 2
    records = run_sweep(nb, grid, out, args.jobs, args.smoke, args.force, args.scheduler, args.timeout)
    failed = [r for r in records if r["status"] == "failed"]
    for r in records:
        line = f"[sweep] {r['run']}: {r['status']}"
        if r["status"] == "failed":
            line += f" — {r['notebook']} cell {r['cell']}: {r['error']}"
        print(line, file=sys.stderr if r["status"] == "failed" else sys.stdout, flush=True)
    table = gather(out, grid, smoke=args.smoke)
    if table is not None:
        from modgap.io import write_csv

        write_csv(out / "sweep.csv", table)
        try:
            plot_sweep(table, grid, out / "sweep.png", args.metric or grid.metric)
        except ValueError as exc:  # an unknown metric: the table is written, the figure cannot be
            print(f"[sweep] {len(table)} rows -> {out / 'sweep.csv'}; no figure: {exc}", file=sys.stderr)
            return 2
        print(f"[sweep] {len(table)} rows -> {out / 'sweep.csv'}, figure {out / 'sweep.png'}")
    elif not failed:
        print(f"[sweep] no run wrote a results.csv: nothing to gather into {out / 'sweep.csv'}", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
