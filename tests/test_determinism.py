"""Deterministic reruns: the same notebook run twice from scratch (models trained anew, into separate folders)
gives identical tables. In smoke mode for 03 (the matching methods) and 05 (the two towers)."""
import pandas as pd
import pytest

from modgap.paths import REPO_ROOT
from modgap.tooling.runner import run_notebook

# 03 on one spectra task and one image task (both kinds of model, half the time of all five)
CASES = {"03_marrnet_vs_baselines": lambda d: {"models_dir": str(d / "models"), "output_dir": str(d / "out"),
                                              "tasks": ["Raman-IR", "visible-thermal"]},
         "05_closing_the_gap": lambda d: {"output_dir": str(d / "out")}}  # 05 keeps its models in its output folder
TIMING = ["train_s", "loaded"]  # wall-clock seconds and whether a model was loaded: not results


@pytest.mark.parametrize("name", list(CASES))
def test_two_runs_from_scratch_give_identical_tables(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_SMOKE", "1")
    tables = []
    for run in ("a", "b"):
        params = CASES[name](tmp_path / run)
        run_notebook(REPO_ROOT / "notebooks" / f"{name}.ipynb", tmp_path / run / "out", params)
        out = tmp_path / run / "out-smoke"
        tables.append({f: pd.read_csv(out / f).drop(columns=TIMING, errors="ignore")
                       for f in ("results.csv", "per_seed.csv", "intervals.csv", "claims.csv")})
    for f in tables[0]:
        pd.testing.assert_frame_equal(tables[0][f], tables[1][f], check_exact=True, obj=f"{name}/{f}")
