"""A power check before the run: from a pilot run on held-out seeds (never the reported ones), how likely each claim
of the plan is to be decided at a profile's seeds, and how many seeds a decision would need at 80% power.

    .venv/bin/python -m modgap.tooling.runner --runs-dir runs/pilot -p seed 100 notebooks/0[2-689]_*.ipynb
    .venv/bin/python results/power/power_check.py runs/pilot

For each claim the pilot's standard error at its seeds gives a seed-level standard deviation σ = se·√n (every source
of variation counted as if it came from seeds: items are as many at the default profile's sizes as in the pilot and
more at the full profile's, so σ is an upper bound there and the power a lower one). Then, at n seeds
(``modgap.metrics.uncertainty``, exact for normal seed values):

- **no meaningful difference** when there is none: ``tost_power(SESOI, σ, n)`` (δ = 0);
- **reproduced** when the true difference is one SESOI in the claim's direction: the power of the t-test at 5%;
- for a "within ±m" claim, **reproduced** when the truth is 0: the two one-sided tests at 2.5% (its 95% interval
  inside ±m).

A claim is **settled before the run** when its pilot estimate lies more than 10 standard errors beyond its margin
(a test that cannot fail, as "gap > 0.1" for real CLIP-family models), and **cannot decide at this size** when no
seed count up to 200 reaches 80% (claims without a seed level — 01's molecules, 09's audits of fixed embeddings —
depend on items, not seeds). Writes ``results/power/power.csv`` and ``results/power/power.md``.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import nct, t

from modgap.claims import planned_sesoi
from modgap.metrics.uncertainty import tost_power
from modgap.paths import REPO_ROOT

HERE = Path(__file__).resolve().parent
MAX_SEEDS = 200


def seeds_per_profile() -> dict[str, dict[str, int]]:
    """{notebook: {"default": n, "full": n}}: the model seeds each profile gives each notebook with claims."""
    import papermill

    full = (yaml.safe_load((REPO_ROOT / "profiles" / "full.yaml").read_text()) or {}).get("notebooks", {})
    out = {}
    for nb in sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        declared = papermill.inspect_notebook(str(nb))
        key = "n_seeds" if "n_seeds" in declared else "head_seeds" if "head_seeds" in declared else None
        if key is None:
            continue
        default = int(declared[key]["default"])
        full_n = int((full.get(nb.stem) or {}).get(key, default))
        if "n_splits" in declared:  # 09's heads: every (split, head seed) is one unit of the interval's top level
            splits = int(declared["n_splits"]["default"])
            default, full_n = default * splits, full_n * int((full.get(nb.stem) or {}).get("n_splits", splits))
        out[nb.stem] = {"default": default, "full": full_n}
    return out


def power_effect(sigma: float, n: int, effect: float) -> float:
    """P(the 95% t-interval of n seeds excludes the margin on the claim's side | true distance ``effect``); 0 below
    two seeds (a verdict needs two: "too few seeds")."""
    if n < 2:
        return 0.0
    return float(1 - nct.cdf(t.ppf(0.975, n - 1), n - 1, effect * np.sqrt(n) / sigma))


def power_nmd(sesoi: float, sigma: float, n: int) -> float:
    return 0.0 if n < 2 else tost_power(sesoi, sigma, n)


def power_within(sigma: float, n: int, margin: float) -> float:
    """P(the 95% t-interval lies inside ±margin | truth 0): TOST at 2.5% per side, no directional verdict first."""
    return 0.0 if n < 2 else tost_power(margin, sigma, n, level=0.975, directional=False)


def seeds_for(power_at, target: float = 0.8) -> int | None:
    for n in range(2, MAX_SEEDS + 1):
        if power_at(n) >= target:
            return n
    return None


def check(pilot: Path) -> pd.DataFrame:
    plan = yaml.safe_load((REPO_ROOT / "results" / "claims_plan.yaml").read_text())
    seeds = seeds_per_profile()
    frames = [pd.read_csv(p) for p in sorted(pilot.glob("[0-9][0-9]_*/claims.csv"))]
    if not frames:
        raise SystemExit(f"no claims.csv under {pilot}: run the pilot first (see this script's docstring)")
    got = pd.concat(frames, ignore_index=True).set_index("id")
    rows = []
    for c in plan["claims"]:
        nb, fam = c["notebook"], c["family"]
        row = {"id": c["id"], "family": fam, "test": c["test"], "margin": c["margin"], "sesoi": planned_sesoi(fam)}
        if c["id"] not in got.index:
            rows.append({**row, "status": "not in the pilot"})
            continue
        r = got.loc[c["id"]]
        n_pilot, se = int(r.n_seeds), float(r.se) if r.se == r.se else float(r.high - r.low) / 3.92
        row.update(pilot_value=float(r.value), pilot_se=se, pilot_seeds=n_pilot)
        settled = se > 0 and abs(float(r.value) - float(c["margin"])) > 10 * se and c["test"] != "within"
        if n_pilot < 2 or nb not in seeds:
            status = "settled before the run" if settled else "no seed level (items decide)" if n_pilot == 0 else \
                "one seed in the pilot: no seed-level variance"
            rows.append({**row, "status": status})
            continue
        sigma = max(se * np.sqrt(n_pilot), 1e-12)
        if c["test"] == "within":
            power = {k: power_within(sigma, n, c["margin"]) for k, n in seeds[nb].items()}
            need = seeds_for(lambda n, s=sigma, m=c["margin"]: power_within(s, n, m))
            row.update({f"power_{k}": p for k, p in power.items()}, seeds_for_80=need)
        else:
            d = row["sesoi"]
            both = lambda n, d=d, s=sigma: min(power_nmd(d, s, n), power_effect(s, n, d))  # noqa: E731
            row.update({f"power_{k}": both(n) for k, n in seeds[nb].items()}, seeds_for_80=seeds_for(both),
                       power_nmd_full=power_nmd(d, sigma, seeds[nb]["full"]),
                       power_effect_full=power_effect(sigma, seeds[nb]["full"], d))
        row.update(seeds_default=seeds[nb]["default"], seeds_full=seeds[nb]["full"])
        row["status"] = ("settled before the run" if settled else
                         "cannot decide at this size" if row["seeds_for_80"] is None else
                         "decidable at the full profile" if row["seeds_for_80"] <= seeds[nb]["full"] else
                         f"needs {row['seeds_for_80']} seeds")
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, commit: str, pilot: Path) -> str:
    fam = table.groupby("family").agg(claims=("id", "size"), status=("status", lambda s: ", ".join(
        f"{n} {v}" for v, n in s.value_counts().items())), seeds_for_80=("seeds_for_80", "max"),
        power_full=("power_full", "median") if "power_full" in table else ("id", "size"))
    lines = ["# Power of each claim's decision, from a pilot on held-out seeds", "",
             f"Made by `results/power/power_check.py` from `{pilot.name}/` at commit `{commit}`. The pilot ran the "
             "default profile's sizes on model seeds 100 and 101 (never reported); σ counts every source of variation "
             "as seed-level, so the power at the full profile's larger item counts is a lower bound. Power is that of "
             "the weaker of the two decisions a directional claim can reach — *no meaningful difference* when there is "
             "no difference, *reproduced* when the difference is one SESOI — and of *reproduced* for a within ±m claim "
             "whose truth is 0. A 2-seed pilot estimates each σ with one degree of freedom: read the seed counts as "
             "orders of magnitude. Per claim: `power.csv`.", "",
             "| family | claims | status | median power at the full profile's seeds | seeds for 80% (its hardest claim) |",
             "|---|---|---|---|---|"]
    for f, r in fam.iterrows():
        need = "—" if r.seeds_for_80 != r.seeds_for_80 else int(r.seeds_for_80)
        power = "—" if r.power_full != r.power_full else f"{r.power_full:.2f}"
        lines.append(f"| `{f}` | {r.claims} | {r.status} | {power} | {need} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pilot", nargs="?", default=str(REPO_ROOT / "runs" / "pilot"))
    ap.add_argument("--out", default=str(HERE), help="where power.csv and power.md go (default: beside this script)")
    args = ap.parse_args(argv)
    pilot, out = Path(args.pilot), Path(args.out)
    table = check(pilot)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "power.csv", index=False)
    (out / "power.md").write_text(markdown(table, commit, pilot))
    print(table.status.value_counts().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
