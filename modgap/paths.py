"""Where things live: the repository's data folder and the run output folders."""
from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder that holds ``modgap/``, ``data/`` and ``notebooks/``).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Small data that ships with the repository (line lists, a Fashion-MNIST subset).
DATA_DIR = REPO_ROOT / "data"
#: Where real paired embeddings are read from by default (Liang et al.'s ``features_*.npy``; ignored by git,
#: never committed: the README says where to get them). Notebook 09's ``embeddings_dir`` overrides it.
EMBEDDINGS_DIR = DATA_DIR / "external" / "modality-gap"
#: Where ``make run`` writes executed notebooks, figures and results.
RUNS_DIR = REPO_ROOT / "runs"


def output_dir(path: str | os.PathLike, smoke: bool = False) -> Path:
    """Create (if needed) and return an output folder; relative paths are taken from the repo root.

    In smoke mode ``-smoke`` is appended to the folder name, so a quick test run never overwrites
    the results of a full run.

    Notebooks run with their working directory in ``notebooks/`` under papermill and in
    JupyterLab, so resolving against the repo root makes ``"runs/01_data_prep"`` mean the same
    folder everywhere.
    """
    if not str(path).strip():
        raise ValueError("output_dir is empty: give a folder (e.g. runs/05_closing_the_gap); an empty one would write "
                         "into the repository root")
    p = Path(path).expanduser()
    if smoke:
        p = p.with_name(p.name + "-smoke")
    if not p.is_absolute():
        p = REPO_ROOT / p
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create output folder {p}: {exc}") from exc
    return p
