"""A static HTML site of the last ``make run``: every executed notebook, its figures and results tables.

    python -m modgap.tooling.report [--runs runs] [--out runs/report] [--hide-code]      (make report)

Uses nbconvert's HTML exporter (works offline); ``index.html`` links every notebook page, shows every
figure and renders every ``results.csv`` as a table. Smoke runs (``*-smoke``) are left out.
"""
from __future__ import annotations

import argparse
import html
import os
import sys
from pathlib import Path

from modgap.paths import RUNS_DIR


def build_report(runs_dir: str | Path = RUNS_DIR, out_dir: str | Path | None = None, hide_code: bool = False) -> Path:
    import nbformat
    import pandas as pd
    from nbconvert import HTMLExporter

    from modgap.io import atomic_write

    runs_dir = Path(runs_dir)
    out_dir = Path(out_dir) if out_dir else runs_dir / "report"
    runs = sorted(d for d in runs_dir.iterdir() if d.is_dir() and (d / f"{d.name}.ipynb").exists()
                  and not d.name.endswith("-smoke")) if runs_dir.is_dir() else []
    if not runs:
        raise FileNotFoundError(f"no executed notebooks under {runs_dir}; run `make run` first")
    exporter = HTMLExporter(exclude_input=hide_code)
    parts = ["<!doctype html><meta charset='utf-8'><title>modgap results</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}img{max-width:100%;border:1px solid #ddd}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}</style>",
             "<h1>modgap — results of the last run</h1><ul>"]
    parts += [f"<li><a href='#{d.name}'>{html.escape(d.name)}</a></li>" for d in runs]
    parts.append("</ul>")
    for d in runs:
        body, _ = exporter.from_notebook_node(nbformat.read(d / f"{d.name}.ipynb", as_version=4))
        page = out_dir / f"{d.name}.html"
        atomic_write(page, lambda fh: fh.write(body))
        parts.append(f"<h2 id='{d.name}'>{html.escape(d.name)}</h2><p><a href='{page.name}'>the executed notebook</a></p>")
        for png in sorted(d.glob("*.png")):
            rel = os.path.relpath(png, out_dir)
            parts.append(f"<figure><img src='{rel}' alt='{png.name}'><figcaption>{png.name}</figcaption></figure>")
        csv = d / "results.csv"
        if csv.exists():
            parts.append("<h3>results.csv</h3>" + pd.read_csv(csv).to_html(index=False, float_format=lambda v: f"{v:.4g}"))
    index = out_dir / "index.html"
    atomic_write(index, lambda fh: fh.write("\n".join(parts)))
    return index


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.report", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", default=str(RUNS_DIR))
    ap.add_argument("--out")
    ap.add_argument("--hide-code", action="store_true", help="show outputs only")
    args = ap.parse_args(argv)
    try:
        index = build_report(args.runs, args.out, args.hide_code)
    except FileNotFoundError as exc:
        print(f"[report] {exc}", file=sys.stderr)
        return 1
    print(f"[report] {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
