"""A Jupyter Book of a run, readable offline: ``make book`` (``python -m modgap.tooling.book``).

It collects the executed notebooks of the last run — smoke or not, whichever ran last, or the one asked for —
in notebook order, with a first page that gives the run's date, parameters and seeds, flags the notebooks
that failed (their executed copy, up to the error, is in the book with a warning on top) or did not run, and
shows the claims ledger when the run has one. Nothing is executed again: the book shows what the run computed.

Jupyter Book 1.x (Sphinx + MyST-NB) builds offline; 2.x builds with a Node.js site generator that fetches its
theme from the web, so this is pinned to 1.0.4. Equations are typeset by MathJax 2.7 served from the book's
own ``mathjax/`` folder (the copy in the ``jupyter-server-mathjax`` wheel), not from a CDN.

    python -m modgap.tooling.book [--profile classroom | --runs-dir runs] [--smoke | --no-smoke] [--out runs/book]

``make book PROFILE=classroom`` builds the book of ``make run PROFILE=classroom`` (``runs/classroom/``): the runs
folder is the profile's, never a mix of folders; it says which run it built, and warns when a newer run lies
in another profile's folder.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from modgap.paths import RUNS_DIR

CONFIG = """title: "modgap: {title}"
author: the modgap authors
only_build_toc_files: true
execute:
  execute_notebooks: "off"
parse:
  myst_enable_extensions: [dollarmath, amsmath, colon_fence]
html:
  use_repository_button: false
  use_issues_button: false
  use_edit_page_button: false
launch_buttons:
  notebook_interface: ""
  binderhub_url: ""
  thebe: false
sphinx:
  config:
    html_extra_path: [extra]
    mathjax_path: ../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full
    mathjax3_config: null
    mathjax2_config:  # the wheel's MathJax: its one combined configuration, with the STIX-Web fonts it ships
      tex2jax:  # Sphinx puts math in class="math" spans inside sections MyST-NB marks tex2jax_ignore
        processClass: tex2jax_process|mathjax_process|math|output_area
        ignoreClass: tex2jax_ignore|mathjax_ignore
      HTML-CSS:
        availableFonts: []
        webFont: STIX-Web
        imageFont: null
        preferredFont: null
    html_show_copyright: false
