"""Seeds added in stages by the runner (``modgap.tooling.stages``): the profile's ``sequential:`` block is checked,
the looks agree with ``modgap.metrics.sequential``, seeds are added only while a claim is undecided and the budget
allows, earlier models are linked in, and the ledger takes the looks' verdicts (and only while they belong to the
notebook's current run)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from modgap.metrics.sequential import sequential_family
from modgap.metrics.uncertainty import Estimate
from modgap.parameters import ParameterError
from modgap.tooling import runner
from modgap.tooling.ledger import gather_claims
from modgap.tooling.stages import SeedStages, add_seeds, judge_looks, seed_stages

STAGES = (4, 8, 12)
NB = {"05_closing_the_gap": {"n_seeds": 4}}


def _claims(n, effects, sd=1.0):
    """A notebook's claims table at n seeds: claim i's estimate is effects[i] with a t-interval of se sd/√n."""
    rows = []
    for i, d in enumerate(effects):
        se = sd / np.sqrt(n)
        half = student_t.ppf(0.975, n - 1) * se
        rows.append({"id": f"c5.fam{i % 2}.x{i}", "family": f"c5.fam{i % 2}", "claim": "c", "source": "s",
                     "statistic": "s", "value": d, "low": d - half, "high": d + half, "level": 0.95, "n_seeds": n,
                     "n_queries": 0, "se": se, "df": n - 1, "test": ">", "margin": 0.0, "where": "w", "sesoi": 0.5})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("block, says", [
    ("nope", "must be a mapping"),
    ({"stages": [4, 8], "budget_minutes": 5, "notebooks": ["05_closing_the_gap"], "max": 3}, "unknown key"),
    ({"stages": [4], "budget_minutes": 5, "notebooks": ["05_closing_the_gap"]}, "at least two increasing"),
    ({"stages": [8, 4], "budget_minutes": 5, "notebooks": ["05_closing_the_gap"]}, "at least two increasing"),
    ({"stages": [4, 8], "budget_minutes": 0, "notebooks": ["05_closing_the_gap"]}, "budget_minutes must be positive"),
    ({"stages": [4, 8], "budget_minutes": 5, "notebooks": ["03_marrnet_vs_baselines"]}, "does not run"),
    ({"stages": [5, 8], "budget_minutes": 5, "notebooks": ["05_closing_the_gap"]}, "starts at 5"),
])
def test_a_bad_sequential_block_is_refused_by_name(block, says):
    with pytest.raises(ParameterError, match=says.replace("must be positive", "must be a positive")):
        seed_stages({"sequential": block}, "profile 'x'", NB)
    assert seed_stages({}, "profile 'x'", NB) is None


def test_the_looks_are_those_of_the_sequential_design():
    effects = [1.5, 0.0, 0.3, 0.9]
    tables = [_claims(n, effects) for n in STAGES]
    out = judge_looks(tables, STAGES).set_index("id")
    for fam in ("c5.fam0", "c5.fam1"):
        ids = [i for i in tables[0].id if i.startswith(fam + ".")]
        direct = sequential_family(
            lambda i, n, ids=ids: Estimate(**{k: tables[STAGES.index(n)].set_index("id").loc[ids[i], k] for k in
                                              ("value", "low", "high", "level", "n_seeds", "n_queries", "se", "df")}),
            len(ids), STAGES, [">"] * len(ids), [0.0] * len(ids), [0.5] * len(ids))
        assert [o.verdict for o in direct] == list(out.loc[ids, "verdict"])
        assert [0 if o.look is None else o.look + 1 for o in direct] == list(out.loc[ids, "look"])
    # the clear effect is decided at a look before the last; a decided claim's interval is at its look's level
    first = out.loc["c5.fam0.x0"]
    assert first.verdict == "reproduced" and first.look < 3 and first.level > 0.95
    # after one look only, nothing is read beyond it
    assert set(judge_looks(tables[:1], STAGES).n_seeds) == {4}


def _base(tmp_path, effects, seconds=60.0):
    base = tmp_path / "runs" / "05_closing_the_gap"
    (base / "checkpoints").mkdir(parents=True)
    (base / "checkpoints" / "seed0.pt").write_bytes(b"weights")
    _claims(STAGES[0], effects).to_csv(base / "claims.csv", index=False)
    (base / runner.RECORD).write_text(json.dumps({"seconds": seconds, "fingerprint": "abc"}))
    return base


def _fake_run(effects, calls, seconds=60.0):
    def run(notebook, folder, params):
        calls.append((params["n_seeds"], sorted(p.name for p in (folder / "checkpoints").glob("*"))))
        _claims(params["n_seeds"], effects).to_csv(folder / "claims.csv", index=False)
        (folder / runner.RECORD).write_text(json.dumps({"seconds": seconds * params["n_seeds"] / STAGES[0],
                                                        "fingerprint": f"n{params['n_seeds']}"}))
        return folder / notebook.name, False
    return run


def test_seeds_are_added_while_a_claim_is_undecided_and_earlier_models_are_linked(tmp_path):
    effects = [30.0, 0.6, 30.0, 0.7]  # two clear claims, two that need more seeds
    base, calls = _base(tmp_path, effects), []
    plan = SeedStages(STAGES, 60.0, ("05_closing_the_gap",))
    path = add_seeds(tmp_path / "05_closing_the_gap.ipynb", tmp_path / "runs", {"n_seeds": 4}, plan,
                     _fake_run(effects, calls), base, say=lambda line: None)
    assert [n for n, _ in calls] == [8, 12] and calls[0][1] == ["seed0.pt"]
    out = pd.read_csv(path).set_index("id")
    assert out.loc["c5.fam0.x0", "look"] == 1 and out.loc["c5.fam0.x0", "n_seeds"] == 4
    assert set(out.looks_made) == {3} and set(out.base_fingerprint) == {"abc"}

    # the ledger takes the looks' verdicts and estimates while the base run is the one they came from
    table, _ = gather_claims(tmp_path / "runs", ["05_closing_the_gap"])
    t = table.set_index("id")
    assert list(t.verdict_adjusted) == list(out.loc[t.index, "verdict"])
    assert t.loc["c5.fam1.x1", "look"] == f"{out.loc['c5.fam1.x1', 'look'] or '–'}/3"
    assert t.loc["c5.fam0.x0", "level"] > 0.95
    (base / runner.RECORD).write_text(json.dumps({"seconds": 60.0, "fingerprint": "changed"}))
    table, _ = gather_claims(tmp_path / "runs", ["05_closing_the_gap"])
    assert "sequential_verdict" not in table and set(table.n_seeds) == {4}


def test_no_seeds_are_added_when_every_claim_is_decided_or_past_the_budget(tmp_path):
    calls = []
    clear = [30.0, 30.0]
    add_seeds(tmp_path / "05_closing_the_gap.ipynb", tmp_path / "runs", {"n_seeds": 4},
              SeedStages(STAGES, 60.0, ("05_closing_the_gap",)), _fake_run(clear, calls), _base(tmp_path, clear),
              say=lambda line: None)
    assert calls == []

    said, calls, hard = [], [], [0.2, 0.2]
    other = tmp_path / "b"
    add_seeds(other / "05_closing_the_gap.ipynb", other / "runs", {"n_seeds": 4},
              SeedStages(STAGES, 1.5, ("05_closing_the_gap",)), _fake_run(hard, calls), _base(other, hard),
              say=said.append)
    # look 2 costs ~1 min (60 s per 4 seeds), look 3 another ~2 min: past the 1.5-minute budget, so it stops at 8
    assert [n for n, _ in calls] == [8] and any("past the budget of 1.5 min" in line for line in said)
    out = pd.read_csv(other / "runs" / "sequential" / "05_closing_the_gap.csv")
    assert set(out.looks_made) == {2} and set(out.verdict) == {"inconclusive"}


def test_the_full_profile_plans_its_stages():
    from modgap.parameters import load_profile
    from modgap.tooling.stages import load_seed_stages

    notebooks, _ = load_profile("full")
    plan = load_seed_stages("full", notebooks)
    assert plan is not None and plan.stages[0] == notebooks[plan.notebooks[0]]["n_seeds"]


def test_the_runner_adds_the_stages_a_profile_plans(tmp_path, monkeypatch):
    """``python -m modgap.tooling.runner --profile P`` with a ``sequential:`` block: the notebook's run, then its
    looks, each one more run with the stage's n_seeds (run_or_keep stands in for the kernel here)."""
    effects, seen = [30.0, 0.6], []

    def fake(notebook, out_dir, parameters=None, *a, **k):
        out_dir.mkdir(parents=True, exist_ok=True)
        n = parameters["n_seeds"]
        seen.append((out_dir.name, n))
        _claims(n, effects).to_csv(out_dir / "claims.csv", index=False)
        (out_dir / runner.RECORD).write_text(json.dumps({"seconds": 1.0, "fingerprint": f"n{n}"}))
        return out_dir / Path(notebook).name, False

    monkeypatch.setattr(runner, "run_or_keep", fake)
    monkeypatch.setattr(runner, "print_reference_comparison", lambda *a, **k: None)
    monkeypatch.setattr(runner, "gather_results", lambda *a, **k: None)
    monkeypatch.delenv("MODGAP_SMOKE", raising=False)
    profile = tmp_path / "p.yaml"
    profile.write_text("sequential: {stages: [4, 8, 12], budget_minutes: 5, notebooks: [05_closing_the_gap]}\n"
                       "notebooks:\n  05_closing_the_gap: {n_seeds: 4}\n")
    nb = Path(runner.NOTEBOOK_DIR) / "05_closing_the_gap.ipynb"
    assert runner.main(["--profile", str(profile), "--runs-dir", str(tmp_path / "runs"), str(nb)]) == 0
    assert seen == [("05_closing_the_gap", 4), ("05_closing_the_gap-8seeds", 8), ("05_closing_the_gap-12seeds", 12)]
    assert (tmp_path / "runs" / "sequential" / "05_closing_the_gap.csv").exists()
    # -p n_seeds on the command line is a run of its own: no stages
    seen.clear()
    assert runner.main(["--profile", str(profile), "--runs-dir", str(tmp_path / "runs"), "-p", "n_seeds", "3",
                        str(nb)]) == 0
    assert seen == [("05_closing_the_gap", 3)]
