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
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from modgap.parameters import ParameterError, _profile_document, load_profile  # noqa: F401  (load_profile: the runner's API)
from modgap.paths import REPO_ROOT, RUN_RECORD, RUNS_DIR
from modgap.tooling.stages import load_seed_stages

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


def ipc_kernel_manager(env: dict | None = None, stderr=None):
    """A jupyter_client ``KernelManager`` whose kernel talks over local IPC sockets in a private temporary folder
    (mode 0700) instead of TCP on localhost: nothing listens on a port, and the kernel no longer warns that it
    is "running over TCP without encryption" at the top of every run. ``env`` is added to the kernel's
    environment (``KERNEL_ENV`` by default); ``stderr``, an open file, receives the kernel process's own error
    stream (what its cells print goes into the notebook either way)."""
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
            if stderr is not None:
                kw["stderr"] = stderr
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
    for name in before:  # files the failed run deleted (its record first of all) come back
        if not (out_dir / name).exists() and (backup / name).exists():
            os.replace(backup / name, out_dir / name)
    return aside


def fingerprint(notebook: str | Path, parameters: dict, smoke: bool) -> str:
    """What decides a notebook's results: its own text, the parameters it runs with, smoke mode and the package's
    code (every ``modgap/**/*.py``) and the data files it reads from outside the repository (:func:`input_files`).
    A finished run with the same fingerprint is not run again."""
    import hashlib
    import json

    h = hashlib.sha256(Path(notebook).read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    h.update(b"smoke" if smoke else b"full")
    for py in sorted((REPO_ROOT / "modgap").rglob("*.py")):
        h.update(py.relative_to(REPO_ROOT).as_posix().encode())
        h.update(py.read_bytes())
    h.update(json.dumps(input_files(notebook, parameters)).encode())
    return h.hexdigest()[:16]


def input_files(notebook: str | Path, parameters: dict) -> list:
    """Name, size and modification time of the data files outside the repository's code that a notebook reads
    (09's real embeddings, in ``embeddings_dir`` or the default folder): copying them in, or changing them, makes
    a finished run out of date, as a change of code does."""
    from modgap.paths import EMBEDDINGS_DIR

    if "embeddings_dir" not in declared_parameters(notebook):
        return []
    given = parameters.get("embeddings_dir") or ""
    folder = Path(given).expanduser() if given else EMBEDDINGS_DIR
    folder = folder if folder.is_absolute() else REPO_ROOT / folder
    try:
        return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(folder.glob("features_*.npy"))]
    except OSError:
        return []


def run_folder(out_dir: str | Path, parameters: dict) -> Path:
    """The folder a notebook run writes to: ``output_dir`` when given, else ``out_dir``; ``-smoke`` appended in smoke mode."""
    from modgap.parameters import smoke_default
    from modgap.paths import output_dir

    smoke = parameters.get("smoke")
    return output_dir(parameters.get("output_dir", out_dir), smoke=smoke_default(smoke if isinstance(smoke, bool) else None))


#: the run's record: what produced it and the checksum of every file it left in its folder (written last)
RECORD = RUN_RECORD
#: where files of an earlier run that the latest run did not write are moved, so the folder holds one run
EARLIER_RUN = "earlier-run"
_BACKUP_COMPLETE = ".complete"  # written into a backup once every file is copied: only then is it a whole copy


def _recover_killed_run(out_dir: Path, stem: str) -> list[str]:
    """A run killed outright (SIGKILL, power loss) leaves its copy of the previous run's files and a half-executed
    notebook: put the previous files back, move the files the killed run created into ``failed-run/`` and drop the
    half-executed notebook, so nothing half-written stays. Returns what was done, in words (empty: nothing)."""
    import shutil

    said = []
    for backup in sorted(out_dir.glob(".previous-run-*")):
        if not backup.is_dir():
            continue
        if (backup / _BACKUP_COMPLETE).exists():  # the run had started: the folder may hold its files
            saved = {f.name for f in backup.iterdir() if f.name != _BACKUP_COMPLETE}
            created = [n for n in _top_level_files(out_dir) if n not in saved]
            if created:
                aside = out_dir / FAILED_RUN
                aside.mkdir(exist_ok=True)
                for name in created:
                    os.replace(out_dir / name, aside / name)
            for name in saved:
                os.replace(backup / name, out_dir / name)
            said.append(f"an interrupted run's files were replaced by the previous run's ({len(saved)} restored"
                        + (f", {len(created)} moved to {FAILED_RUN}/" if created else "") + ")")
        shutil.rmtree(backup, ignore_errors=True)  # an incomplete copy: the run never started, the folder is as it was
    running = out_dir / f".{stem}.running.ipynb"
    if running.exists():
        running.unlink()
        said.append("its half-executed notebook was removed")
    return said


