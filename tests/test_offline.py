"""Offline, proven: smoke notebooks run with the network cut — in a network namespace of their own
(``unshare -rn``: only a loopback interface, and it is down) where the kernel allows it, otherwise with a guard
that makes every socket connection to a non-loopback address raise (``offline_guard/sitecustomize.py``).
The notebooks chosen are those with the most reason to reach out: the environment check, the data builders
(line lists, Fashion-MNIST, real spectra) and the MiniLM text tower."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from modgap.paths import REPO_ROOT

NOTEBOOKS = ["00_quickstart", "01_data_prep", "05_closing_the_gap"]
GUARD = Path(__file__).parent / "offline_guard"


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


def _offline(cmd: list[str], env: dict) -> tuple[list[str], dict, str]:
    if _can_unshare():
        return ["unshare", "-rn", *cmd], env, "network namespace"
    return cmd, {**env, "PYTHONPATH": os.pathsep.join([str(GUARD), env.get("PYTHONPATH", "")])}, "socket guard"


def test_the_guard_refuses_the_network_and_allows_loopback():
    probe = ("import socket\ns = socket.socket(); s.settimeout(1)\n"
             "try:\n    s.connect(('192.0.2.1', 80))\n"
             "except OSError as e:\n    print('refused' if 'offline guard' in str(e) else 'other')\n"
             "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen()\n"
             "u = socket.socket(); u.connect(t.getsockname()); print('loopback ok')")
    env = {**os.environ, "PYTHONPATH": str(GUARD)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env).stdout
    assert out.split() == ["refused", "loopback", "ok"]


def test_smoke_notebooks_run_with_the_network_cut(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(MODGAP_SMOKE="1", MPLBACKEND="Agg")
    cmd, env, how = _offline([sys.executable, "-m", "modgap.tooling.runner", "--smoke", "--runs-dir", str(tmp_path / "runs"),
                              *[str(REPO_ROOT / "notebooks" / f"{n}.ipynb") for n in NOTEBOOKS]], env)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=1200)
    assert proc.returncode == 0, f"offline run ({how}) failed:\n{(proc.stdout + proc.stderr)[-3000:]}"
    for n in NOTEBOOKS:
        assert (tmp_path / "runs" / f"{n}-smoke" / f"{n}.ipynb").exists(), n
