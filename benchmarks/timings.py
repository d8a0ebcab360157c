"""How long the README's commands take on a clean clone of this repository: `make setup`, `make run`, `make test`,
`make run PROFILE=classroom` and, when asked for, `make run PROFILE=full`, each from an empty `runs/`, on this
machine, one after the other. Writes `results/timings.json` (date, machine, commit, seconds per command and per
notebook), from which `python -m modgap.tooling.timings` renders the timing block of docs/speed.md. A command not
timed this time keeps its earlier entry, with the commit and date it was timed at.

    .venv/bin/python benchmarks/timings.py [--only run test classroom full] [--keep]

The default (run, test, classroom) takes about 25 minutes on 2 cores; `full` about 2 hours more. It measures; it
asserts nothing. Nothing else should run meanwhile.
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
            "classroom": ["make", "run", "PROFILE=classroom"], "full": ["make", "run", "PROFILE=full"]}
PROFILE_DIR = {"classroom": "classroom", "full": "full"}  # where a profile's run folders go under runs/


def machine() -> str:
    from modgap.tooling.runner import cpu_description  # the CPU as every run.json records it

    cpu = cpu_description() or platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def notebook_seconds(runs: Path) -> dict:
    """Seconds per run folder of a profile's ``runs`` folder, from each folder's run.json: the notebooks, then
    05's sequential looks (``sequential/05_…-10seeds``, a run of their own)."""
    found = sorted(runs.glob("[0-9][0-9]_*/run.json")) + sorted(runs.glob("sequential/[0-9][0-9]_*/run.json"))
    return {p.parent.name: round(json.loads(p.read_text()).get("seconds", 0), 1) for p in found
            if not p.parent.name.endswith("-smoke")}


def write(out: Path, record: dict) -> None:
    """Write ``record`` to ``out``, keeping the earlier entries of the commands not timed this time, each with the
    commit and date it was timed at (``earlier``)."""
    timed = set(record["seconds"])
    if out.exists():
        old = json.loads(out.read_text())
        earlier = dict(old.get("earlier", {}))
        for name, seconds in old.get("seconds", {}).items():
            if name not in record["seconds"]:
                earlier[name] = earlier.get(name) or {"commit": old["commit"], "date": old["date"], "machine": old["machine"]}
                record["seconds"][name] = seconds
                if name in old.get("notebooks", {}):
                    record["notebooks"][name] = old["notebooks"][name]
                if name in old.get("failed", {}):
                    record.setdefault("failed", {})[name] = old["failed"][name]
        earlier = {k: v for k, v in earlier.items() if k in record["seconds"] and k not in timed}
        if earlier:
            record["earlier"] = earlier
    out.write_text(json.dumps(record, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", choices=list(COMMANDS)[1:], default=["run", "test", "classroom"])
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
    out = REPO / "results" / "timings.json"
    for name in ["setup", *args.only]:
        if name != "setup":
            shutil.rmtree(clone / "runs", ignore_errors=True)  # each from an empty runs/
        t = time.perf_counter()
        done = subprocess.run(COMMANDS[name], cwd=clone, capture_output=True, text=True)
        record["seconds"][name] = round(time.perf_counter() - t, 1)
        print(f"{' '.join(COMMANDS[name]):28s} {record['seconds'][name]:7.1f} s  (exit {done.returncode})", flush=True)
        if done.returncode != 0:
            record.setdefault("failed", {})[name] = (done.stdout + done.stderr)[-2000:]
        runs = clone / "runs" / PROFILE_DIR.get(name, "")
        if name in ("run", "classroom", "full"):
            record["notebooks"][name] = notebook_seconds(runs)
        write(out, json.loads(json.dumps(record)))  # after every command: an interrupted timing keeps what it measured
    print(f"wrote {out}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"clone kept in {clone}")


if __name__ == "__main__":
    main()