def manifest(folder: Path) -> dict[str, str]:
    """SHA-256 of every plain, not hidden file directly in ``folder`` except the record itself: what a run left."""
    from modgap.io import sha256_of

    return {name: sha256_of(folder / name) for name in sorted(_top_level_files(folder)) if name != RECORD}


def _read_record(folder: Path) -> dict | None:
    import json

    try:
        record = json.loads((folder / RECORD).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def folder_owner(folder: Path) -> str | None:
    """The notebook whose run a folder holds: the one its record names, else the one whose executed, failed or
    running copy lies there (``None``: an empty or foreign folder)."""
    record = _read_record(folder) or {}
    if isinstance(record.get("notebook"), str):
        return record["notebook"]
    for pattern, cut in (("[0-9][0-9]_*.failed.ipynb", ".failed.ipynb"), (".[0-9][0-9]_*.running.ipynb", ".running.ipynb"),
                         ("[0-9][0-9]_*.ipynb", ".ipynb")):
        for p in sorted(folder.glob(pattern)) if folder.is_dir() else []:
            return p.name.removeprefix(".").removesuffix(cut) + ".ipynb"
    return None


def _check_owner(notebook: Path, folder: Path) -> None:
    owner = folder_owner(folder)
    if owner is not None and owner != notebook.name:
        raise ParameterError(f"output folder {folder} holds a run of {owner}; give {notebook.name} a folder of its own "
                             "(-p output_dir), so that one notebook's results never overwrite another's")


def why_not_finished(notebook: Path, folder: Path, fp: str | None) -> str | None:
    """``None`` when ``folder`` holds a finished run of ``notebook`` with fingerprint ``fp`` and every file in it is
    that run's (the checksums its record lists, no file missing, none added); otherwise the reason, in words."""
    record = _read_record(folder)
    if fp is None:
        return "it is always run again"
    if record is None:
        return "no finished run is recorded" if not (folder / RECORD).exists() else f"its {RECORD} cannot be read"
    if record.get("fingerprint") != fp:
        return "the notebook, its parameters or the code changed since its last run"
    if (folder / f"{notebook.stem}.failed.ipynb").exists():
        return "a later run of it failed"
    files = record.get("files")
    if not isinstance(files, dict):
        return f"its {RECORD} lists no checksums of its files (a run from before they were recorded)"
    now = manifest(folder)
    missing = sorted(set(files) - set(now))
    changed = sorted(n for n in set(files) & set(now) if files[n] != now[n])
    added = sorted(set(now) - set(files))
    if notebook.name not in now:
        return "its executed notebook is missing"
    for what, names in (("missing", missing), ("changed since the run", changed), ("not of that run", added)):
        if names:
            return f"files {what}: {', '.join(names[:5])}" + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return None


def run_notebook(notebook: str | Path, out_dir: str | Path, parameters: dict | None = None,
                 kernel: str = "python3", timeout: int = DEFAULT_CELL_TIMEOUT, progress: bool = False,
                 profile: str = "default") -> Path:
    """Execute ``notebook`` into its folder whatever the folder holds (:func:`run_or_keep` without ``reuse``);
    returns the executed notebook's path."""
    return run_or_keep(notebook, out_dir, parameters, kernel, timeout, progress, profile, reuse=False)[0]


def run_or_keep(notebook: str | Path, out_dir: str | Path, parameters: dict | None = None,
                kernel: str = "python3", timeout: int = DEFAULT_CELL_TIMEOUT, progress: bool = False,
                profile: str = "default", reuse: bool = True, say=None) -> tuple[Path, bool]:
    """Execute ``notebook`` into ``out_dir/<name>.ipynb`` with ``parameters`` (plus ``output_dir``). With an
    ``output_dir`` among ``parameters``, the executed notebook goes there too, next to its figures.

    In smoke mode (``MODGAP_SMOKE=1``) the notebook writes to ``<out_dir>-smoke`` and so does this.

    A finished run ends by writing ``run.json`` (:func:`run_record`, with the SHA-256 of every file the folder
    holds), last and atomically. With ``reuse``, a folder that holds a finished run of the same notebook,
    parameters and code whose files all match their checksums is kept as it is (``say`` is told why a folder is
    run again); the decision is taken under the folder's lock, after a killed run's leftovers are undone.

    A run that fails (an error in a cell, a timeout, an interrupt) leaves ``<name>.failed.ipynb`` in the folder,
    puts the figures and tables it wrote into ``failed-run/`` and restores those of the previous good run; files of
    an earlier run that a good run did not rewrite go to ``earlier-run/``: the folder never mixes two runs. Two runs
    into one folder at once take turns (a lock on the folder); a folder that holds another notebook's run is refused.
    Returns the executed notebook's path and whether the finished run was kept.
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

    say = say or (lambda line: print(line, flush=True))
    with file_lock(out_dir / ".run", what=f"{out_dir} ({notebook.name})"):  # one run per folder at a time
        _check_owner(notebook, out_dir)
        for line in _recover_killed_run(out_dir, notebook.stem):
            say(f"[modgap] {notebook.name}: {line}")
        fp = fingerprint(notebook, params, smoke_default_env())  # recorded by every run, checked with reuse
        if reuse:
            reason = why_not_finished(notebook, out_dir, fp)
            if reason is None:
                return out_dir / notebook.name, True
            if (out_dir / RECORD).exists() or (out_dir / notebook.name).exists():
                say(f"[modgap] {notebook.name}: run again ({reason})")
        return _run_locked(notebook, out_dir, params, kernel, timeout, progress, profile, fp), False


def smoke_default_env() -> bool:
    from modgap.parameters import smoke_default

    return smoke_default(None)


@contextmanager
def stops_wake_the_loop():
    """While a notebook executes, Ctrl-C and SIGTERM stop the runner at once. The runner's main thread then waits in
    the event loop of papermill's client for the kernel's reply. A signal the system delivers to another thread of the
    runner (zmq's, OpenMP's) sets Python's flag but need not wake that wait, so the stop can be seen only when the
    cell ends: the likely cause of a Ctrl-C missed under load (not reproduced on demand). Here the signals go through the
    loop's wake-up descriptor (``loop.add_signal_handler``), which wakes the wait from any thread; the loop raises
    ``KeyboardInterrupt`` or :class:`Terminated` in the main thread, and the run restores its folder as before."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()  # the loop papermill's client runs on in this thread (jupyter_core's run_sync)
    old_term = signal.getsignal(signal.SIGTERM)

    def interrupt():
        raise KeyboardInterrupt

    def terminate():
        raise Terminated()

    loop.add_signal_handler(signal.SIGINT, interrupt)
    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)  # back to Python's default_int_handler
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, old_term)


