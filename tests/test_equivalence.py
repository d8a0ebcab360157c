"""Equivalence verdicts: "no meaningful difference" is an answer. A directional claim whose quantity lies, by two
one-sided tests, within ± its family's smallest effect size of interest (SESOI) gets it; the TOST's error rate at
the SESOI is at most 5%, its power at 0 is what ``tost_power`` computes, Holm counts it within the family, and the
plan fixes a SESOI with a reason for every family."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import t

from modgap.claims import Claim, adjusted_verdicts, plan_families, planned_sesoi
from modgap.metrics.uncertainty import NO_MEANINGFUL_DIFFERENCE, Estimate, tost_p_value, tost_power, verdict

NMD = NO_MEANINGFUL_DIFFERENCE


def seed_estimate(values, level=0.95) -> Estimate:
    """The t-interval over seeds, as the ledger's intervals are calibrated at the seeds a run has."""
    values = np.asarray(values, float)
    n = len(values)
    se = values.std(ddof=1) / np.sqrt(n)
    half = t.ppf((1 + level) / 2, n - 1) * se
    return Estimate(values.mean(), values.mean() - half, values.mean() + half, level, n, 0, se, n - 1)


def test_the_verdicts_in_order():
    narrow_zero = Estimate(0.1, -0.3, 0.5, n_seeds=5, se=0.2 / 1.96, df=float("inf"))
    assert verdict(narrow_zero, ">", 0.0) == "inconclusive"  # without a SESOI, as before
    assert verdict(narrow_zero, ">", 0.0, sesoi=1.0) == NMD  # the 90% interval lies inside ±1
    assert verdict(narrow_zero, ">", 0.0, sesoi=0.2) == "inconclusive"  # its 90% interval reaches past ±0.2
    assert verdict(narrow_zero, "<", 0.0, sesoi=1.0) == NMD
    assert verdict(Estimate(0.2, 0.1, 0.3, n_seeds=5), ">", 0.0, sesoi=5.0) == "reproduced"  # a real, small effect
    assert verdict(Estimate(-0.2, -0.3, -0.1, n_seeds=5), ">", 0.0, sesoi=5.0) == "not reproduced"
    assert verdict(Estimate(0.12, 0.09, 0.15, n_seeds=5), ">", 0.1, sesoi=0.05) == NMD  # around the claim's margin
    assert verdict(Estimate(0.0, -0.1, 0.1, n_seeds=1), ">", 0.0, sesoi=1.0) == "too few seeds"
    assert verdict(Estimate(0.0, -1.0, 1.0, n_seeds=5), "within", 2.0, sesoi=1.0) == "reproduced"  # its own form
    with pytest.raises(ValueError, match="must be > 0"):
        verdict(narrow_zero, ">", 0.0, sesoi=-1.0)


def test_tost_p_agrees_with_the_ninety_percent_interval():
    rng = np.random.default_rng(0)
    for _ in range(200):
        e = seed_estimate(rng.normal(rng.normal(0, 0.5), 1.0, size=5))
        half90 = t.ppf(0.95, 4) * e.se
        inside = -1 < e.value - half90 and e.value + half90 < 1
        assert (tost_p_value(e, -1, 1) < 0.05) == inside


@pytest.mark.parametrize("n", [3, 5, 10])
def test_at_a_true_difference_equal_to_the_sesoi_no_meaningful_difference_is_rare(n):
    """The error TOST controls: declaring "no meaningful difference" when the difference is exactly the SESOI."""
    rng = np.random.default_rng(n)
    runs, sesoi = 4000, 1.0
    for delta in (sesoi, -sesoi):
        hits = sum(verdict(seed_estimate(rng.normal(delta, 1.0, size=n)), ">", 0.0, sesoi) == NMD for _ in range(runs))
        assert hits / runs <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / runs), (n, delta, hits / runs)


@pytest.mark.parametrize("n, sd", [(5, 0.6), (10, 1.0), (20, 1.5)])
def test_at_no_difference_it_is_found_with_the_power_tost_power_gives(n, sd):
    rng = np.random.default_rng(100 + n)
    runs, sesoi = 3000, 1.0
    power = tost_power(sesoi, sd, n)
    hits = sum(verdict(seed_estimate(rng.normal(0.0, sd, size=n)), ">", 0.0, sesoi) == NMD for _ in range(runs))
    assert abs(hits / runs - power) <= 3 * np.sqrt(power * (1 - power) / runs) + 0.005, (hits / runs, power)
    assert tost_power(sesoi, sd, n, delta=sesoi) <= 0.05 + 1e-9  # and at the SESOI, at most α


def test_power_grows_with_seeds_and_shrinks_with_noise():
    assert tost_power(1.0, 1.0, 5) < tost_power(1.0, 1.0, 10) < tost_power(1.0, 1.0, 20)
    assert tost_power(1.0, 2.0, 10) < tost_power(1.0, 1.0, 10)
    with pytest.raises(ValueError, match="n ≥ 2"):
        tost_power(1.0, 1.0, 1)


def test_holm_counts_a_no_meaningful_difference_within_its_family():
    # four claims of one family: a clear equivalence, two borderline ones (TOST p ≈ 0.03 each), a clear effect
    rows = [dict(family="f", value=v, low=v - h, high=v + h, level=0.95, n_seeds=5, se=h / t.ppf(0.975, 4), df=4,
                 test=">", margin=0.0, sesoi=1.0) for v, h in ((0.0, 0.2), (0.3, 0.75), (-0.3, 0.75), (3.0, 0.5))]
    raw = [verdict(Estimate(r["value"], r["low"], r["high"], n_seeds=5, se=r["se"], df=4), ">", 0.0, 1.0) for r in rows]
    assert raw == [NMD, NMD, NMD, "reproduced"]
    adjusted = adjusted_verdicts(pd.DataFrame(rows))
    # the borderline pair does not survive Holm's step-down (their p ≈ 0.03 is doubled); the clear ones do
    assert adjusted == [NMD, "inconclusive", "inconclusive", "reproduced"]
    no_sesoi = pd.DataFrame(rows).drop(columns="sesoi")  # a run made before the plan had a SESOI: verdicts as before
    assert adjusted_verdicts(no_sesoi) == ["inconclusive"] * 3 + ["reproduced"]


