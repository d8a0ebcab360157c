"""Claims as records: what a paper says, the statistic that tests it, the estimate, and the verdict.

A claim has a stable ``id`` (``c5.clustering.tau-0.01``: notebook, family, setting), a ``family`` (the same
claim of one paper across tasks, baselines or regimes: by default the first two parts of the id), the source
paper, the statement in words, the statistic, the estimate with its interval, the test (``>``, ``<``,
``within``) with its margin fixed before the run, and where a reader sees it. The ledger (notebook 07,
``modgap.tooling.ledger``) joins runs on ids, never on the prose, so a reworded claim keeps its history.

**Verdicts** (``modgap.metrics.uncertainty.verdict``): *reproduced* — the interval lies wholly where the
claim says; *not reproduced* — wholly on the other side; *no meaningful difference* — for a ``>``/``<`` claim,
two one-sided tests place the quantity within ± its family's smallest effect size of interest (SESOI) of the
margin (Lakens 2017): decided, against the claim; *inconclusive* — none of these; *too few seeds* — one
trained model cannot speak for a training procedure. Each family's SESOI and its reason are written in the
committed plan (``results/claims_plan.yaml``, ``families:``) before any run it judges; a claim takes it from there
when it is made (:func:`planned_sesoi`), so runs made before the plan had one keep their verdicts.

**Family-wise control (Holm).** A family of k claims read at 95% each calls about 0.05·k of them definite by
chance when nothing differs (03 and 04 have 20 each). Each claim's definite verdict is a test — of
"the quantity equals the margin" for ``>``/``<``, of "it lies outside ±margin" (two one-sided tests) for
``within`` — whose p-value agrees with its interval (``Estimate.p_value``). Holm's step-down (Holm 1979) keeps
the probability of any false definite verdict in a family at 5% under *any* dependence between the claims —
they share seeds and test items, so independence cannot be assumed — and is uniformly more powerful than
Bonferroni. (Benjamini–Yekutieli would control the false-discovery rate under arbitrary dependence, but
families here have 1–20 claims, where FWER is the natural promise: "no verdict of this family is spurious".)
The adjusted verdict is the raw one where the Holm-adjusted p-value stays below 5%, else inconclusive; the test
behind a *no meaningful difference* is the TOST's (``tost_p_value``).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modgap.metrics.uncertainty import LEVEL, NO_MEANINGFUL_DIFFERENCE, VERDICTS, Estimate, tost_p_value, verdict

__all__ = ["Claim", "Claims", "claim", "save_claims", "verdict_of", "VERDICTS", "verdict", "slug", "family_of",
           "decision_p_value", "holm", "adjusted_verdicts", "estimate_of_row", "sesoi_of_row", "planned_sesoi",
           "plan_families", "COLUMNS", "NIU", "LIANG", "GRASSUCCI", "GRCLIP", "PHYSICS"]

#: the papers a claim can come from (a new source: a constant here, its notes in ../shared/papers/notes.md)
NIU = "Niu et al., IEEE TIP (cmUNet/MarrNet)"
LIANG = "Liang et al., NeurIPS 2022"
GRASSUCCI = "Grassucci et al., ICLR 2026"
GRCLIP = "Li et al., 2025 (GR-CLIP, mixed-modality search)"
PHYSICS = "group theory (rule of mutual exclusion)"

#: the columns of a notebook's ``claims.csv`` (one row per claim, ``Claim.row``)
COLUMNS = ["id", "family", "claim", "source", "statistic", "value", "low", "high", "level", "n_seeds", "n_queries",
           "se", "df", "test", "margin", "where", "sesoi"]


def plan_families(plan_path=None) -> dict:
    """The ``families:`` block of the committed plan: ``{family: {"sesoi": Δ or None, "reason": …, …}}``."""
    import yaml

    from modgap.paths import REPO_ROOT

    path = plan_path or REPO_ROOT / "results" / "claims_plan.yaml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    if _PLAN_CACHE.get("key") != (str(path), stamp):
        doc = yaml.safe_load(path.read_text()) or {}
        _PLAN_CACHE.update(key=(str(path), stamp), families=doc.get("families") or {})
    return _PLAN_CACHE["families"]


_PLAN_CACHE: dict = {}


def planned_sesoi(family: str, plan_path=None) -> float | None:
    """The smallest effect size of interest the plan fixes for ``family`` (None: none planned)."""
    entry = plan_families(plan_path).get(family) or {}
    value = entry.get("sesoi")
    return None if value is None else float(value)


def slug(text: str) -> str:
    """A setting as an id part: ``"τ = 0.01"`` → ``"tau-0.01"``, ``"learned τ"`` → ``"learned-tau"``,
    ``"Raman-IR"`` → ``"raman-ir"``."""
    text = text.lower().replace("τ", "tau").replace("→", "-").replace("−", "-")
    text = re.sub(r"[^a-z0-9.]+", "-", text.replace(" = ", "-"))
    return text.strip("-.")


def family_of(claim_id: str) -> str:
    """The default family of an id: its first two parts (``c3.marrnet-beats.mmd.raman-ir`` → ``c3.marrnet-beats``)."""
    parts = claim_id.split(".")
    if len(parts) < 2 or not all(parts):
        raise ValueError(f"a claim id has at least two dot-separated parts (notebook.family[.setting]), got {claim_id!r}")
    return ".".join(parts[:2])


@dataclass(frozen=True)
class Claim(Mapping):
    """One claim of a paper, tested in one notebook run. It also reads as its ledger row (a read-only mapping of
    ``COLUMNS``: ``claim["value"]``, ``dict(claim)``, ``pandas.DataFrame(claims)``)."""

    id: str
    statement: str
    source: str
    statistic: str
    estimate: Estimate
    test: str  # ">", "<" or "within"
    margin: float = 0.0
    where: str = ""
    family: str = ""
    sesoi: float | None = None  # the family's smallest effect size of interest: from the plan unless given

    def __post_init__(self):
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-+]*", self.id):
            raise ValueError(f"claim id {self.id!r}: use lower-case letters, digits, '.', '-' and '+' only")
        if not self.family:
            object.__setattr__(self, "family", family_of(self.id))
        if self.sesoi is None and self.test in (">", "<"):
            object.__setattr__(self, "sesoi", planned_sesoi(self.family))
        verdict(self.estimate, self.test, self.margin, self.sesoi)  # a typo in the test fails here, early

    @property
    def verdict(self) -> str:
        return verdict(self.estimate, self.test, self.margin, self.sesoi)

    def __getitem__(self, key: str):
        return self.row()[key]

    def __iter__(self):
        return iter(self.row())

    def __len__(self) -> int:
        return len(COLUMNS)

    def row(self) -> dict:
        """The ledger row (``claims.csv``)."""
        e = self.estimate
        return {"id": self.id, "family": self.family, "claim": self.statement, "source": self.source,
                "statistic": self.statistic, "value": e.value, "low": e.low, "high": e.high, "level": e.level,
                "n_seeds": e.n_seeds, "n_queries": e.n_queries, "se": e.se, "df": e.df, "test": self.test,
                "margin": self.margin, "where": self.where,
                "sesoi": float("nan") if self.sesoi is None else self.sesoi}


def claim(statement: str, source: str, statistic: str, est: Estimate, test: str, margin: float = 0.0, where: str = "",
          *, id: str, family: str = "") -> Claim:  # noqa: A002 - the field is the claim's id
    """A notebook's claim (:class:`Claim`): the statement, its source paper, the statistic and its estimate, the test
    fixed before the run; its id and test are checked here, so a typo fails early."""
    return Claim(id, statement, source, statistic, est, test, margin, where, family)


def verdict_of(row) -> str:
    """The raw verdict of a claim or a ledger row (a dict or a pandas row), computed from its numbers."""
    if isinstance(row, Claim):
        return row.verdict
    get = row.get if isinstance(row, dict) else row.__getitem__
    return verdict(estimate_of_row(row), get("test"), get("margin"), sesoi_of_row(row))


def save_claims(out_dir, rows) -> Path:
    """Write ``claims.csv`` (``COLUMNS``) in a notebook's output folder, atomically; ``rows``: claims or their rows."""
    import pandas as pd

    from modgap.io import write_csv

    rows = [r.row() if isinstance(r, Claim) else r for r in rows]
    if not rows:
        raise ValueError("save_claims needs at least one claim")
    return write_csv(Path(out_dir) / "claims.csv", pd.DataFrame(rows, columns=COLUMNS))


