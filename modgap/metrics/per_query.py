"""Per-query results: the one table every interval of both tracks is computed from.

A run's results are kept per *query* — a probe of the matching track, a test pair of the contrastive track — for
every stratum t (a task; ``""`` when there is one test set), method m and model seed s: ``PerQuery[t, m, s]``
holds columns whose first axis is the query (a rank-1 hit, an average precision, an occlusion AUC, a row of
embeddings, a cluster label). Every interval is then one of

    θ(m, t)         = mean_s  f(cell[t, m, s], q = all)                          one method
    Δ(m, r, T)      = mean_{t∈T} mean_s [ f(cell[t, m, s]) − f(cell[t, r, s]) ]  paired, pooled over strata T

with f a column's mean over the queries (``"rank1"``) or any function ``f(cell, q) -> float`` of the resampled
queries q (a centroid gap, a V-Measure, a share of a score kept), and the t-calibrated hierarchical bootstrap of
``modgap.metrics.uncertainty``: model seeds at the top (a seed brings every method, task and query of its run,
so the pairing holds), queries resampled within each stratum. A column mean on one stratum has an exact interval
(``bootstrap_mean``); anything else is drawn ``n_boot`` times (``bootstrap_stratified``).

Statistics across *models* rather than queries — a correlation between each model's gap and its robustness —
resample the seeds too (``across_models``): the models of one seed share its data and its draw, so they are
never counted as independent units.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

import numpy as np

from modgap.metrics.uncertainty import Estimate, bootstrap_mean, bootstrap_stratified

#: a column name (its mean over the queries) or ``f(cell, q) -> float`` on a cell's columns and query indices q
Statistic = str | Callable[[Mapping[str, np.ndarray], np.ndarray], float]


def _as_function(statistic: Statistic):
    if isinstance(statistic, str):
        return lambda cell, q: float(cell[statistic][q].mean())
    if callable(statistic):
        return statistic
    raise TypeError(f"a statistic is a column name or a function f(cell, q), got {statistic!r}")


class PerQuery:
    """Per-query columns of every (stratum, method, seed) of a run; see the module docstring.

    >>> r = PerQuery()
    >>> r.add("Raman-IR", "marrnet", 0, rank1=np.array([1., 0., 1.]))
    """

    def __init__(self):
        self._cells: dict[tuple[Hashable, Hashable, int], dict[str, np.ndarray]] = {}

    def add(self, stratum: Hashable, method: Hashable, seed: int, **columns) -> None:
        """The columns of one model (``method``, ``seed``) on the test queries of ``stratum``: arrays whose first
        axis is the query, the same length for every column, method and seed of the stratum."""
        if not columns:
            raise ValueError("add needs at least one column")
        cols = {k: np.asarray(v) for k, v in columns.items()}
        sizes = {k: (len(v) if v.ndim else -1) for k, v in cols.items()}
        if len(set(sizes.values())) != 1 or -1 in sizes.values():
            raise ValueError(f"every column needs one row per query: lengths {sizes} ({stratum}, {method}, seed {seed})")
        n = next(iter(sizes.values()))
        if self._cells and stratum in self.strata and n != self.n_queries(stratum):
            raise ValueError(f"stratum {stratum!r} has {self.n_queries(stratum)} queries per model, got {n} "
                             f"({method}, seed {seed}): a stratum's models are tested on the same number of queries")
        if (stratum, method, seed) in self._cells:
            raise ValueError(f"({stratum!r}, {method!r}, seed {seed}) was added already")
        self._cells[stratum, method, int(seed)] = cols

    def __getitem__(self, key) -> dict[str, np.ndarray]:
        if key not in self._cells:
            raise KeyError(f"no results for {key!r}; have strata {self.strata}, methods {self.methods}, seeds {self.seeds}")
        return self._cells[key]

    def __contains__(self, key) -> bool:
        return key in self._cells

    def __len__(self) -> int:
        return len(self._cells)

    def _unique(self, i: int) -> list:
        return list(dict.fromkeys(k[i] for k in self._cells))

    @property
    def strata(self) -> list:
        return self._unique(0)

    @property
    def methods(self) -> list:
        return self._unique(1)

    @property
    def seeds(self) -> list[int]:
        return self._unique(2)

    def n_queries(self, stratum: Hashable) -> int:
        """How many queries each model of ``stratum`` was tested on."""
        cell = next((c for (t, _, _), c in self._cells.items() if t == stratum), None)
        if cell is None:
            raise KeyError(f"no stratum {stratum!r}; have {self.strata}")
        return len(next(iter(cell.values())))

    def units(self, stratum: Hashable, method: Hashable, column: str) -> np.ndarray:
        """(seeds, queries, …) one column of one method on one stratum, seeds in the order they were added."""
        return np.stack([self[stratum, method, s][column] for s in self.seeds])

    def value(self, statistic: Statistic, stratum: Hashable, method: Hashable, seed: int) -> float:
        """``statistic`` of one model on all its queries."""
        cell = self[stratum, method, seed]
        return _as_function(statistic)(cell, np.arange(self.n_queries(stratum)))

    def estimate(self, statistic: Statistic, method: Hashable, reference: Hashable | None = None, strata=None,
                 n_boot: int = 1000, seed: int = 0) -> Estimate:
        """θ of ``method`` or, with ``reference``, the paired difference method − reference, averaged over
        ``strata`` (every stratum by default; a single one may be given bare) and the seeds, with its interval."""
        strata = self.strata if strata is None else list(strata) if isinstance(strata, list | tuple) else [strata]
        seeds = self.seeds
        for t in strata:
            for m in [method] + ([reference] if reference is not None else []):
                missing = [s for s in seeds if (t, m, s) not in self._cells]
                if missing:
                    raise KeyError(f"no results for {m!r} on {t!r} at seed(s) {missing}: every seed needs every method "
                                   "and stratum for a paired interval")
        if isinstance(statistic, str) and len(strata) == 1:  # a mean on one stratum: the exact interval
            t = strata[0]
            ref = self.units(t, reference, statistic) if reference is not None else None
            return bootstrap_mean(self.units(t, method, statistic), ref, n_boot, seed=seed)
        f = _as_function(statistic)
        cells = [[self._cells[t, method, s] for s in seeds] for t in strata]
        refs = [[self._cells[t, reference, s] for s in seeds] for t in strata] if reference is not None else None

        def theta(s_idx, q_idx):
            if refs is None:
                return float(np.mean([np.mean([f(cells[j][i], q) for i in s_idx]) for j, q in enumerate(q_idx)]))
            return float(np.mean([np.mean([f(cells[j][i], q) - f(refs[j][i], q) for i in s_idx])
                                  for j, q in enumerate(q_idx)]))

        return bootstrap_stratified(theta, len(seeds), [self.n_queries(t) for t in strata], n_boot, seed=seed)

    def check_paired(self, method: Hashable, reference: Hashable, column: str = "labels", stratum: Hashable = "") -> None:
        """Raise unless each seed tested ``method`` and ``reference`` on the same queries (equal ``column``, e.g.
        the test pairs' classes: with data drawn per seed, a mix-up of seeds would pair different test sets)."""
        for s in self.seeds:
            a, b = (stratum, method, s), (stratum, reference, s)
            if a in self and b in self and not np.array_equal(self[a][column], self[b][column]):
                raise ValueError(f"a paired comparison needs each seed's two models tested on the same pairs "
                                 f"(the {column} of {method!r} and {reference!r} differ at seed {s})")

    def across_models(self, statistic: Callable[[list[Mapping[str, np.ndarray]], np.ndarray], float],
                      stratum: Hashable = "", methods=None, n_boot: int = 1000, seed: int = 0) -> Estimate:
        """Interval of a statistic over models, ``statistic(cells, q) -> float`` on the models of the drawn seeds
        (every method of a seed, in seed order, each seed's methods in ``methods`` order) and the drawn queries
        q. The seeds are the top level — a seed brings all its models — and the queries are resampled within; the
        Estimate counts seeds, not models."""
        methods = self.methods if methods is None else list(methods)
        seeds = self.seeds
        cells = [[self[stratum, m, s] for m in methods] for s in seeds]
        return bootstrap_stratified(lambda s_idx, q_idx: statistic([c for i in s_idx for c in cells[i]], q_idx[0]),
                                    len(seeds), [self.n_queries(stratum)], n_boot, seed=seed)