def test_every_planned_family_has_a_sesoi_with_its_reason_and_claims_take_it():
    import yaml

    from modgap.paths import REPO_ROOT

    plan = yaml.safe_load((REPO_ROOT / "results" / "claims_plan.yaml").read_text())
    families = plan_families()
    assert "before any run that they judge" in plan["families_written"]
    tests = {}
    for c in plan["claims"]:
        tests.setdefault(c["family"], set()).add(c["test"])
    assert set(tests) == set(families)
    for family, kinds in tests.items():
        entry = families[family]
        assert len(entry["reason"]) > 20, family
        if kinds == {"within"}:
            assert entry["sesoi"] is None, family  # equivalence claims already
        else:
            assert entry["sesoi"] > 0, family  # a directional claim can be answered "no meaningful difference"
    e = Estimate(0.5, -0.5, 1.5, n_seeds=5, se=0.4, df=4)
    made = Claim("c3.marrnet-beats.siamese.raman-ir", "x", "y", "z", e, ">")
    assert made.sesoi == planned_sesoi("c3.marrnet-beats") == made.row()["sesoi"]
    assert Claim("c99.unplanned", "x", "y", "z", e, ">").sesoi is None


def test_the_power_check_plans_from_a_pilot(tmp_path):
    """results/power/power_check.py on a made-up pilot: a claim far beyond its margin is settled before the run, a
    noisy one needs more seeds than the full profile has, a precise one is decidable there."""
    import subprocess
    import sys

    from modgap.paths import REPO_ROOT

    pilot = tmp_path / "pilot" / "05_closing_the_gap"
    pilot.mkdir(parents=True)
    rows = [("c5.gap.tau-0.1", -0.7, 0.01), ("c5.clustering.tau-0.1", 1.0, 3.0), ("c5.gap.tau-0.01", 0.0, 0.004)]
    pd.DataFrame([dict(id=i, value=v, low=v - 2 * s, high=v + 2 * s, se=s, n_seeds=2) for i, v, s in rows]).to_csv(
        pilot / "claims.csv", index=False)
    done = subprocess.run([sys.executable, str(REPO_ROOT / "results" / "power" / "power_check.py"), str(pilot.parent),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(tmp_path / "out" / "power.csv").set_index("id")
    assert table.loc["c5.gap.tau-0.1", "status"] == "settled before the run"
    assert table.loc["c5.clustering.tau-0.1", "status"].startswith("needs")
    assert table.loc["c5.gap.tau-0.01", "status"] == "decidable at the full profile"
    assert "Power of each claim's decision" in (tmp_path / "out" / "power.md").read_text()


def test_notebook_07s_ledger_and_the_closing_line_count_no_meaningful_difference(tmp_path):
    """A claim made now carries its family's SESOI, so the ledger 07 gathers and make run's closing line count the
    new verdict."""
    from modgap.claims import save_claims
    from modgap.tooling.ledger import gather_claims
    from modgap.tooling.runner import print_reference_comparison

    tight = Estimate(0.1, -0.3, 0.5, n_seeds=5, se=0.2 / 1.96, df=float("inf"))  # inside ±2 rank-1 points
    row = Claim("c3.marrnet-beats.siamese.raman-ir", "MarrNet beats siamese", "x", "rank-1 points", tight, ">").row()
    save_claims(tmp_path / "03_marrnet_vs_baselines", [row])
    table, _ = gather_claims(tmp_path, ["03_marrnet_vs_baselines"])
    assert table.verdict.tolist() == [NMD] and table.verdict_adjusted.tolist() == [NMD]
    (tmp_path / "runs" / "07_claims").mkdir(parents=True)
    table.to_csv(tmp_path / "runs" / "07_claims" / "ledger.csv", index=False)
    line = print_reference_comparison(tmp_path / "runs", reference=tmp_path / "none.csv")
    assert "1 no meaningful difference (Holm-adjusted)" in line


def test_no_claim_is_settled_or_undecidable_before_the_run_without_the_plan_saying_why():
    """The power check (results/power/power.csv) marks claims decided before any run, or undecidable at the profile's
    sizes; each must be named in the plan (by id or family) with its reason, as the issue "Decisions, not shrugs"
    asks; and a name in the plan must be a planned claim or family."""
    import pandas as pd
    import yaml

    from modgap.claims import family_of
    from modgap.paths import REPO_ROOT

    plan = yaml.safe_load((REPO_ROOT / "results" / "claims_plan.yaml").read_text())
    power = pd.read_csv(REPO_ROOT / "results" / "power" / "power.csv")
    planned = {c["id"] for c in plan["claims"]} | {c["family"] for c in plan["claims"]}
    for block, status in (("settled_before_run", "settled before the run"),
                          ("cannot_decide_at_this_size", "cannot decide at this size")):
        said = plan[block]
        assert set(said) <= planned and all(len(why) > 20 for why in said.values()), block
        for claim_id in power.loc[power.status == status, "id"]:
            assert claim_id in said or family_of(claim_id) in said, (claim_id, block)
