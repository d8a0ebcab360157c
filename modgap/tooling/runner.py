"""Execute the numbered notebooks with papermill and gather their results into one table.

``python -m modgap.tooling.runner`` (what ``make run`` calls) runs every ``notebooks/NN_*.ipynb`` in order
into ``runs/<name>/``: the executed notebook, its PNG figures, ``results.json`` and ``results.csv``.
Afterwards every ``runs/*/results.csv`` is gathered into ``runs/results.csv`` .

An executed notebook is first written as ``.<name>.running.ipynb`` and renamed when it finished;
a failed run is kept as ``<name>.failed.ipynb`` and the failing cell is reported, so a half-run
notebook never looks complete.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from modgap.parameters import ParameterError, _profile_document, load_profile  # noqa: F401  (load_profile: the runner's API)
from modgap.paths import REPO_ROOT, RUNS_DIR

NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def _shown(path: Path, base: Path) -> Path:
    """``path`` relative to ``base`` when it lies inside it (shorter in messages), else as it is."""
    return path.relative_to(base) if path.is_relative_to(base) else path


def numbered_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """``NN_name.ipynb`` files of ``folder`` in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


#: the claims ledger reads every other notebook's claims, so it runs after them whatever its number
LEDGER_NOTEBOOK = "07_claims"


def run_order(notebooks: list[Path]) -> list[Path]:
    """``notebooks`` as given, with the ledger notebook moved to the end."""
    return sorted(notebooks, key=lambda p: Path(p).stem == LEDGER_NOTEBOOK)


def declared_parameters(notebook: Path) -> dict:
    """The names and inferred types of a notebook's ``parameters`` cell (papermill's own parser)."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def check_known(notebook: Path, parameters: dict) -> None:
    """Refuse parameters that the notebook does not declare (papermill would silently ignore them)."""
    declared = declared_parameters(notebook)
    if not declared:
        raise ParameterError(f"{notebook.name} has no cell tagged 'parameters'")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ParameterError(f"{notebook.name}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                             f"it takes: {', '.join(sorted(declared))}")


class NotebookFailed(RuntimeError):
    def __init__(self, notebook: Path, output: Path, cell: int | None, error: str):
        where = f"cell {cell}" if cell is not None else "an unknown cell"  # numbering of the executed copy
        super().__init__(f"{notebook.name} failed in {where}: {error}\n  executed copy: {output}")
        self.notebook, self.output, self.cell, self.error = notebook, output, cell, error


#: the kernel draws figures inline, so the executed notebook (and the book made of it) shows them, whatever
#: backend the calling shell asked for (make sets Agg for the scripts that plot without a display)
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}

DEFAULT_CELL_TIMEOUT = 1800  # seconds a cell may run, unless --timeout or the profile's cell_timeout says otherwise


def ipc_kernel_manager(env: dict | None = None):
    """A jupyter_client ``KernelManager`` whose kernel talks over local IPC sockets in a private temporary folder
    (mode 0700) instead of TCP on localhost: nothing listens on a port, and the kernel no longer warns that it
    is "running over TCP without encryption" at the top of every run. ``env`` is added to the kernel's
    environment (``KERNEL_ENV`` by default)."""
    import shutil
    import tempfile

    from jupyter_client.manager import AsyncKernelManager

    extra = dict(KERNEL_ENV if env is None else env)

    class IPCKernelManager(AsyncKernelManager):  # async, as nbclient expects: with the blocking one no cell ever timed out
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._ipc_dir = tempfile.mkdtemp(prefix="modgap-kernel-")
            self.transport = "ipc"
            self.ip = str(Path(self._ipc_dir) / "kernel")

        async def _async_pre_start_kernel(self, **kw):
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **extra}
            return await super()._async_pre_start_kernel(**kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart)
            if not restart:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

    return IPCKernelManager


FAILED_RUN = "failed-run"  # where a failed run's own figures and tables go, inside the notebook's output folder


def _top_level_files(folder: Path) -> dict[str, tuple[int, int]]:
    """name -> (size, mtime_ns) of the plain files directly in ``folder`` (not in subfolders, not hidden)."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".")}