def _run_locked(notebook: Path, out_dir: Path, params: dict, kernel: str, timeout: int, progress: bool,
                profile: str = "default", fp: str | None = None) -> Path:
    import shutil
    import tempfile

    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    from modgap.io import write_json

    t0 = time.perf_counter()
    final = out_dir / notebook.name
    running = out_dir / f".{notebook.stem}.running.ipynb"
    failed = out_dir / f"{notebook.stem}.failed.ipynb"
    before = _top_level_files(out_dir)
    backup = Path(tempfile.mkdtemp(prefix=".previous-run-", dir=out_dir))  # a copy of the last run's files
    try:
        for name in before:
            shutil.copy2(out_dir / name, backup / name)
        (backup / _BACKUP_COMPLETE).touch()
        (out_dir / RECORD).unlink(missing_ok=True)  # from here until the new record, no run counts as finished
        kernel_log = tempfile.TemporaryFile(mode="w+", prefix="modgap-kernel-stderr-")
        try:
            with stops_wake_the_loop():
                pm.execute_notebook(str(notebook), str(running), parameters=params, kernel_name=kernel,
                                    cwd=str(notebook.parent), execution_timeout=timeout, progress_bar=progress,
                                    report_mode=False, kernel_manager_class=ipc_kernel_manager(stderr=kernel_log))
            _pass_on(kernel_log)
            kernel_log.close()
        except BaseException as exc:
            if not isinstance(exc, KeyboardInterrupt):  # stopped: the kernel's complaints about its closed sockets are noise
                _pass_on(kernel_log)
            kernel_log.close()
            if running.exists():
                os.replace(running, failed)
            _set_aside_failed_run(out_dir, before, backup, keep={failed.name})
            if isinstance(exc, pm.PapermillExecutionError):
                raise NotebookFailed(notebook, failed, exc.exec_count, f"{exc.ename}: {exc.evalue}") from None
            if isinstance(exc, CellTimeoutError):
                raise NotebookFailed(notebook, failed, None, f"a cell ran longer than {timeout} s (--timeout, or "
                                     "cell_timeout in the profile)") from None
            raise
        os.replace(running, final)
        if failed.exists():
            failed.unlink()
        shutil.rmtree(out_dir / FAILED_RUN, ignore_errors=True)
        _set_aside_earlier_files(out_dir, before, keep={final.name, RECORD})
        record = run_record(params, time.perf_counter() - t0, profile, fp)
        record.update(notebook=notebook.name, files=manifest(out_dir))
        write_json(out_dir / RECORD, record)  # last: the run counts as finished from here
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    return final


