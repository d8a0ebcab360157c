"""The timing block of ``docs/speed.md``, rendered from ``results/timings.json`` (written by
``benchmarks/timings.py``, which times the README's commands on a clean clone): every time the docs state comes
from that measurement, with its date, machine and commit, never from typing. ``python -m modgap.tooling.timings``
re-renders the block; ``tests/test_readme_commands.py`` checks that the page shows exactly what the file gives."""
from __future__ import annotations

import json
from pathlib import Path

from modgap.paths import REPO_ROOT

TIMINGS = REPO_ROOT / "results" / "timings.json"
LABELS = {"setup": "`make setup` (a fresh `.venv`: pip install of the pinned requirements)",
          "run": "`make run` (default profile, empty `runs/`)", "test": "`make test`",
          "classroom": "`make run PROFILE=classroom` (empty `runs/classroom/`)",
          "full": "`make run PROFILE=full` (the powered profile behind `results/`, empty `runs/full/`)"}


def timings_block(path: Path = TIMINGS) -> str:
    """Markdown: one line per command with its minutes, and where each run's notebook time went."""
    if not Path(path).exists():
        return "No timings measured yet: `.venv/bin/python benchmarks/timings.py`."
    t = json.loads(Path(path).read_text())
    lines = [f"Measured by `benchmarks/timings.py` on a clean clone at commit `{t['commit']}`, {t['date'][:10]}, on "
             f"{t['machine']}, one command after the other with nothing else running:", ""]
    for name, seconds in t["seconds"].items():
        failed = " — **failed** (see `results/timings.json`)" if name in t.get("failed", {}) else ""
        e = t.get("earlier", {}).get(name)
        when = f" — timed earlier, at `{e['commit']}` on {e['date'][:10]}" if e else ""
        lines.append(f"- {LABELS.get(name, name)}: **{seconds / 60:.1f} min**{failed}{when}")
        per = t.get("notebooks", {}).get(name)
        if per:
            unit = (lambda v: f"{v / 60:.1f} min") if name == "full" else (lambda v: f"{v:.0f} s")
            lines.append("  (" + ", ".join(f"{k[:2]} {unit(v)}" for k, v in _by_notebook(per).items()) + ")")
    return "\n".join(lines)


def _by_notebook(per: dict) -> dict:
    """Seconds per notebook: a notebook's further run folders (05's sequential looks, ``05_…-10seeds``) added to it."""
    out: dict = {}
    for folder, seconds in per.items():
        out[folder[:2]] = out.get(folder[:2], 0.0) + seconds
    return {k: round(v, 1) for k, v in out.items()}


#: the page whose timing block this renders
SPEED_PAGE = REPO_ROOT / "docs" / "speed.md"


def render(readme: Path = SPEED_PAGE, path: Path = TIMINGS) -> None:
    from modgap.io import atomic_write
    from modgap.tooling.ledger import _replace_block

    text = _replace_block(Path(readme).read_text(), "timings", timings_block(path))
    atomic_write(readme, lambda fh: fh.write(text))


if __name__ == "__main__":
    render()
    print(f"[timings] rendered the timing block of {SPEED_PAGE.relative_to(REPO_ROOT)} from {TIMINGS}")
