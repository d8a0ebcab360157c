"""Claims as records: ids and families, p-values that agree with the verdicts, and Holm's family-wise control."""
import numpy as np
import pandas as pd
import pytest

from modgap.claims import Claim, adjusted_verdicts, decision_p_value, family_of, holm, slug
from modgap.metrics.uncertainty import Estimate, bootstrap_mean, verdict


def test_ids_slugs_and_families():
    assert slug("τ = 0.01") == "tau-0.01" and slug("learned τ") == "learned-tau" and slug("Raman-IR") == "raman-ir"
    assert family_of("c3.marrnet-beats.mmd.raman-ir") == "c3.marrnet-beats"
    c = Claim("c5.clustering.tau-0.01", "Closing the gap improves clustering", "paper", "V-Measure",
              Estimate(3.0, 1.0, 5.0, n_seeds=5), ">")
    assert c.family == "c5.clustering" and c.verdict == "reproduced" and c.row()["id"] == "c5.clustering.tau-0.01"
    for bad in ("c5", "C5.Clustering", "c5..x", "c5 clustering.x"):
        with pytest.raises(ValueError):
            Claim(bad, "s", "p", "x", Estimate(0, -1, 1), ">")


def test_holm_on_a_hand_worked_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.2]) == pytest.approx([0.2]) and holm([0.6, 0.6]) == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("test, margin", [(">", 0.0), ("<", 0.0), ("within", 0.5)])
def test_the_decision_p_value_is_below_5_percent_exactly_when_the_raw_verdict_is_definite(test, margin):
    rng = np.random.default_rng(0)
    for _ in range(300):
        est = bootstrap_mean(rng.normal(rng.normal(0, 0.6), 1.0, size=(int(rng.integers(2, 6)), 30)))
        definite = verdict(est, test, margin) in ("reproduced", "not reproduced")
        assert (decision_p_value(est, test, margin) < 0.05) == definite


def test_holm_keeps_the_family_wise_error_at_5_percent_when_nothing_differs():
    # families of 10 claims "A beats B" with a true difference of 0 and seed noise dominant (where each interval
    # is at its nominal 5%): raw verdicts are definite somewhere in many families, Holm-adjusted ones in ≤ ~5%
    rng = np.random.default_rng(1)
    raw_any, adj_any = [], []
    for _ in range(300):
        rows = [Claim(f"c0.null.s{i}", "A beats B", "p", "A − B",
                      bootstrap_mean(rng.normal(0, 1, size=(5, 1)) + rng.normal(0, 0.3, size=(5, 40))), ">").row()
                for i in range(10)]
        raw = [verdict(Estimate(r["value"], r["low"], r["high"], n_seeds=5), ">") for r in rows]
        adj = adjusted_verdicts(pd.DataFrame(rows))
        raw_any.append(any(v != "inconclusive" for v in raw))
        adj_any.append(any(v != "inconclusive" for v in adj))
    assert np.mean(raw_any) > 0.25 and np.mean(adj_any) <= 0.07, (np.mean(raw_any), np.mean(adj_any))


def test_adjustment_keeps_strong_verdicts_and_too_few_seeds():
    marginal = Estimate(1.0, 0.05, 1.95, n_seeds=5)  # p ≈ 0.039
    rows = [Claim("c0.f.a", "s", "p", "x", Estimate(5.0, 4.0, 6.0, n_seeds=5, se=0.5, df=4.0), ">").row(),
            Claim("c0.f.b", "s", "p", "x", marginal, ">").row(),
            Claim("c0.f.c", "s", "p", "x", marginal, ">").row(),
            Claim("c0.f.d", "s", "p", "x", Estimate(9.0, 8.0, 10.0, n_seeds=1), ">").row(),
            Claim("c0.g.a", "s", "p", "x", marginal, ">").row()]
    # Holm over the three with seeds: 0.0006 × 3, then 0.039 × 2 > 0.05 (and the last inherits it); the marginal
    # claim alone in its family keeps its verdict; one seed stays "too few seeds"
    assert adjusted_verdicts(pd.DataFrame(rows)) == ["reproduced", "inconclusive", "inconclusive", "too few seeds",
                                                     "reproduced"]


def test_a_notebooks_claims_in_one_record_from_notebook_to_ledger(tmp_path):
    """claim() returns a Claim (which also reads as its ledger row); Claims saves, shows, finds and counts them; the
    CSV it writes is what the ledger gathers, with the verdicts the notebook showed."""
    import pandas as pd

    from modgap.claims import COLUMNS, NIU, Claim, Claims, claim, family_of
    from modgap.metrics.uncertainty import Estimate
    from modgap.tooling.ledger import gather_claims

    claims = Claims()
    claims.append(claim("A beats B on x", NIU, "A − B (points)", Estimate(2.0, 0.5, 3.5, n_seeds=5), ">", id="c3.a-beats.b.x"))
    claims += [claim("A flat on y", NIU, "A − B (points)", Estimate(0.1, -3.0, 3.0, n_seeds=5), "within", 2.0, id="c3.a-flat.y")]
    assert isinstance(claims, Claims) and all(isinstance(c, Claim) for c in claims)
    c = claims.get("c3.a-beats.b.x")
    assert c.family == family_of(c.id) == "c3.a-beats" and c["value"] == 2.0 and dict(c)["claim"] == "A beats B on x"
    with pytest.raises(KeyError, match="no claim 'c3.nothing'"):
        claims.get("c3.nothing")
    shown = claims.table()
    assert list(shown.columns) == ["claim", "estimate", "test", "verdict"]
    assert shown.verdict.tolist() == ["reproduced", "inconclusive"] and shown.test.tolist() == ["> 0", "within ±2"]
    assert claims.verdicts().to_dict() == {"reproduced": 1, "inconclusive": 1}
    path = claims.save(tmp_path / "03_x")
    assert list(pd.read_csv(path).columns) == COLUMNS
    table, _ = gather_claims(tmp_path, ["03_x"])
    assert table.verdict.tolist() == shown.verdict.tolist()  # the ledger's verdicts are the notebook's
