"""The claims ledger: every notebook states the papers' claims it tests as rows of ``claims.csv`` — the
statistic, its estimate and interval, and the test that decides the claim — and notebook 07 gathers them
and computes every verdict from those numbers (``modgap.metrics.uncertainty.verdict``). Nothing in the
ledger is typed by hand except the claims themselves.

A row: ``claim`` (the paper's claim, in words), ``source`` (which paper), ``statistic`` (what was measured,
with its units), ``value``, ``low``, ``high``, ``level`` (the interval), ``n_seeds``, ``n_queries``,
``test`` and ``margin`` (the claim holds when the statistic is ``> margin``, ``< margin`` or ``within ±margin``,
fixed before the run), ``where`` (the notebook figure or table that shows it).
"""
from __future__ import annotations

from pathlib import Path

from modgap.metrics.uncertainty import Estimate, verdict

COLUMNS = ["claim", "source", "statistic", "value", "low", "high", "level", "n_seeds", "n_queries", "test",
           "margin", "where"]
NIU = "Niu et al., IEEE TIP (cmUNet/MarrNet)"
LIANG = "Liang et al., NeurIPS 2022"
GRASSUCCI = "Grassucci et al., ICLR 2026"
PHYSICS = "group theory (rule of mutual exclusion)"


def claim(claim: str, source: str, statistic: str, est: Estimate, test: str, margin: float = 0.0, where: str = "") -> dict:
    """One ledger row; ``verdict(est, test, margin)`` must accept it (checked here, so a typo fails early)."""
    verdict(est, test, margin)
    return {"claim": claim, "source": source, "statistic": statistic, "value": est.value, "low": est.low,
            "high": est.high, "level": est.level, "n_seeds": est.n_seeds, "n_queries": est.n_queries,
            "test": test, "margin": margin, "where": where}


def verdict_of(row) -> str:
    """The verdict of one ledger row (a dict or a pandas row), computed from its numbers."""
    get = row.get if isinstance(row, dict) else row.__getitem__
    return verdict(Estimate(get("value"), get("low"), get("high"), get("level")), get("test"), get("margin"))


def save_claims(out_dir, rows: list[dict]) -> Path:
    """Write ``claims.csv`` in a notebook's output folder (atomically)."""
    import pandas as pd

    from modgap.io import write_csv

    if not rows:
        raise ValueError("save_claims needs at least one claim")
    return write_csv(Path(out_dir) / "claims.csv", pd.DataFrame(rows, columns=COLUMNS))


def gather_claims(runs_dir, notebooks: list[str], smoke: bool = False):
    """Every claim of ``notebooks`` (names such as ``03_marrnet_vs_baselines``) from their folders under
    ``runs_dir``, with a ``notebook`` column and the ``verdict`` computed from the numbers; notebooks that
    have not run (or wrote no claims) are listed in ``missing``. Returns ``(table, missing)``."""
    import pandas as pd

    frames, missing = [], []
    for name in notebooks:
        csv = Path(runs_dir) / (name + ("-smoke" if smoke else "")) / "claims.csv"
        if not csv.exists():
            missing.append(name)
            continue
        df = pd.read_csv(csv)
        df.insert(0, "notebook", name)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["notebook", *COLUMNS, "verdict"]), missing
    table = pd.concat(frames, ignore_index=True)
    table["verdict"] = [verdict_of(r) for _, r in table.iterrows()]
    return table, missing