def _pass_on(log) -> None:
    """Print what the kernel process wrote to its error stream (library warnings, a crash) after its run."""
    try:
        log.seek(0)
        text = log.read()
    except (OSError, ValueError):
        return
    # jupyter_client interrupts a kernel before shutting it down; one still answering logs this (harmless)
    text = "\n".join(line for line in text.splitlines() if "KeyboardInterrupt caught in kernel" not in line)
    if text.strip():
        sys.stderr.write(text + "\n")


def _set_aside_earlier_files(out_dir: Path, before: dict, keep: set[str]) -> list[str]:
    """After a good run: top-level files it did not write (unchanged since it started) belong to an earlier run;
    move them into ``earlier-run/`` so the folder holds this run's files only."""
    import shutil

    stale = [n for n, stat in _top_level_files(out_dir).items() if n not in keep and before.get(n) == stat]
    shutil.rmtree(out_dir / EARLIER_RUN, ignore_errors=True)
    if stale:
        (out_dir / EARLIER_RUN).mkdir()
        for name in stale:
            os.replace(out_dir / name, out_dir / EARLIER_RUN / name)
    return stale


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
    """What produced a run: parameters, profile, seconds, date, machine (and CPU), package versions, git commit,
    and the precision training ran in."""
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
            "commit": commit, "smoke": os.environ.get("MODGAP_SMOKE") == "1", "fingerprint": fingerprint,
            **_precision_record(parameters)}


def _precision_record(parameters: dict) -> dict:
    """What this run's training computed in (``modgap.device.training_precision`` of its ``precision`` and
    ``device`` parameters) and whether the CPU has native bf16, which would make bf16 pay (docs/speed.md)."""
    from modgap.device import native_bf16, training_precision

    try:
        chosen = training_precision(parameters.get("precision", "auto"), parameters.get("device", "auto"))
    except (RuntimeError, ValueError):  # a device or precision the notebook itself refuses, with its own message
        chosen = None
    return {"training_precision": chosen, "native_bf16": native_bf16()}


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
    from modgap.paths import UnsafePath

    try:
        profile, profile_runs = load_profile(args.profile)
        plan = load_seed_stages(args.profile, profile)
        timeout = args.timeout or profile_cell_timeout(args.profile)
        runs = checked_runs_dir(args.runs_dir, args.profile, profile_runs)
        check_output_paths(notebooks, runs, profile, params)
    except (ParameterError, UnsafePath) as exc:
        print(f"[modgap] {exc}", file=sys.stderr)
        return 2
    failures = []
    try:
        with stop_on_sigterm():
            _run_all(notebooks, runs, profile, params, args, timeout, failures, plan)
    except KeyboardInterrupt as exc:
        how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        print(f"\n[modgap] stopped ({how}). Finished epochs are checkpointed and each interrupted notebook's folder keeps "
              "its previous results; run the same command again to resume.", file=sys.stderr)
        return 143 if how == "SIGTERM" else 130
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


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a batch system's stop): handled like Ctrl-C, so the interrupted folder is restored."""


class stop_on_sigterm:
    """``with stop_on_sigterm():`` — SIGTERM raises :class:`Terminated` in the main thread for the block, as
    Ctrl-C raises ``KeyboardInterrupt``: the run in progress restores its folder and the runner says it stopped."""

    def __enter__(self):
        import signal
        import threading

        self._old = None
        if threading.current_thread() is threading.main_thread():
            def stop(signum, frame):
                raise Terminated()

            self._old = signal.signal(signal.SIGTERM, stop)
        return self

    def __exit__(self, *exc):
        import signal

        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
        return False


#: parameters that name a folder a notebook writes to: each must lie under the runs folder
OUTPUT_PARAMETERS = ("output_dir", "models_dir")


