"""Where things live: the repository's data folder and the run output folders."""
from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder that holds ``modgap/``, ``data/`` and ``notebooks/``).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Small data that ships with the repository (line lists, a Fashion-MNIST subset).
DATA_DIR = REPO_ROOT / "data"
#: Where real paired embeddings are read from by default (Liang et al.'s ``features_*.npy``; ignored by git,
#: never committed: the README says where to get them). Notebook 09's ``embeddings_dir`` overrides it; so does
#: ``$MODGAP_EMBEDDINGS_DIR`` (how a test points the default at an empty folder to see the stand-in).
EMBEDDINGS_DIR = Path(os.environ.get("MODGAP_EMBEDDINGS_DIR") or DATA_DIR / "external" / "modality-gap")
#: Where ``make run`` writes executed notebooks, figures and results.
RUNS_DIR = REPO_ROOT / "runs"
RUN_RECORD = "run.json"  # what a finished run writes last into its folder (modgap.tooling.runner)


class UnsafePath(ValueError):
    """An output path that would write where outputs never go (the repository's own files, outside the runs
    folder without an explicit flag, a file where a folder is needed); the message names the parameter."""


def resolve(path: str | os.PathLike) -> Path:
    """``path`` made absolute as every output is (relative paths from the repository root, ``~`` expanded, links
    and ``..`` resolved), so where it points can be checked before anything is written."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = REPO_ROOT / p
    try:
        return p.resolve()
    except RuntimeError as exc:  # a symlink loop (Python < 3.13 raises RuntimeError)
        raise UnsafePath(f"{path}: a symbolic link loop ({exc})") from None
    except OSError as exc:
        raise UnsafePath(f"{path}: {exc.strerror or exc}") from None


def check_output_path(path: str | os.PathLike, what: str, runs_dir: str | os.PathLike | None = None,
                      outside_ok: bool = False) -> Path:
    """The resolved output folder ``path`` (named ``what`` in errors), or :class:`UnsafePath` when it is not a place
    for outputs: a file; inside the repository but not under ``runs/`` (the repository's tracked files are never a
    target); or, unless ``outside_ok`` (an explicit flag such as ``--runs-dir`` or the audit's ``--out``), neither
    under ``runs_dir`` nor under the repository's ``runs/``. Nothing is created."""
    if not str(path).strip():
        raise UnsafePath(f"{what} is empty: give a folder; an empty one would write into the repository root")
    p = resolve(path)
    runs = resolve(RUNS_DIR)
    if p.exists() and not p.is_dir():
        raise UnsafePath(f"{what} {str(path)!r} is a file ({p}), not a folder")
    if p.is_relative_to(REPO_ROOT) and not p.is_relative_to(runs):
        raise UnsafePath(f"{what} {str(path)!r} resolves to {p}, inside the repository but not under runs/: outputs "
                         "never go among the repository's own files; give a folder under runs/")
    inside = p.is_relative_to(runs) or (runs_dir is not None and p.is_relative_to(resolve(runs_dir)))
    if not inside and not outside_ok:
        where = f"the runs folder {resolve(runs_dir)}" if runs_dir is not None else f"{runs}"
        raise UnsafePath(f"{what} {str(path)!r} resolves to {p}, outside {where}: outputs stay under the runs folder "
                         "unless you ask for another one explicitly (--runs-dir for make run and the runner, --out for "
                         "a sweep or the audit)")
    return p


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
    check_output_path(p, "output folder", outside_ok=True)  # never the repository's own files
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create output folder {p}: {exc}") from exc
    return p
