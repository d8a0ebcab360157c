"""What changed between a previous reference and its rerun, cause by cause: the decided share after Holm (reproduced,
not reproduced or no meaningful difference), adding one change at a time to the previous ledger.

    .venv/bin/python results/across_refs/what_changed.py <commit of the previous reference> [results | results/default]

Steps, each on the claims both ledgers share until the last:
  1. the previous reference, as published;
  2. the rerun under the previous rules (no smallest effect of interest; 05's profile seeds only, no sequential
     looks): what the rerun's code and machine changed (one-thread training, data, CPU);
  3. + each family's SESOI (TOST: "no meaningful difference");
  4. + the sequential looks (seeds added where a family was undecided);
  5. every claim of the rerun (claims the plan added since, e.g. c9.gap-paper).
Then the decided share per family, before and after, and the families still undecided with the seeds the power check
says 80% would need (results/power/power.csv). docs/claims.md and the README quote its output.
"""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

from modgap.claims import family_of
from modgap.paths import REPO_ROOT
from modgap.tooling.ledger import with_verdicts

DECIDED = ["reproduced", "not reproduced", "no meaningful difference"]
SEQUENTIAL = ["sequential_verdict", "look"]


def _fresh(t: pd.DataFrame) -> pd.DataFrame:
    return with_verdicts(t.drop(columns=[k for k in ("verdict", "verdict_adjusted") if k in t]))


def _share(t: pd.DataFrame) -> str:
    k = int(t.verdict_adjusted.isin(DECIDED).sum())
    return f"{k} of {len(t)} ({100 * k / max(len(t), 1):.0f}%)"


def main(old_commit: str, folder: str = "results") -> None:
    where = Path(folder)
    shown = subprocess.run(["git", "show", f"{old_commit}:{where.as_posix()}/claims.csv"], cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout
    old = _fresh(pd.read_csv(io.StringIO(shown)))
    new_all = pd.read_csv(REPO_ROOT / where / "claims.csv")
    # the rerun as its notebooks wrote it: 05's claims from its own run (the profile's seeds), no looks
    base = new_all.drop(columns=[c for c in SEQUENTIAL if c in new_all])
    own05 = REPO_ROOT / where / "05_closing_the_gap" / "claims.csv"
    if own05.exists():
        rows05 = pd.read_csv(own05).assign(notebook="05_closing_the_gap")
        base = pd.concat([base[~base.id.isin(rows05.id)], rows05[[c for c in base.columns if c in rows05]]],
                         ignore_index=True)
    shared = base.id.isin(old.id)
    steps = [("previous reference", old),
             ("rerun, previous rules", _fresh(base[shared].assign(sesoi=float("nan")))),
             ("+ SESOI (no meaningful difference)", _fresh(base[shared])),
             ("+ sequential looks", _fresh(new_all[new_all.id.isin(old.id)])),
             ("every claim of the rerun", _fresh(new_all))]
    print("| step | decided after Holm |\n|---|---|")
    for name, t in steps:
        print(f"| {name} | {_share(t)} |")
    before, after = steps[0][1], steps[-1][1]
    print("\n| family | before | after |\n|---|---|---|")
    fams = list(dict.fromkeys(list(after.id.map(family_of)) + list(before.id.map(family_of))))
    for f in fams:
        b, a = before[before.id.map(family_of) == f], after[after.id.map(family_of) == f]
        print(f"| `{f}` | {_share(b) if len(b) else '—'} | {_share(a) if len(a) else '—'} |")
    power = REPO_ROOT / "results" / "power" / "power.csv"
    if power.exists():
        p = pd.read_csv(power).set_index("id")
        open_ = after[~after.verdict_adjusted.isin(DECIDED) & (after.verdict_adjusted != "too few seeds")]
        print("\nstill undecided, with the seeds 80% power would need (power check):")
        for f, g in open_.groupby(open_.id.map(family_of), sort=False):
            need = pd.Series([p.loc[i, "seeds_for_80"] if i in p.index else float("nan") for i in g.id]).dropna()
            why = sorted({str(p.loc[i, "status"]) for i in g.id if i in p.index} - {"needs"} if need.empty else set())
            what = (f"80% power would need {int(need.median())} seeds (median), {int(need.max())} for the hardest"
                    if len(need) else "; ".join(why) or "not in the pilot")
            print(f"- `{f}`: {len(g)} undecided; {what}")

if __name__ == "__main__":
    main(*sys.argv[1:])