def checked_runs_dir(runs_dir: str | None, profile: str, profile_runs: str | None) -> Path:
    """The runs folder: ``--runs-dir`` (an explicit choice: anywhere but among the repository's own files), else the
    profile's ``runs_dir`` (under the repository's ``runs/``), else ``runs/``; checked before anything runs."""
    from modgap.paths import check_output_path

    if runs_dir is not None:
        return check_output_path(runs_dir, "--runs-dir", outside_ok=True)
    if profile_runs:
        return check_output_path(profile_runs, f"profile {profile!r}: runs_dir")
    return check_output_path(RUNS_DIR, "the runs folder")


def check_output_paths(notebooks: list[Path], runs: Path, profile: dict, params: dict) -> None:
    """Before any notebook runs: every folder a notebook would write to lies under ``runs`` (or the repository's
    ``runs/``), never among the repository's files, and no two notebooks share an ``output_dir``; an input folder
    (``embeddings_dir``) given explicitly exists. Raises ``UnsafePath`` or ``ParameterError`` naming the parameter."""
    from modgap.paths import check_output_path, resolve

    if "output_dir" in params and len(notebooks) > 1:
        raise ParameterError(f"-p output_dir {params['output_dir']!r} would send {len(notebooks)} notebooks into one "
                             "folder, where each would overwrite the other's results; run one notebook with it, or "
                             "give --runs-dir (each notebook gets a folder of its own below it)")
    seen = {}
    for nb in notebooks:
        nb_params = {**profile.get("all", {}), **profile.get(Path(nb).stem, {}), **params}
        check_known(nb, nb_params)  # a parameter the notebook does not take stops the whole command, not one notebook
        for name in OUTPUT_PARAMETERS:
            if name in nb_params:
                value = nb_params[name]
                if not isinstance(value, str):
                    raise ParameterError(f"{nb.stem}: {name} must be a folder (text), got {value!r}")
                check_output_path(value, f"{nb.stem}: {name}", runs_dir=runs)
        folder = resolve(nb_params.get("output_dir", runs / Path(nb).stem))
        if folder in seen:
            raise ParameterError(f"{seen[folder]} and {nb.stem} would both write to {folder}: give each its own "
                                 "output_dir")
        seen[folder] = nb.stem
        given = nb_params.get("embeddings_dir")
        if isinstance(given, str) and given.strip():
            where = resolve(given)
            if not where.is_dir():
                raise ParameterError(f"{nb.stem}: embeddings_dir {given!r} ({where}) "
                                     + ("is a file, not a folder" if where.exists() else "does not exist"))


def _run_all(notebooks, runs: Path, profile: dict, params: dict, args, timeout: int, failures: list,
             plan=None) -> None:
    for nb in notebooks:
        t0 = time.perf_counter()
        # the profile's settings for this notebook, then what the command line says
        nb_params = {**profile.get("all", {}), **profile.get(Path(nb).stem, {}), **params}
        reuse = not args.force and Path(nb).stem != LEDGER_NOTEBOOK
        print(f"[modgap] {nb.name} ...", flush=True)
        try:
            out, kept = run_or_keep(nb, runs / Path(nb).stem, nb_params, timeout=timeout, profile=args.profile,
                                    reuse=reuse)
        except (NotebookFailed, ParameterError, FileNotFoundError) as exc:
            print(f"[modgap] FAILED {exc}", file=sys.stderr, flush=True)
            failures.append(nb.name)
            continue
        if kept:
            print(f"[modgap] {nb.name} finished before with the same notebook, parameters and code, every file as it "
                  "left them: kept (--force reruns it)", flush=True)
        else:
            seconds = time.perf_counter() - t0
            print(f"[modgap] {nb.name} done in {seconds:.0f} s -> {_shown(out, Path.cwd())}", flush=True)
        if plan is not None and nb.stem in plan.notebooks and not args.smoke and "n_seeds" not in params:
            from modgap.tooling.stages import add_seeds

            stage = partial(run_or_keep, timeout=timeout, profile=args.profile, reuse=reuse)
            try:
                add_seeds(nb, runs, nb_params, plan, stage, base=out.parent)
            except (NotebookFailed, ParameterError, FileNotFoundError) as exc:
                print(f"[modgap] FAILED adding seeds to {nb.name}: {exc}", file=sys.stderr, flush=True)
                failures.append(f"{nb.name} (added seeds)")


if __name__ == "__main__":
    sys.exit(main())
