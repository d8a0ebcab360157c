"""The README's make commands as a user types them: `make book PROFILE=…` builds the book of that profile's run
(and only of it), `make lab` starts JupyterLab — as root too, without warnings — and answers on 127.0.0.1. (`make assignments` is
run by tests/test_assignments.py's fixture; `make run`/`make smoke` by test_runner and nbval.)"""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import write_notebook

from modgap.paths import REPO_ROOT
from modgap.tooling.runner import run_notebook


def test_make_book_with_a_profile_builds_that_runs_book_and_no_other(tmp_path, monkeypatch):
    # a classroom-like run (not smoke: make test sets MODGAP_SMOKE=1) whose profile's runs_dir holds two notebooks
    monkeypatch.delenv("MODGAP_SMOKE", raising=False)
    runs = tmp_path / "classroom"
    for name, x in (("00_quickstart", 1), ("01_data_prep", 2)):  # stand-ins named like the repository's notebooks
        nb = write_notebook(tmp_path / f"{name}.ipynb", "x = 0\noutput_dir = 'runs/t'", f"print('classroom {name}', x)")
        run_notebook(nb, runs / name, {"x": x})
        (runs / name / "run.json").write_text(json.dumps({"parameters": {"x": x}, "seconds": 1.0, "date": "2026-11-29T10:00:00"}))
    profile = tmp_path / "classroom.yaml"
    profile.write_text(f"runs_dir: {runs}\nnotebooks: {{}}\n")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("MODGAP_SMOKE", None)
    done = subprocess.run(["make", "book", f"PROFILE={profile}"], cwd=REPO_ROOT, capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"the book of the run in {runs}" in done.stdout
    html = runs / "book" / "_build" / "html"
    intro = (html / "intro.html").read_text()
    assert "00_quickstart" in intro and "did not run" in intro  # 02–09 did not run in this profile's folder
    assert "classroom 01_data_prep 2" in (html / "notebooks" / "01_data_prep.html").read_text()
    bad = subprocess.run(["make", "book", "PROFILE=nosuchprofile"], cwd=REPO_ROOT, capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "unknown profile 'nosuchprofile'" in bad.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_starts_and_answers_on_localhost_then_stops():
    port, token = _free_port(), "modgap-test-token"
    proc = subprocess.Popen(["make", "lab", f"LAB_ARGS=--no-browser --ip=127.0.0.1 --port={port} "
                             f"--IdentityProvider.token={token} --ServerApp.port_retries=0"],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline, status = time.time() + 90, None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
                    status = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        if status is None:
            out = proc.stdout.read() if proc.poll() is not None else ""
            pytest.fail(f"JupyterLab did not answer on 127.0.0.1:{port} (exit {proc.poll()}):\n{out[-3000:]}")
        assert "started" in status
        time.sleep(2)  # the extensions have loaded by now: anything they warn about is in the log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    log = proc.stdout.read()
    # quiet: no news pop-up or update check, and no "No nbgrader_config.py" warning from nbgrader's extensions
    assert "--LabApp.news_url=" in log and "NeverCheckForUpdate" in log, log[-2000:]
    assert "nbgrader_config.py file found" not in log and not re.search(r"^\[W ", log, re.M), log[-3000:]


def test_make_reference_publishes_the_profile_asked_for():
    # a dry run: a real one would rewrite the committed results/ (tests/test_ledger.py runs publish itself)
    full = subprocess.run(["make", "-n", "reference"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    default = subprocess.run(["make", "-n", "reference", "REFERENCE=default"], cwd=REPO_ROOT, capture_output=True,
                             text=True).stdout
    assert "modgap.tooling.ledger runs/full" in full
    assert "modgap.tooling.ledger runs --scale default" in default


def test_ci_entry_point_parses_links_the_shared_data_and_ends_in_make_test(tmp_path):
    """`.ci/run` as CI runs it (`bash .ci/run` in a clean clone), with `make` and `chromium` stubbed on PATH:
    it must parse, link ../shared's embeddings into data/external/ of the clone, and hand over to `make test`."""
    root = tmp_path / "clone"
    (root / ".ci").mkdir(parents=True)
    (root / ".ci" / "run").write_text((REPO_ROOT / ".ci" / "run").read_text())
    (tmp_path / "shared" / "data" / "modality-gap-features").mkdir(parents=True)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in (("make", 'echo "make $*" > "$PWD/make.args"'), ("chromium", "true")):
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "MODGAP_NO_APT_INSTALL": "1"}
    done = subprocess.run(["bash", ".ci/run"], cwd=root, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / "make.args").read_text().strip() == "make test"
    link = root / "data" / "external" / "modality-gap"
    assert link.is_symlink() and link.resolve() == (tmp_path / "shared" / "data" / "modality-gap-features").resolve()