class Claims(list):
    """A notebook's claims, in the order it made them: ``.save(out)`` writes its ``claims.csv``, ``.table()`` is what
    the notebook shows (each claim, its estimate, its test and its verdict), ``.get(id)`` finds one and
    ``.verdicts()`` counts them. A plain list otherwise (``append``, ``+=``)."""

    def save(self, out_dir):
        return save_claims(out_dir, self)

    def get(self, claim_id: str) -> Claim:
        for c in self:
            if c.id == claim_id:
                return c
        raise KeyError(f"no claim {claim_id!r}; this notebook's: {', '.join(c.id for c in self)}")

    def table(self, digits: int = 3):
        """The notebook's view: claim, estimate [95% CI], test, verdict."""
        import pandas as pd

        def test_of(c):
            return f"within ±{c.margin:g}" if c.test == "within" else f"{c.test} {c.margin:g}"

        return pd.DataFrame([{"claim": c.statement, "estimate": format(c.estimate, f".{digits}g"), "test": test_of(c),
                              "verdict": c.verdict} for c in self])

    def verdicts(self):
        import pandas as pd

        return pd.Series([c.verdict for c in self], dtype=object).value_counts()


def decision_p_value(est: Estimate, test: str, margin: float = 0.0, sesoi: float | None = None) -> float:
    """The p-value of the test behind a definite verdict (p < 1 − level exactly when the raw verdict is
    definite): for ``>``/``<`` the two-sided test of "quantity = margin", or, for *no meaningful difference*, the
    two one-sided tests against margin ± sesoi (an undecided claim gets the smaller of the two); for ``within``
    the larger of the two boundary tests when the estimate lies inside ±margin (reproduced needs both), else the
    test of the boundary it lies beyond (not reproduced)."""
    if test in (">", "<"):
        if sesoi is None or sesoi != sesoi:
            return est.p_value(margin)
        raw = verdict(est, test, margin, sesoi)
        tost = tost_p_value(est, margin - sesoi, margin + sesoi)
        if raw == NO_MEANINGFUL_DIFFERENCE:
            return tost
        return est.p_value(margin) if raw in ("reproduced", "not reproduced") else min(est.p_value(margin), tost)
    if test != "within":
        raise ValueError(f"test must be '>', '<' or 'within', got {test!r}")
    if est.value > margin:
        return est.p_value(margin)
    if est.value < -margin:
        return est.p_value(-margin)
    return max(est.p_value(margin), est.p_value(-margin))


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values: p̃_(i) = max_{j ≤ i} min(1, (k − j + 1) p_(j)) over the sorted p."""
    p = np.asarray(p_values, np.float64)
    order = np.argsort(p, kind="stable")
    k = len(p)
    adj = np.minimum(1.0, np.maximum.accumulate((k - np.arange(k)) * p[order]))
    out = np.empty(k)
    out[order] = adj
    return out


def adjusted_verdicts(rows, level: float = LEVEL) -> list[str]:
    """Holm-adjusted verdicts of ledger rows (dicts or a DataFrame with ``family``, ``value``, ``low``,
    ``high``, ``level``, ``n_seeds``, ``test``, ``margin`` and, where known, ``se``/``df``), in their order.
    Claims with too few seeds keep that verdict and do not count in their family's k."""
    import pandas as pd

    t = pd.DataFrame(rows).reset_index(drop=True)
    ests = [estimate_of_row(r) for _, r in t.iterrows()]
    sesois = [sesoi_of_row(r) for _, r in t.iterrows()]
    raw = [verdict(e, r.test, r.margin, d) for e, d, (_, r) in zip(ests, sesois, t.iterrows())]
    out = list(raw)
    for _, idx in t.groupby("family", sort=False).groups.items():
        idx = [i for i in idx if raw[i] != "too few seeds"]
        if not idx:
            continue
        p = holm([decision_p_value(ests[i], t.test[i], t.margin[i], sesois[i]) for i in idx])
        for i, pi in zip(idx, p):
            out[i] = raw[i] if pi < 1 - level else "inconclusive"
    return out


def sesoi_of_row(r) -> float | None:
    """A ledger row's SESOI (None where the row has none: a ``within`` claim, or a run made before its family had
    one in the plan)."""
    get = r.get if isinstance(r, dict) else (lambda k, d=None: r[k] if k in r.index else d)
    value = get("sesoi", None)
    return None if value is None or value != value else float(value)


def estimate_of_row(r) -> Estimate:
    """The Estimate of one ledger row (a dict or a pandas row; ``se``/``df`` where the row has them)."""
    get = r.get if isinstance(r, dict) else (lambda k, d=None: r[k] if k in r.index else d)
    se, df = get("se", float("nan")), get("df", float("inf"))
    return Estimate(float(get("value")), float(get("low")), float(get("high")), float(get("level", LEVEL)),
                    int(get("n_seeds", 0)), int(get("n_queries", 0)),
                    float("nan") if se is None or se != se else float(se), float("nan") if df != df else float(df))
