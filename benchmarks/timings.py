"""How long the README's commands take on a clean clone of this repository: `make setup`, `make run`, `make test`
and `make run PROFILE=classroom`, each from an empty `runs/`, on this machine, one after the other. Writes
`results/timings.json` (date, machine, commit, seconds per command and per notebook), from which
`python -m modgap.tooling.timings` renders the timing block of docs/speed.md.

    .venv/bin/python benchmarks/timings.py [--only run test] [--keep]

About 25 minutes on 2 cores. It measures; it asserts nothing. Nothing else should run meanwhile.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = {"setup": ["make", "setup"], "run": ["make", "run"], "test": ["make", "test"],
            "classroom": ["make", "run", "PROFILE=classroom"]}


def machine() -> str:
    from modgap.tooling.runner import cpu_description  # the CPU as every run.json records it

    cpu = cpu_description() or platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", choices=list(COMMANDS)[1:], default=list(COMMANDS)[1:])
    ap.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modgap-timings-"))
    clone = work / "modgap"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    external = REPO / "data" / "external"
    if external.exists():  # the real embeddings of notebook 09, where this checkout has them (never committed)
        (clone / "data").mkdir(exist_ok=True)
        os.symlink(external.resolve(), clone / "data" / "external")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip()
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(), "commit": commit,
              "seconds": {}, "notebooks": {}}
    for name in ["setup", *args.only]:
        if name != "setup":
            shutil.rmtree(clone / "runs", ignore_errors=True)  # each from an empty runs/
        t = time.perf_counter()
        done = subprocess.run(COMMANDS[name], cwd=clone, capture_output=True, text=True)
        record["seconds"][name] = round(time.perf_counter() - t, 1)
        print(f"{' '.join(COMMANDS[name]):28s} {record['seconds'][name]:7.1f} s  (exit {done.returncode})", flush=True)
        if done.returncode != 0:
            record.setdefault("failed", {})[name] = (done.stdout + done.stderr)[-2000:]
        runs = clone / "runs" / ("classroom" if name == "classroom" else "")
        if name in ("run", "classroom"):
            record["notebooks"][name] = {p.parent.name: round(json.loads(p.read_text()).get("seconds", 0), 1)
                                         for p in sorted(runs.glob("[0-9][0-9]_*/run.json"))
                                         if not p.parent.name.endswith("-smoke")}
    out = REPO / "results" / "timings.json"
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"clone kept in {clone}")


if __name__ == "__main__":
    main()
