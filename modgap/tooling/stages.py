"""Seeds where a family needs them: the runner's side of :mod:`modgap.metrics.sequential`.

A profile may say, beside its notebooks::

    sequential:
      stages: [5, 10, 15]          # seed counts at the looks; the first is the notebook's n_seeds in the profile
      budget_minutes: 45           # the added stages of one notebook stop before they would pass this
      notebooks: [05_closing_the_gap]

After such a notebook has run with the profile's seeds (look 1), its claims are judged by the group-sequential rule
(O'Brien–Fleming-type error spending, Holm within each family at each look). While a family has undecided claims
and the budget allows, the notebook runs again with the next stage's seeds into
``<runs>/sequential/<notebook>-<n>seeds/`` (the models it already trained are linked in, not retrained) and the
undecided claims are looked at again; a decided claim keeps the verdict of the look that decided it. The outcome
goes to ``<runs>/sequential/<notebook>.csv``, one row per claim: its verdict, the look and seeds that gave it, its
estimate read at that look's level, and the fingerprint of the run it started from; the ledger
(:func:`modgap.tooling.ledger.gather_claims`) takes these verdicts in place of the fixed-seed ones while that
fingerprint is still the notebook's run.

Seeds are added per notebook: every method of a notebook gets the new seeds, though only the undecided families
are judged again (a finer split, seeds for the methods a family compares only, is not made yet).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from modgap.parameters import ParameterError

FOLDER = "sequential"


@dataclass(frozen=True)
class SeedStages:
    """A profile's ``sequential:`` block."""

    stages: tuple[int, ...]
    budget_minutes: float
    notebooks: tuple[str, ...]


def seed_stages(doc: dict, where: str, notebooks: dict) -> SeedStages | None:
    """The ``sequential:`` block of a profile document, checked (None when there is none). ``notebooks`` is the
    profile's notebook settings: a staged notebook must be in it, with ``n_seeds`` equal to the first stage."""
    block = doc.get("sequential")
    if block is None:
        return None
    if not isinstance(block, dict):
        raise ParameterError(f"{where}: 'sequential:' must be a mapping with stages, budget_minutes and notebooks, "
                             f"got {block!r}")
    unknown = sorted(set(block) - {"stages", "budget_minutes", "notebooks"})
    if unknown:
        raise ParameterError(f"{where}: unknown key(s) {', '.join(unknown)} under 'sequential:' "
                             "(known: stages, budget_minutes, notebooks)")
    stages = block.get("stages")
    if (not isinstance(stages, list) or len(stages) < 2 or not all(isinstance(n, int) and not isinstance(n, bool)
                                                                  for n in stages)
            or stages[0] < 2 or any(b <= a for a, b in zip(stages, stages[1:]))):
        raise ParameterError(f"{where}: sequential.stages must be at least two increasing seed counts of 2 or more "
                             f"(e.g. [5, 10, 15]), got {stages!r}")
    budget = block.get("budget_minutes")
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0:
        raise ParameterError(f"{where}: sequential.budget_minutes must be a positive number of minutes, got {budget!r}")
    names = block.get("notebooks")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ParameterError(f"{where}: sequential.notebooks must list notebooks by name, got {names!r}")
    for name in names:
        if name not in notebooks:
            raise ParameterError(f"{where}: sequential.notebooks names {name!r}, which the profile does not run "
                                 "(add it under 'notebooks:' with n_seeds equal to the first stage)")
        if notebooks[name].get("n_seeds") != stages[0]:
            raise ParameterError(f"{where}: {name} runs with n_seeds {notebooks[name].get('n_seeds')!r} but "
                                 f"sequential.stages starts at {stages[0]}: the first look is the profile's run")
    return SeedStages(tuple(stages), float(budget), tuple(names))


def _estimate(row):
    from modgap.metrics.uncertainty import Estimate

    return Estimate(float(row["value"]), float(row["low"]), float(row["high"]), float(row["level"]),
                    int(row["n_seeds"]), int(row["n_queries"]), float(row["se"]), float(row["df"]))


def judge_looks(tables: list, stages) -> pd.DataFrame:  # noqa: F821
    """The sequential outcome of every claim of ``tables[0]``, from the claims tables of the looks made so far (one
    per stage, in order): ``id, family, verdict, look (1-based; 0: undecided), n_seeds, value, low, high, level,
    se, df``. The error is spent over all of ``stages`` (:func:`modgap.metrics.sequential.sequential_family`); a
    claim still undecided after the last table given is "inconclusive" with its last look's estimate."""
    import math

    import pandas as pd

    from modgap.claims import family_of
    from modgap.metrics.sequential import sequential_family

    stages = list(stages)
    if not 1 <= len(tables) <= len(stages):
        raise ValueError(f"{len(tables)} claims tables for {len(stages)} stages")
    first = tables[0]
    by_id = [t.set_index("id") for t in tables]
    rows = []
    for family, claims in first.groupby(first["id"].map(family_of), sort=False):
        ids = list(claims["id"])
        sesois = [None if s is None or (isinstance(s, float) and math.isnan(s)) else float(s)
                  for s in (claims["sesoi"] if "sesoi" in claims else [None] * len(ids))]
        outcomes = sequential_family(lambda i, n, ids=ids: _estimate(by_id[stages.index(n)].loc[ids[i]]), len(ids),
                                     stages, list(claims["test"]), [float(m) for m in claims["margin"]], sesois,
                                     looks=len(tables))
        for claim_id, o in zip(ids, outcomes):
            e = o.estimate
            rows.append({"id": claim_id, "family": family, "verdict": o.verdict,
                         "look": 0 if o.look is None else o.look + 1, "n_seeds": e.n_seeds, "value": e.value,
                         "low": e.low, "high": e.high, "level": e.level, "se": e.se, "df": e.df})
    return pd.DataFrame(rows)


