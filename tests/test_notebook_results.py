"""A test per notebook (in the manner of PySDM's test_tests_completeness.py): every numbered notebook, run in smoke
mode by the runner as `make smoke` runs it, leaves the results it should — its claims with planned ids and finite
numbers, its tables — and a notebook added without an entry in ``EXPECTED`` fails ``test_every_notebook_has_a_test``.
nbval checks that the notebooks run; these check what they computed."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from modgap.paths import REPO_ROOT

NOTEBOOKS = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PLAN = {c["id"]: c for c in yaml.safe_load((REPO_ROOT / "results" / "claims_plan.yaml").read_text())["claims"]}


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    """Every notebook in smoke mode through the runner, into a runs folder of this module's own."""
    runs = tmp_path_factory.mktemp("runs")
    env = {**os.environ, "MODGAP_SMOKE": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-m", "modgap.tooling.runner", "--smoke", "--runs-dir", str(runs),
                           *(str(REPO_ROOT / "notebooks" / f"{n}.ipynb") for n in NOTEBOOKS)],
                          cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return runs


def _claims(runs, name) -> pd.DataFrame:
    table = pd.read_csv(runs / f"{name}-smoke" / "claims.csv")
    assert len(table), name
    for r in table.itertuples():
        assert r.id in PLAN and PLAN[r.id]["notebook"] == name, r.id  # every claim is planned, for this notebook
        assert PLAN[r.id]["test"] == r.test and float(PLAN[r.id]["margin"]) == float(r.margin), r.id
        assert all(math.isfinite(v) for v in (r.value, r.low, r.high)) and r.low <= r.high, r.id
    return table


def _results(runs, name) -> pd.DataFrame:
    table = pd.read_csv(runs / f"{name}-smoke" / "results.csv")
    assert len(table), name
    return table


def _quickstart(runs):
    assert len(_results(runs, "00_quickstart"))


def _data_prep(runs):
    assert set(_claims(runs, "01_data_prep").id) == {"c1.mutual-exclusion"}
    gaps = _results(runs, "01_data_prep")
    assert len(gaps)


def _cmunet(runs):
    ids = set(_claims(runs, "02_cmunet").id)
    assert {i.split(".")[1] for i in ids} == {"indistinguishable", "identity"}


def _marrnet(runs):
    claims = _claims(runs, "03_marrnet_vs_baselines")
    assert claims.id.str.startswith("c3.marrnet-beats.").all()
    assert {i.split(".")[2] for i in claims.id} == {"siamese", "mmd", "dann", "transfer"}  # every baseline


def _occlusion(runs):
    claims = _claims(runs, "04_occlusion")
    assert "c4.gap-tracks-robustness" in set(claims.id) and claims.id.str.startswith("c4.better-under-occlusion.").sum() >= 4


def _closing(runs):
    families = {".".join(i.split(".")[:2]) for i in _claims(runs, "05_closing_the_gap").id}
    assert families == {"c5.gap", "c5.retrieval-flat", "c5.clustering"}


def _anatomy(runs):
    assert set(_claims(runs, "06_anatomy_of_the_gap").id) == {"c6.cone", "c6.gap-vs-temperature"}


def _ledger(runs):
    ledger = pd.read_csv(runs / "07_claims-smoke" / "ledger.csv")
    others = pd.concat([pd.read_csv(p) for p in runs.glob("0[1-9]_*-smoke/claims.csv")
                        if not p.parent.name.startswith("07")])
    assert set(ledger.id) == set(others.id)  # 07 gathered every other notebook's claims, no more
    assert ledger.verdict_adjusted.notna().all()


def _connecting(runs):
    families = {".".join(i.split(".")[:2]) for i in _claims(runs, "08_connecting_the_lines").id}
    assert {"c8.matcher-gap", "c8.closing-robust"} <= families


def _real_models(runs):
    families = {".".join(i.split(".")[:2]) for i in _claims(runs, "09_real_models").id}
    assert {"c9.gap-trained", "c9.heads", "c9.heads-vs-frozen", "c9.mixed-search", "c9.shift-minimum"} <= families


EXPECTED = {"00_quickstart": _quickstart, "01_data_prep": _data_prep, "02_cmunet": _cmunet,
            "03_marrnet_vs_baselines": _marrnet, "04_occlusion": _occlusion, "05_closing_the_gap": _closing,
            "06_anatomy_of_the_gap": _anatomy, "07_claims": _ledger, "08_connecting_the_lines": _connecting,
            "09_real_models": _real_models}


def test_every_notebook_has_a_test():
    assert sorted(EXPECTED) == NOTEBOOKS, "a notebook without a results test (add it to EXPECTED), or a stale entry"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_leaves_the_results_it_should(name, smoke_runs):
    EXPECTED[name](smoke_runs)
