"""Make the notebooks runnable as plain scripts on a GPU machine that has PyTorch but no Jupyter (the device
machine of docs/speed.md, "On a GPU"): each notebook is exported with nbconvert into ``.gpu/NAME_run.py`` with its
``device`` and ``output_dir`` read from ``NB_DEVICE`` and ``NB_OUT``; ``benchmarks/gpu/run_notebook.py`` runs one.

    .venv/bin/python benchmarks/gpu/prepare.py        # then carry .gpu and runs/cache (MiniLM caption features)

A benchmark's helper, not a way to run notebooks: papermill (make run) is that.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert import PythonExporter

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["02_cmunet", "03_marrnet_vs_baselines", "04_occlusion", "05_closing_the_gap", "06_anatomy_of_the_gap",
             "08_connecting_the_lines", "09_real_models"]


def as_script(name: str) -> str:
    source, _ = PythonExporter().from_notebook_node(nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4))
    source = re.sub(r'^device = "auto"', 'device = os.environ.get("NB_DEVICE", "auto")', source, count=1, flags=re.M)
    source = re.sub(r'^output_dir = "[^"]*"', f'output_dir = os.environ.get("NB_OUT", "runs/{name}_gpu")', source,
                    count=1, flags=re.M)
    if source.count("NB_DEVICE") != 1 or source.count("NB_OUT") != 1:
        raise SystemExit(f"{name}: its parameters cell has no device/output_dir line to replace")
    return "import os\n" + source


if __name__ == "__main__":
    out = ROOT / ".gpu"
    out.mkdir(exist_ok=True)
    for name in NOTEBOOKS:
        (out / f"{name}_run.py").write_text(as_script(name))
    print(f"wrote {len(NOTEBOOKS)} scripts to {out}")