"""


#: the book's own style: the text column takes the width the page has (the ledger's verdict columns and the run's
#: parameters fit a 1280 px screen; tests/test_book.py measures it), and tables wrap long values instead of hiding them
CSS = """
.bd-page-width { max-width: 100%; }
.bd-main .bd-content .bd-article-container { max-width: 100%; }
.bd-sidebar-secondary { display: none; }
table { font-size: 0.8rem; }
table td, table th { padding: 0.25em 0.45em !important; }
table td code, table td .pre, table td code span { white-space: normal !important; word-break: break-all; }
"""


def _short(value) -> str:
    """A parameter's value for the book's first page: a path inside the repository relative to it."""
    from modgap.paths import REPO_ROOT

    text = str(value)
    return text[len(str(REPO_ROOT)) + 1:] if text.startswith(str(REPO_ROOT) + "/") else text


def mathjax_dir() -> Path:
    """The MathJax 2.7 that the ``jupyter-server-mathjax`` wheel ships (the book and nbgrader feedback use it offline)."""
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").exists():
        raise FileNotFoundError(f"MathJax is not in {static}: pip install jupyter-server-mathjax")
    return static


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("[an interactive widget: open this notebook in JupyterLab (make lab) to use it; "
               "the figures below it show the same view]\n")


def static_widgets(nb) -> int:
    """Make an executed notebook's widgets static for the book: drop the saved widget state (with it, the book's pages
    would load require.js and the widget manager from a CDN, and offline they fail) and put a one-line note where a
    widget was drawn. Returns how many widget outputs were replaced."""
    import nbformat

    nb.metadata.pop("widgets", None)
    replaced = 0
    for cell in nb.cells:
        for i, out in enumerate(cell.get("outputs", [])):
            if WIDGET_MIME in out.get("data", {}):
                cell.outputs[i] = nbformat.v4.new_output("stream", name="stdout", text=WIDGET_NOTE)
                replaced += 1
    return replaced


def last_run_is_smoke(runs_dir: Path) -> bool:
    """Whether the most recently executed notebook under ``runs_dir`` is from a smoke run."""
    latest = max(((p.stat().st_mtime, p.parent.name.endswith("-smoke")) for p in runs_dir.glob("[0-9][0-9]_*/*.ipynb")),
                 default=None)
    if latest is None:
        raise FileNotFoundError(f"no executed notebook under {runs_dir}: run `make run` (or `make smoke`) first")
    return latest[1]


def _failed_cell(nb) -> int | None:
    for i, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return None


def _seeds(path: Path, nb) -> str:
    """``seed`` and ``n_seeds`` as the notebook ran: its parameters cell's defaults, overridden by what papermill
    injected."""
    import papermill

    try:
        declared = {k: v["default"] for k, v in papermill.inspect_notebook(str(path)).items()}
    except Exception:  # a notebook without a parameters cell
        declared = {}
    values = {**declared, **{k: repr(v) for k, v in nb.metadata.get("papermill", {}).get("parameters", {}).items()}}
    shown = [f"{k} = {values[k]}" for k in ("seed", "n_seeds") if k in values]
    return ", ".join(shown) or "—"


def _stand_in_warning(runs_dir: Path, suffix: str) -> list[str]:
    """A warning for the first page when notebook 09 audited its stand-in (no real embeddings were found in the
    default folder): its numbers are then about a toy model, not CLIP."""
    results = runs_dir / f"09_real_models{suffix}" / "results.json"
    try:
        source = json.loads(results.read_text()).get("source")
    except (OSError, ValueError):
        return []
    if source != "stand-in":
        return []
    return [":::{warning}", "**Notebook 09 audited a stand-in** (a two-tower model trained here), not the pretrained "
            "models: no real embeddings were in `data/external/modality-gap/` (README, \"Getting the real files\"). "
            "Its claims say so.", ":::", ""]


def _ledger_markdown(runs_dir: Path, suffix: str) -> str:
    import pandas as pd

    from modgap.tooling.ledger import markdown_table, with_verdicts

    csv = runs_dir / f"07_claims{suffix}" / "ledger.csv"
    if not csv.exists():
        return "No claims ledger in this run (notebook 07 did not run).\n"
    table = pd.read_csv(csv)
    if "family" not in table:
        return "This run's ledger predates claim ids and families: run `make run` again for it.\n"
    table = with_verdicts(table)
    counts = table.verdict_adjusted.value_counts()
    return (f"{len(table)} claims; Holm-adjusted within their families: " + ", ".join(f"{n} {v}" for v, n in counts.items())
            + ".\n\n" + markdown_table(table) + "\n")


def build_book(runs_dir: str | Path = RUNS_DIR, smoke: bool | None = None, out: str | Path | None = None,
               notebook_names: list[str] | None = None) -> Path:
    """Build the book of the run in ``runs_dir``; returns the path of its ``index.html``."""
    import nbformat

    from modgap.tooling.runner import numbered_notebooks

    runs_dir = Path(runs_dir).resolve()
    smoke = last_run_is_smoke(runs_dir) if smoke is None else smoke
    suffix = "-smoke" if smoke else ""
    out = Path(out) if out else runs_dir / f"book{suffix}"
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    # MathJax goes to the site's root through html_extra_path: Jupyter Book would add every script under _static/
    # to every page, and MathJax loads its own extensions
    shutil.copytree(mathjax_dir(), src / "extra" / "mathjax")

    names = notebook_names or [p.stem for p in numbered_notebooks()]
    rows, chapters = [], []
    for name in names:
        folder = runs_dir / f"{name}{suffix}"
        done, failed = folder / f"{name}.ipynb", folder / f"{name}.failed.ipynb"
        record = json.loads((folder / "run.json").read_text()) if (folder / "run.json").exists() else {}
        source = failed if failed.exists() and (not done.exists() or failed.stat().st_mtime > done.stat().st_mtime) else done
        if not source.exists():
            rows.append(f"| {name} | **did not run** | | | |")
            continue
        nb = nbformat.read(source, as_version=4)
        if source == failed:
            cell = _failed_cell(nb)
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                f":::{{warning}}\n**This notebook failed in this run** (at cell {cell}); what follows is its executed copy "
                f"up to the error.\n:::"))
            status = f"**failed** (cell {cell})"
        else:
            status = "ran"
        static_widgets(nb)
        nbformat.write(nb, src / "notebooks" / f"{name}.ipynb")
        chapters.append(f"notebooks/{name}")
        params = ", ".join(f"`{k}={_short(v)}`" for k, v in sorted(record.get("parameters", {}).items())) or "defaults"
        rows.append(f"| [{name}](notebooks/{name}.ipynb) | {status} | {record.get('date', '')[:19].replace('T', ' ')} "
                    f"({record.get('seconds', 0):.0f} s) | {_seeds(source, nb)} | {params} |")
    if not chapters:
        raise FileNotFoundError(f"no executed notebook of the {'smoke' if smoke else 'full'} run in {runs_dir}")

    dates = sorted(json.loads(p.read_text()).get("date", "") for p in runs_dir.glob(f"[0-9][0-9]_*{suffix}/run.json")
                   if p.parent.name.endswith("-smoke") == smoke)
    kind = "smoke run (tiny data, one seed: its numbers mean nothing)" if smoke else "run"
    intro = [f"# The modality gap, reproduced: a {kind} of {dates[-1][:10] if dates else 'unknown date'}", "",
             f"Executed notebooks of `{runs_dir.name}/`, in order; each notebook's parameters cell gives its settings "
             "and seed. This book shows what the run computed: nothing was executed again to build it.", "",
             "## Notebooks", "", "| notebook | status | finished (time) | seed, seeds | parameters given |", "|---|---|---|---|---|",
             *rows, "", *_stand_in_warning(runs_dir, suffix), "## The claims ledger", "", _ledger_markdown(runs_dir, suffix)]
    (src / "intro.md").write_text("\n".join(intro))
    (src / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n" + "".join(f"- file: {c}\n" for c in chapters))
    (src / "_config.yml").write_text(CONFIG.format(title="smoke run" if smoke else "run"))
    (src / "_static").mkdir()
    (src / "_static" / "modgap.css").write_text(CSS)
    jb = Path(sys.executable).parent / "jupyter-book"  # the console script of the jupyter-book package
    proc = subprocess.run([str(jb), "build", str(src), "--path-output", str(out), "--quiet"],
                          capture_output=True, text=True)
    index = out / "_build" / "html" / "index.html"
    if proc.returncode != 0 or not index.exists():
        raise RuntimeError(f"jupyter-book build failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")
    return index


def newer_runs_elsewhere(runs_dir: Path) -> list[Path]:
    """Other runs folders under ``RUNS_DIR`` (a profile's, e.g. ``runs/classroom``) whose newest executed
    notebook is newer than any in ``runs_dir``."""
    def newest(d: Path) -> float:
        return max((p.stat().st_mtime for p in d.glob("[0-9][0-9]_*/*.ipynb")), default=0.0)

    here = newest(runs_dir)
    others = {p.parent.parent for p in RUNS_DIR.glob("*/[0-9][0-9]_*/*.ipynb")} - {runs_dir.resolve()}
    return sorted(d for d in others if newest(d) > here)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.book", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default=None, help="the book of this profile's run (its runs_dir): default, classroom, full")
    ap.add_argument("--runs-dir", default=None, help="the runs folder (default: the profile's, runs/ for default)")
    ap.add_argument("--smoke", action=argparse.BooleanOptionalAction, default=None,
                    help="the smoke run's notebooks (default: whichever run executed a notebook last)")
    ap.add_argument("--out", help="where the book goes (default: <runs-dir>/book or book-smoke)")
    args = ap.parse_args(argv)
    from modgap.parameters import ParameterError, load_profile
    from modgap.paths import REPO_ROOT

    try:
        profile_dir = load_profile(args.profile, require_notebooks=False)[1] if args.profile else None
    except ParameterError as exc:
        print(f"[book] {exc}", file=sys.stderr)
        return 2
    if args.runs_dir and profile_dir:
        print(f"[book] give --profile or --runs-dir, not both (profile {args.profile} writes to {profile_dir})", file=sys.stderr)
        return 2
    runs_dir = Path(args.runs_dir or profile_dir or RUNS_DIR)
    runs_dir = runs_dir if runs_dir.is_absolute() else REPO_ROOT / runs_dir
    print(f"[book] the book of the run in {runs_dir}" + (f" (profile {args.profile})" if args.profile else ""))
    for other in newer_runs_elsewhere(runs_dir) if runs_dir.resolve() == RUNS_DIR.resolve() else []:
        print(f"[book] note: {other} holds a newer run; its book: make book PROFILE={other.name}")
    try:
        index = build_book(runs_dir, args.smoke, args.out)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"[book] {exc}", file=sys.stderr)
        return 1
    print(f"[book] {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