def _set_aside_failed_run(out_dir: Path, before: dict, backup: Path, keep: set[str]) -> Path:
    """After a failed run: move every top-level file it wrote or changed into ``out_dir/failed-run/`` and put the
    previous run's copy back, so ``out_dir`` holds one run — the last good one — and the failed one lies apart.
    Subfolders (caches of trained models, named by their settings) are left as they are."""
    import shutil

    aside = out_dir / FAILED_RUN
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    for name, stat in _top_level_files(out_dir).items():
        if name in keep or before.get(name) == stat:
            continue
        os.replace(out_dir / name, aside / name)
        if (backup / name).exists():
            os.replace(backup / name, out_dir / name)
    return aside


def fingerprint(notebook: str | Path, parameters: dict, smoke: bool) -> str:
    """What decides a notebook's results: its own text, the parameters it runs with, smoke mode and the package's
    code (every ``modgap/**/*.py``). A finished run with the same fingerprint is not run again."""
    import hashlib
    import json

    h = hashlib.sha256(Path(notebook).read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    h.update(b"smoke" if smoke else b"full")
    for py in sorted((REPO_ROOT / "modgap").rglob("*.py")):
        h.update(py.relative_to(REPO_ROOT).as_posix().encode())
        h.update(py.read_bytes())
    return h.hexdigest()[:16]


def run_folder(out_dir: str | Path, parameters: dict) -> Path:
    """The folder a notebook run writes to: ``output_dir`` when given, else ``out_dir``; ``-smoke`` appended in smoke mode."""
    from modgap.parameters import smoke_default
    from modgap.paths import output_dir

    smoke = parameters.get("smoke")
    return output_dir(parameters.get("output_dir", out_dir), smoke=smoke_default(smoke if isinstance(smoke, bool) else None))


def _recover_killed_run(out_dir: Path, stem: str) -> None:
    """A run killed outright (SIGKILL, power loss) leaves its copy of the previous run's files and a half-executed
    notebook: put the previous files back and drop the half-executed notebook, so nothing half-written stays."""
    for backup in out_dir.glob(".previous-run-*"):
        for f in backup.iterdir():
            os.replace(f, out_dir / f.name)
        backup.rmdir()
    (out_dir / f".{stem}.running.ipynb").unlink(missing_ok=True)


def run_notebook(notebook: str | Path, out_dir: str | Path, parameters: dict | None = None,
                 kernel: str = "python3", timeout: int = DEFAULT_CELL_TIMEOUT, progress: bool = False) -> Path:
    """Execute ``notebook`` into ``out_dir/<name>.ipynb`` with ``parameters`` (plus ``output_dir``). With an
    ``output_dir`` among ``parameters``, the executed notebook goes there too, next to its figures.

    In smoke mode (``MODGAP_SMOKE=1``) the notebook writes to ``<out_dir>-smoke`` and so does this.

    A run that fails (an error in a cell, a timeout, an interrupt) leaves ``<name>.failed.ipynb`` in the folder,
    puts the figures and tables it wrote into ``failed-run/`` and restores those of the previous good run: the
    folder never mixes two runs. Two runs into one folder at once take turns (a lock on the folder).
    """
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook {notebook} does not exist")
    params = dict(parameters or {})
    if "output_dir" not in params and "output_dir" in declared_parameters(notebook):
        params["output_dir"] = str(Path(out_dir).resolve())
    check_known(notebook, params)  # before the folder exists: a parameter the notebook lacks leaves nothing behind
    out_dir = run_folder(out_dir, params)  # where the notebook writes, resolved as the notebook resolves it
    from modgap.io import file_lock

    with file_lock(out_dir / f".{notebook.stem}", what=f"{out_dir} ({notebook.name})"):  # one run per folder at a time
        return _run_locked(notebook, out_dir, params, kernel, timeout, progress)


def _run_locked(notebook: Path, out_dir: Path, params: dict, kernel: str, timeout: int, progress: bool) -> Path:
    import shutil
    import tempfile

    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    _recover_killed_run(out_dir, notebook.stem)
    final = out_dir / notebook.name
    running = out_dir / f".{notebook.stem}.running.ipynb"
    failed = out_dir / f"{notebook.stem}.failed.ipynb"
    before = _top_level_files(out_dir)
    backup = Path(tempfile.mkdtemp(prefix=".previous-run-", dir=out_dir))  # a copy of the last run's files
    try:
        for name in before:
            shutil.copy2(out_dir / name, backup / name)
        try:
            pm.execute_notebook(str(notebook), str(running), parameters=params, kernel_name=kernel,
                                cwd=str(notebook.parent), execution_timeout=timeout, progress_bar=progress,
                                report_mode=False, kernel_manager_class=ipc_kernel_manager())
        except BaseException as exc:
            if running.exists():
                os.replace(running, failed)
            _set_aside_failed_run(out_dir, before, backup, keep={failed.name})
            if isinstance(exc, pm.PapermillExecutionError):
                raise NotebookFailed(notebook, failed, exc.exec_count, f"{exc.ename}: {exc.evalue}") from None
            if isinstance(exc, CellTimeoutError):
                raise NotebookFailed(notebook, failed, None, f"a cell ran longer than {timeout} s (--timeout, or "
                                     "cell_timeout in the profile)") from None
            raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    os.replace(running, final)
    if failed.exists():
        failed.unlink()
    shutil.rmtree(out_dir / FAILED_RUN, ignore_errors=True)
    return final


def cpu_description(cpuinfo: str = "/proc/cpuinfo") -> str | None:
    """The CPU's model and the vector instructions that decide which kernels oneDNN runs (e.g. ``AMD EPYC (avx2,
    avx512f, avx512_bf16)``): trained models differ from one CPU to another by rounding (docs/troubleshooting.md),
    so a run records it. ``None`` where the system does not say (no ``/proc/cpuinfo``)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)  # the last core's, as the first
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    model = fields.get("model name") or fields.get("Model name") or fields.get("CPU part") or "unknown CPU"
    return f"{model} ({', '.join(isa)})" if isa else model


def run_record(parameters: dict, seconds: float, profile: str, fingerprint: str | None = None) -> dict:
    """What produced a run: parameters, profile, seconds, date, machine (and CPU), package versions and git
    commit."""
    import datetime
    import platform
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"parameters": parameters, "profile": profile, "seconds": round(seconds, 1),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}", "cpu": cpu_description(),
            "python": platform.python_version(),
            "versions": {k: v(k) for k in ("torch", "numpy", "scipy", "scikit-learn", "pandas", "papermill")},
            "commit": commit, "smoke": os.environ.get("MODGAP_SMOKE") == "1", "fingerprint": fingerprint}


def print_reference_comparison(runs_dir: Path, smoke: bool = False, reference: Path | None = None) -> str | None:
    """One line: how this run's claims ledger (notebook 07) compares with the committed reference run of its own
    profile (``modgap.tooling.ledger.reference_for``): verdicts alike, estimates inside its intervals, estimates
    equal to its own — and a second line, when some are not equal, with the two runs' CPUs."""
    import numpy as np
    import pandas as pd

    from modgap.tooling.ledger import compare_with_reference, reference_for

    reference = reference or reference_for(runs_dir)
    ledger = Path(runs_dir) / (LEDGER_NOTEBOOK + ("-smoke" if smoke else "")) / "ledger.csv"
    if not ledger.exists():
        return None
    if reference is None or not Path(reference).exists():
        adjusted = pd.read_csv(ledger).get("verdict_adjusted", pd.Series(dtype=str)).value_counts()
        line = ("[modgap] claims ledger: " + ", ".join(f"{n} {v}" for v, n in adjusted.items())
                + " (Holm-adjusted); no committed reference for this run's profile to compare with")
        print(line)
        return line
    reference = Path(reference)

    table = pd.read_csv(ledger)
    try:
        merged = compare_with_reference(table, reference)
    except ValueError as exc:  # a ledger from before claim ids (an old run's 07): say so, do not stop the run
        line = f"[modgap] claims ledger not compared: {exc}"
        print(line)
        return line
    known = merged.verdict_ref.notna()
    adjusted = table.verdict_adjusted.value_counts() if "verdict_adjusted" in table else pd.Series(dtype=int)
    equal = np.isclose(merged.value, merged.value_ref, rtol=1e-9, atol=1e-12) & known
    line = (f"[modgap] claims ledger: {len(table)} claims, Holm-adjusted "
            + ", ".join(f"{n} {v}" for v, n in adjusted.items()) + f"; {int(merged.same_verdict[known].sum())} of "
            f"{int(known.sum())} raw verdicts as in the "
            f"committed reference ({_shown(reference, REPO_ROOT)}), {int(merged.in_ref_interval[known].sum())} estimates "
            f"inside its intervals, {int(equal.sum())} equal to its own" + (" (smoke run: tiny data, not comparable)" if smoke else ""))
    if not smoke and equal.sum() < known.sum():
        line += "\n" + _why_not_equal(reference)
    print(line)
    return line


def _why_not_equal(reference: Path) -> str:
    """Why a run's estimates may differ from the reference's: the reference's CPU (its run.json) against this one."""
    import json

    here = cpu_description() or "this CPU"
    try:
        record = json.loads((Path(reference).parent / "run.json").read_text())
        cpus = {r.get("cpu") for r in record.values() if isinstance(r, dict)}
    except (OSError, ValueError):
        cpus = {None}
    there = ", ".join(sorted(c for c in cpus if c)) if cpus - {None} else "a CPU it did not record"
    same = cpus == {here}
    return ("[modgap] the estimates of trained models differ from the reference's although it ran on this CPU "
            f"({here}): was it run with other code or settings? (docs/troubleshooting.md)" if same else
            f"[modgap] the reference ran on {there}, this run on {here}: trained models differ by rounding from one CPU "
            "to another, so compare by the intervals, not the digits (docs/troubleshooting.md)")


def gather_results(runs_dir: str | Path = RUNS_DIR, smoke: bool = False):
    """Concatenate every ``runs/*/results.csv`` (with a ``notebook`` column) into ``runs/results.csv``.

    Smoke-run folders (``*-smoke``) are gathered only with ``smoke=True`` (into ``results-smoke.csv``).
    """
    import pandas as pd

    from modgap.io import write_csv

    runs_dir = Path(runs_dir)
    frames = []
    for csv in sorted(runs_dir.glob("[0-9][0-9]_*/results.csv")):  # notebook folders only, not a profile's runs
        if csv.parent.name.endswith("-smoke") != smoke:
            continue
        try:
            df = pd.read_csv(csv)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ParameterError(f"{csv} is not a readable results table ({type(exc).__name__}: {exc}); delete it, "
                                 f"or run {csv.parent.name.removesuffix('-smoke')} again to rewrite it") from None
        df.insert(0, "notebook", csv.parent.name)
        frames.append(df)
    if not frames:
        return None
    table = pd.concat(frames, ignore_index=True)
    write_csv(runs_dir / ("results-smoke.csv" if smoke else "results.csv"), table)
    return table




def profile_cell_timeout(name: str) -> int:
    """Seconds one cell may run in profile ``name``: its ``cell_timeout``, else ``DEFAULT_CELL_TIMEOUT``."""
    value = _profile_document(name).get("cell_timeout", DEFAULT_CELL_TIMEOUT)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ParameterError(f"profile {name!r}: cell_timeout must be a positive number of seconds, got {value!r}")
    return value


def _parse_value(text: str):
    import yaml

    return yaml.safe_load(text)


def _finished(notebook: Path, out_dir: Path, parameters: dict, fp: str | None) -> bool:
    """Whether ``notebook`` has a finished run in its folder with fingerprint ``fp`` (and no later failure)."""
    import json

    folder = run_folder(out_dir, parameters)
    record = folder / "run.json"
    if fp is None or not (folder / Path(notebook).name).exists() or not record.exists():
        return False
    if (folder / f"{Path(notebook).stem}.failed.ipynb").exists():
        return False
    try:
        return json.loads(record.read_text()).get("fingerprint") == fp
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.runner", description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: every numbered notebook)")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a parameter for every notebook, value parsed as YAML (e.g. -p seed 1)")
    ap.add_argument("--runs-dir", help="where run folders go (default: runs/, or the profile's runs_dir)")
    ap.add_argument("--profile", default="default", help="parameters from profiles/<name>.yaml (e.g. full)")
    ap.add_argument("--smoke", action="store_true", help="tiny, fast settings (sets MODGAP_SMOKE=1)")
    ap.add_argument("--timeout", type=int, default=None,
                    help=f"seconds one cell may run before the notebook fails (default: the profile's cell_timeout, "
                         f"else {DEFAULT_CELL_TIMEOUT})")
    ap.add_argument("--force", action="store_true",
                    help="run every notebook again, even one whose finished run has the same notebook, parameters and code")
    args = ap.parse_args(argv)
    params = {k: _parse_value(v) for k, v in args.parameter}
    if args.smoke or params.get("smoke") is True:  # -p smoke True is the same smoke run (and regathers its table)
        os.environ["MODGAP_SMOKE"] = "1"
    from modgap.parameters import smoke_default

    try:
        args.smoke = smoke_default(None)  # --smoke, or MODGAP_SMOKE=1 in the environment: the same run
    except ParameterError as exc:
        print(f"[modgap] {exc}", file=sys.stderr)
        return 2
    if args.timeout is not None and args.timeout <= 0:
        print(f"[modgap] --timeout must be a positive number of seconds, got {args.timeout}", file=sys.stderr)
        return 2
    bad = [n for n in args.notebooks if not (n.endswith(".ipynb") and Path(n).is_file())]
    if bad:
        print(f"[modgap] not a notebook: {', '.join(bad)} (give .ipynb files, e.g. notebooks/05_closing_the_gap.ipynb)",
              file=sys.stderr)
        return 2
    notebooks = run_order([Path(n) for n in args.notebooks] or numbered_notebooks())
    if "output_dir" in params and not str(params["output_dir"] or "").strip():
        print("[modgap] -p output_dir is empty: give a folder; an empty one would write into the repository root",
              file=sys.stderr)
        return 2
    try:
        profile, profile_runs = load_profile(args.profile)
        timeout = args.timeout or profile_cell_timeout(args.profile)
    except ParameterError as exc:
        print(f"[modgap] {exc}", file=sys.stderr)
        return 2
    runs = Path(args.runs_dir).resolve() if args.runs_dir else (REPO_ROOT / profile_runs if profile_runs else RUNS_DIR)
    failures = []
    try:
        _run_all(notebooks, runs, profile, params, args, timeout, failures)
    except KeyboardInterrupt:
        print("\n[modgap] stopped (Ctrl-C). Finished epochs are checkpointed and each interrupted notebook's folder keeps "
              "its previous results; run the same command again to resume.", file=sys.stderr)
        return 130
    try:
        print_reference_comparison(runs, smoke=args.smoke)
        table = gather_results(runs, smoke=args.smoke)
    except ParameterError as exc:
        print(f"[modgap] {exc}", file=sys.stderr)
        return 1
    if table is not None:
        name = "results-smoke.csv" if args.smoke else "results.csv"
        print(f"[modgap] results table: {runs / name} ({len(table)} rows)")
    if failures:
        print(f"[modgap] {len(failures)} notebook(s) failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def _run_all(notebooks, runs: Path, profile: dict, params: dict, args, timeout: int, failures: list) -> None:
    for nb in notebooks:
        t0 = time.perf_counter()
        # the profile's settings for this notebook, then what the command line says
        nb_params = {**profile.get("all", {}), **profile.get(Path(nb).stem, {}), **params}
        fp = fingerprint(nb, nb_params, args.smoke) if Path(nb).is_file() else None
        if not args.force and Path(nb).stem != LEDGER_NOTEBOOK and _finished(nb, runs / Path(nb).stem, nb_params, fp):
            print(f"[modgap] {nb.name} finished before with the same notebook, parameters and code: kept (--force reruns it)",
                  flush=True)
            continue
        print(f"[modgap] {nb.name} ...", flush=True)
        try:
            out = run_notebook(nb, runs / Path(nb).stem, nb_params, timeout=timeout)
        except (NotebookFailed, ParameterError, FileNotFoundError) as exc:
            print(f"[modgap] FAILED {exc}", file=sys.stderr, flush=True)
            failures.append(nb.name)
            continue
        seconds = time.perf_counter() - t0
        from modgap.io import write_json

        write_json(out.parent / "run.json", run_record(nb_params, seconds, args.profile, fp))
        print(f"[modgap] {nb.name} done in {seconds:.0f} s -> {_shown(out, Path.cwd())}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
