"""Which verdicts of a reference rerun moved because of the CPU, and which because of the code: three ledgers —
the previous reference (old code, its CPU), the old code run again on this machine, and the new reference (new
code, this machine) — compared claim by claim. docs/claims.md's last section quotes its output.

    git worktree add /tmp/old <old commit>
    mkdir -p /tmp/old/data/external && ln -s "$PWD/data/external/modality-gap" /tmp/old/data/external/modality-gap
    (cd /tmp/old && PYTHONPATH=/tmp/old MPLBACKEND=Agg "$OLDPWD/.venv/bin/python" -m modgap.tooling.runner notebooks/0*.ipynb)
    .venv/bin/python results/across_cpus/code_or_cpu.py <old commit> /tmp/old/runs/07_claims/ledger.csv

(``PYTHONPATH`` makes the runner and its kernels import the old commit's package rather than this checkout's.)
"""
from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd

from modgap.paths import REPO_ROOT
from modgap.tooling.ledger import with_verdicts

DECIDED = ["reproduced", "not reproduced", "no meaningful difference"]


def main(old_commit: str, old_here: str, new: str = str(REPO_ROOT / "results" / "default" / "claims.csv")) -> None:
    shown = subprocess.run(["git", "show", f"{old_commit}:results/default/claims.csv"], cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout
    tables = [pd.read_csv(io.StringIO(shown)), pd.read_csv(old_here), pd.read_csv(new)]
    a, b, c = (with_verdicts(t.drop(columns=[k for k in ("verdict", "verdict_adjusted") if k in t])) for t in tables)
    for name, t in (("previous reference (old code, its CPU)", a), ("old code, this machine", b),
                    ("new reference (new code, this machine)", c)):
        print(f"{name}: {len(t)} claims; decided raw {t.verdict.isin(DECIDED).sum()}, Holm-adjusted "
              f"{t.verdict_adjusted.isin(DECIDED).sum()}; {t.verdict_adjusted.value_counts().to_dict()}")
    for label, x, y, (s, u) in (("the CPU", a, b, ("_a", "_b")), ("the code", b, c, ("_b", "_c"))):
        m = x.merge(y, on="id", suffixes=(s, u))
        raw = m[m["verdict" + s] != m["verdict" + u]]
        adj = m[m["verdict_adjusted" + s] != m["verdict_adjusted" + u]]
        equal = (m["value" + s] - m["value" + u]).abs() <= 1e-9 * m["value" + s].abs().clip(lower=1e-12)
        print(f"\n{label}: {len(raw)} raw and {len(adj)} Holm-adjusted verdicts of {len(m)} changed; "
              f"{int(equal.sum())} estimates equal")
        for r in raw.itertuples():
            d = r._asdict()
            print(f"  {r.id}: {d['verdict' + s]} -> {d['verdict' + u]}  ({d['value' + s]:.3g} [{d['low' + s]:.3g}, "
                  f"{d['high' + s]:.3g}] -> {d['value' + u]:.3g} [{d['low' + u]:.3g}, {d['high' + u]:.3g}])")
        for r in adj.itertuples():
            d = r._asdict()
            print(f"  Holm {r.id}: {d['verdict_adjusted' + s]} -> {d['verdict_adjusted' + u]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
