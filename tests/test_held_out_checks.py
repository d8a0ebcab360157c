"""The decision rule of the held-out speed check (results/held_out/precision.py) on made-up runs with a known truth."""
import importlib.util

import numpy as np
import pandas as pd
import pytest

from modgap.paths import REPO_ROOT


def _script():
    spec = importlib.util.spec_from_file_location("held_out_precision", REPO_ROOT / "results" / "held_out" / "precision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _runs(shift: float, seconds: float, seed=0) -> pd.DataFrame:
    """Five seeds × two tasks × two methods; the candidate's rank-1 is the base's + ``shift`` + noise (SD 1)."""
    rng = np.random.default_rng(seed)
    rows = []
    for task in ("Raman-IR", "photo-sketch"):
        for method in ("siamese", "marrnet"):
            for s in range(5):
                base = rng.normal(40, 4)  # seed-to-seed spread, shared by both protocols of a seed
                rows.append(dict(protocol="as now", task=task, method=method, seed=s, rank1=base, train_s=10.0))
                rows.append(dict(protocol="bf16", task=task, method=method, seed=s,
                                 rank1=base + shift + rng.normal(0, 1), train_s=seconds))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("shift, seconds, within, adopt", [(0.0, 8.0, True, True), (0.0, 9.5, True, False),
                                                            (-5.0, 8.0, False, False)])
def test_a_candidate_is_adopted_only_within_noise_and_faster(shift, seconds, within, adopt):
    out = _script().summary(_runs(shift, seconds), "bf16")
    assert out["within_noise"] is within and out["adopt"] is adopt
    assert out["d_low"] < shift < out["d_high"]  # the interval covers the true shift here
    assert out["speed"] == pytest.approx({"images": 10 / seconds, "spectra": 10 / seconds})
    assert set(out["per_task"]) == {"Raman-IR", "photo-sketch"}
