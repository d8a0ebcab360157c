"""Whole-run resume: ``python -m modgap.tooling.runner`` killed with SIGKILL — inside a notebook, during training
in a worker process, right after a notebook finished — and started again ends with the same results table as a
run that was never interrupted, without redoing finished notebooks or finished models. Smoke mode, notebooks
00 and 03 (on one spectra and one image task: 12 matchers), the models in a folder of the test's own."""
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from modgap.paths import REPO_ROOT

NOTEBOOKS = [str(REPO_ROOT / "notebooks" / f"{n}.ipynb") for n in ("00_quickstart", "03_marrnet_vs_baselines")]


def _runner(runs, profile, kill_when=None, timeout=600):
    """Run the runner; with ``kill_when(runs)``, SIGKILL its whole process group (kernel and workers too) once
    that holds. Returns (stdout, killed)."""
    env = {**os.environ, "MODGAP_SMOKE": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-m", "modgap.tooling.runner", "--smoke", "--runs-dir", str(runs),
                             "--profile", str(profile), *NOTEBOOKS], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=REPO_ROOT, start_new_session=True)
    killed = False
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if kill_when is not None and kill_when(runs):
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    out = proc.communicate(timeout=60)[0]
    if not killed:
        assert proc.returncode == 0, out[-3000:]
    return out, killed


def _profile(path, models):
    path.write_text(f"notebooks:\n  03_marrnet_vs_baselines:\n    models_dir: {models}\n"
                    "    tasks: [Raman-IR, visible-thermal]\n")


def _models(runs):
    return {p.name: p.stat().st_mtime_ns for p in (runs / "models-smoke").glob("*.pt")}


def _table(runs):
    t = pd.read_csv(runs / "results-smoke.csv")
    return t.sort_values(list(t.columns)).reset_index(drop=True)


KILL_POINTS = {
    "inside notebook 00": lambda runs: (runs / "00_quickstart-smoke" / ".00_quickstart.running.ipynb").exists(),
    "while a worker trains in 03": lambda runs: len(_models(runs)) >= 3,
    "right after 03 finished": lambda runs: (runs / "03_marrnet_vs_baselines-smoke" / "run.json").exists(),
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    profile = root / "profile.yaml"
    _profile(profile, root / "runs" / "models")
    _runner(root / "runs", profile)
    return _table(root / "runs")


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_run_resumes_to_the_uninterrupted_result(point, reference, tmp_path):
    profile = tmp_path / "profile.yaml"
    _profile(profile, tmp_path / "runs" / "models")
    runs = tmp_path / "runs"
    _, killed = _runner(runs, profile, KILL_POINTS[point])
    assert killed, "the run ended before the kill point was reached"
    done_before = {n for n in ("00_quickstart", "03_marrnet_vs_baselines") if (runs / f"{n}-smoke" / "run.json").exists()}
    models_before = _models(runs)
    out, _ = _runner(runs, profile)
    for name in done_before:  # finished notebooks are kept, not run again
        assert f"{name}.ipynb finished before" in out, out[-2000:]
    after = _models(runs)
    assert all(after[m] == t for m, t in models_before.items()), "a finished model was trained again"
    assert not list(runs.rglob(".previous-run-*")) and not list(runs.rglob(".*.running.ipynb"))  # nothing half-done left
    pd.testing.assert_frame_equal(_table(runs), reference)