def stage_folder(runs: Path, name: str, n_seeds: int) -> Path:
    return Path(runs) / FOLDER / f"{name}-{n_seeds}seeds"


def outcome_file(runs: Path, name: str) -> Path:
    return Path(runs) / FOLDER / f"{name}.csv"


def _link_checkpoints(previous: Path, folder: Path) -> int:
    """Hard-link (else copy) the checkpoints a previous look's run left under ``previous/checkpoints`` into
    ``folder/checkpoints``, so the next run loads its first seeds instead of training them again."""
    import shutil

    src = previous / "checkpoints"
    if not src.is_dir():
        return 0
    linked = 0
    for f in src.rglob("*"):
        target = folder / "checkpoints" / f.relative_to(src)
        if f.is_file() and not f.is_symlink() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, target)
            except OSError:
                shutil.copy2(f, target)
            linked += 1
    return linked


def add_seeds(notebook: Path, runs: Path, parameters: dict, plan: SeedStages, run, base: Path, say=print) -> Path:
    """After ``notebook``'s run into ``base`` (the first look), add seeds by ``plan``'s stages while a claim of it is
    undecided and the budget allows; ``run(notebook, folder, parameters)`` runs (or keeps) one stage and returns
    ``(executed notebook's path, kept)`` (:func:`modgap.tooling.runner.run_or_keep`). Writes and returns
    ``<runs>/sequential/<notebook>.csv``."""
    import json

    import pandas as pd

    from modgap.io import write_csv
    from modgap.paths import RUN_RECORD as RECORD

    name = Path(notebook).stem
    folders, tables = [base], [pd.read_csv(base / "claims.csv")]
    budget, spent = plan.budget_minutes * 60, 0.0
    outcome = judge_looks(tables, plan.stages)
    for k, n in enumerate(plan.stages[1:], start=1):
        open_families = sorted(outcome.loc[outcome.verdict == "inconclusive", "family"].unique())
        if not open_families:
            say(f"[modgap] {name}: every claim decided at {plan.stages[k - 1]} seeds")
            break
        last = json.loads((folders[-1] / RECORD).read_text())
        cost = float(last.get("seconds", 0.0)) * (n - plan.stages[k - 1]) / plan.stages[k - 1]
        if spent + cost > budget:
            say(f"[modgap] {name}: {len(open_families)} famil{'y' if len(open_families) == 1 else 'ies'} undecided "
                f"({', '.join(open_families)}); {n} seeds would take about {cost / 60:.0f} min more, past the budget of "
                f"{plan.budget_minutes:g} min ({spent / 60:.0f} min spent): stopped at {plan.stages[k - 1]} seeds")
            break
        folder = stage_folder(runs, name, n)
        folder.mkdir(parents=True, exist_ok=True)
        _link_checkpoints(folders[-1], folder)
        say(f"[modgap] {name}: {', '.join(open_families)} undecided at {plan.stages[k - 1]} seeds: look {k + 1} "
            f"with {n} seeds -> {folder}")
        executed, _ = run(notebook, folder, {**parameters, "n_seeds": n})
        folder = Path(executed).parent
        folders.append(folder)
        tables.append(pd.read_csv(folder / "claims.csv"))
        spent += float(json.loads((folder / RECORD).read_text()).get("seconds", 0.0))
        outcome = judge_looks(tables, plan.stages)
    fp = json.loads((base / RECORD).read_text()).get("fingerprint")
    outcome = outcome.assign(stages="/".join(map(str, plan.stages)), looks_made=len(tables), base_fingerprint=fp)
    path = outcome_file(runs, name)
    write_csv(path, outcome)
    decided = int((outcome.verdict != "inconclusive").sum())
    say(f"[modgap] {name}: {decided} of {len(outcome)} claims decided after {len(tables)} look(s) "
        f"({plan.stages[len(tables) - 1]} seeds at most) -> {path}")
    return path


def sequential_outcome(runs: Path, name: str, base: Path):
    """The sequential verdicts of ``name``'s claims under ``runs`` (``add_seeds``), or None when there are none or
    they were made from another run than the one now in ``base`` (its fingerprint changed since)."""
    import json

    import pandas as pd

    from modgap.paths import RUN_RECORD as RECORD

    path = outcome_file(runs, name)
    record = Path(base) / RECORD
    if not path.exists() or not record.exists():
        return None
    table = pd.read_csv(path)
    if table.empty or str(table["base_fingerprint"].iloc[0]) != str(json.loads(record.read_text()).get("fingerprint")):
        return None
    return table


def load_seed_stages(profile: str, notebooks: dict) -> SeedStages | None:
    """The ``sequential:`` block of ``profiles/<profile>.yaml``, checked against its ``notebooks`` (None if none)."""
    from modgap.parameters import _profile_document

    return seed_stages(_profile_document(profile), f"profile {profile!r}", notebooks)
