"""The claims ledger: every notebook states the papers' claims it tests as rows of ``claims.csv`` — the
statistic, its estimate and interval, and the test that decides the claim — and notebook 07 gathers them
and computes every verdict from those numbers (``modgap.metrics.uncertainty.verdict``). Nothing in the
ledger is typed by hand except the claims themselves.

A row is a :class:`modgap.claims.Claim`: ``id`` and ``family`` (stable keys: runs are joined on the id),
``claim`` (the paper's claim, in words), ``source`` (which paper), ``statistic`` (what was measured, with its
units), ``value``, ``low``, ``high``, ``level`` (the interval), ``n_seeds``, ``n_queries``, ``se``/``df`` (of a
t-interval), ``test`` and ``margin`` (the claim holds when the statistic is ``> margin``, ``< margin`` or
``within ±margin``, fixed before the run), ``where`` (the notebook figure or table that shows it). Verdicts are
given raw and Holm-adjusted within each family (``modgap.claims``).
"""
from __future__ import annotations

from pathlib import Path

from modgap.claims import COLUMNS, adjusted_verdicts, planned_sesoi, verdict_of
from modgap.metrics.uncertainty import VERDICTS
from modgap.tooling.stages import sequential_outcome


def claims_folders(runs_dir, notebooks: list[str], smoke: bool = False, search: bool = False) -> dict[str, Path]:
    """Where each notebook of ``notebooks`` wrote its claims under ``runs_dir``: its own folder
    (``runs_dir/<name>``, ``-smoke`` in smoke mode) when it holds a ``claims.csv``; with ``search``, else any
    ``claims.csv`` below ``runs_dir`` whose claim ids are that notebook's (``c3.…`` for ``03_…``) — a run placed
    with ``-p output_dir`` is found too; among several, the newest. Without ``search`` nothing else is read, so a
    profile's ledger never takes a missing notebook's claims from another profile's run below it (``runs/full/``
    under ``runs/``). Notebooks with no claims found are left out."""
    import pandas as pd

    runs_dir = Path(runs_dir)
    found = {}
    for name in notebooks:
        own = runs_dir / (name + ("-smoke" if smoke else "")) / "claims.csv"
        if own.exists():
            found[name] = own.parent
    wanted = {int(n[:2]): n for n in notebooks if n not in found and n[:2].isdigit()}
    if not search or not wanted or not runs_dir.is_dir():
        return found
    claimed = {p.parent for p in found.values()}
    for csv in sorted(runs_dir.rglob("claims.csv"), key=lambda p: p.stat().st_mtime, reverse=True):
        folder = csv.parent
        if folder in claimed or "failed-run" in csv.parts or folder.name.endswith("-smoke") != smoke:
            continue
        try:
            ids = pd.read_csv(csv, usecols=["id"]).id.astype(str)
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue  # not a claims table of this project
        numbers = {i.split(".")[0][1:] for i in ids}
        if len(numbers) == 1 and (n := numbers.pop()).isdigit() and int(n) in wanted and wanted[int(n)] not in found:
            found[wanted[int(n)]] = folder
            claimed.add(folder)
    return found


def gather_claims(runs_dir, notebooks: list[str], smoke: bool = False, search: bool = False):
    """Every claim of ``notebooks`` (names such as ``03_marrnet_vs_baselines``) from their folders under
    ``runs_dir`` (``claims_folders``: a notebook's own folder, or with ``search`` one placed with ``-p output_dir``
    below ``runs_dir``), with a ``notebook`` and a ``folder`` column and the ``verdict`` computed from the numbers;
    notebooks that have not run (or wrote no claims) are listed in ``missing``. Returns ``(table, missing)``."""
    import pandas as pd

    frames, missing = [], []
    folders = claims_folders(runs_dir, notebooks, smoke, search)
    for name in notebooks:
        if name not in folders:
            own = Path(runs_dir) / (name + ("-smoke" if smoke else ""))
            if not (own / "run.json").exists() and not (own / f"{name}.ipynb").exists():
                missing.append(name)  # a notebook that ran and tests no claim (00) is not missing
            continue
        df = pd.read_csv(folders[name] / "claims.csv")
        df = with_sequential(df, sequential_outcome(runs_dir, name, folders[name]))
        df.insert(0, "notebook", name)
        df["folder"] = str(folders[name])
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["notebook", *COLUMNS, "folder", "verdict", "verdict_adjusted"]), missing
    table = pd.concat(frames, ignore_index=True)
    table["verdict"] = [verdict_of(r) for _, r in table.iterrows()]
    table["verdict_adjusted"] = _sequential_first(table, adjusted_verdicts(table))
    return table, missing


def with_sequential(claims, outcome):
    """A notebook's claims with the verdicts of its sequential looks (``modgap.tooling.stages``) where it has them:
    each such claim's estimate becomes the one its deciding look read (at that look's level, with that look's
    seeds), and ``sequential_verdict`` and ``look`` ("2/3": decided at the second of three looks; "–/3": undecided
    after every look made) say how it was judged."""
    if outcome is None:
        return claims
    out = outcome.set_index("id")
    claims = claims.copy()
    hit = claims["id"].isin(out.index)
    for col in ("value", "low", "high", "level", "n_seeds", "se", "df"):
        claims.loc[hit, col] = claims.loc[hit, "id"].map(out[col]).to_numpy()
    n_looks = out["stages"].astype(str).str.count("/") + 1
    look = [f"{int(k) if k else '–'}/{int(n)}" for k, n in zip(out["look"], n_looks)]
    claims["sequential_verdict"] = claims["id"].map(out["verdict"])
    claims["look"] = claims["id"].map(dict(zip(out.index, look)))
    return claims


def _sequential_first(table, adjusted: list) -> list:
    """Holm within families at the run's level, except for claims judged by sequential looks, whose verdict the
    looks gave (Holm at each look's spent level, ``modgap.metrics.sequential``)."""
    if "sequential_verdict" not in table:
        return list(adjusted)
    return [s if isinstance(s, str) and s else a for s, a in zip(table["sequential_verdict"], adjusted)]


def check_plan(table, plan_path=None):
    """``(exploratory, missing)``: the ids of ``table`` not in the committed plan (``results/claims_plan.yaml``,
    written before the reference runs), and the planned ids the run lacks among the notebooks it ran. A claim
    whose test or margin differs from the plan counts as exploratory too."""
    import yaml

    from modgap.paths import REPO_ROOT

    plan_path = Path(plan_path or REPO_ROOT / "results" / "claims_plan.yaml")
    planned = {c["id"]: c for c in (yaml.safe_load(plan_path.read_text()) or {}).get("claims", [])}
    if "id" not in table or not len(table):
        return [], []
    def other_sesoi(r) -> bool:  # a claim that carries a SESOI must carry its family's planned one
        own = getattr(r, "sesoi", float("nan"))
        return own == own and planned_sesoi(r.family, plan_path) != float(own)

    exploratory = [r.id for r in table.itertuples() if r.id not in planned
                   or planned[r.id]["test"] != r.test or float(planned[r.id]["margin"]) != float(r.margin)
                   or other_sesoi(r)]
    ran = set(table.notebook) if "notebook" in table else set()
    missing = [i for i, c in planned.items() if c["notebook"] in ran and i not in set(table.id)]
    return exploratory, missing


def reference_for(runs_dir) -> Path | None:
    """The committed reference a run in ``runs_dir`` compares with: ``runs/full`` → ``results/claims.csv`` (the
    full profile), ``runs/`` → ``results/default/claims.csv`` (the default profile); any other folder (classroom,
    a sweep, a scratch folder) has none — its settings differ from both, and comparing would mislead."""
    from modgap.paths import REPO_ROOT, RUNS_DIR

    runs_dir = Path(runs_dir).resolve()
    known = {(RUNS_DIR / "full").resolve(): REPO_ROOT / "results" / "claims.csv",
             RUNS_DIR.resolve(): REPO_ROOT / "results" / "default" / "claims.csv"}
    return known.get(runs_dir)


def read_reference(reference_csv):
    """A committed reference's ``claims.csv`` as a table, or a ``ParameterError`` that names the file and says what
    it is instead (missing, a folder, not a CSV, a CSV without the claims' columns)."""
    import pandas as pd

    from modgap.io import UnreadableFile, readable_file
    from modgap.parameters import ParameterError

    try:
        ref = pd.read_csv(readable_file(reference_csv, "reference claims table"))
    except UnreadableFile as exc:
        raise ParameterError(f"reference {exc}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ParameterError(f"reference {reference_csv}: not a claims table (a CSV written by make reference); "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'empty'}") from None
    missing = {"value", "low", "high"} - set(ref.columns)
    if missing:
        raise ParameterError(f"reference {reference_csv}: not a claims table: no column(s) {', '.join(sorted(missing))}")
    return ref


def compare_with_reference(table, reference_csv):
    """Each claim of ``table`` beside the committed reference run's: the reference's estimate, interval and
    verdict, whether the verdicts agree, and whether this run's estimate lies in the reference interval."""
    ref = read_reference(reference_csv)
    ref["verdict"] = [verdict_of(r) for _, r in ref.iterrows()]
    if "id" not in ref:
        raise ValueError(f"{reference_csv}: the reference has no claim ids; publish it again (make reference)")
    if "id" not in table:
        raise ValueError("this run's ledger has no claim ids (it predates them): run notebook 07 again")
    merged = table.merge(ref[["id", "value", "low", "high", "verdict"]], on="id", how="left", suffixes=("", "_ref"))
    merged["same_verdict"] = merged.verdict == merged.verdict_ref
    merged["in_ref_interval"] = (merged.value >= merged.low_ref) & (merged.value <= merged.high_ref)
    return merged


def statistic_family(statistic: str) -> str:
    """A claim's statistic with the baseline's name replaced, so that the four comparisons of one table
    (``marrnet − siamese``, ``marrnet − mmd``, ...) count as one family of intervals. The names come from the
    method table (``modgap.matching.methods.BASELINES``)."""
    import re

    from modgap.matching.methods import BASELINES

    return re.sub(r"\b(" + "|".join(map(re.escape, BASELINES)) + r")\b", "baseline", statistic)


def precision_table(table, seconds: dict | None = None, target: float = 2.0):
    """How narrow the run's intervals are, per notebook and statistic family: claims, model seeds, median and
    widest half-width of the 95% intervals, and — for statistics in points — the seeds that would bring the
    widest half-width to ``target`` (±2 points, the precision the full profile aims at) if it narrows as
    1/√seeds, with the notebook's time scaled the same way (``seconds``: a notebook's seconds in this run).

    The projection ``n · (widest / target)²`` holds when seed-to-seed noise dominates the interval; the part
    that comes from the (shared) test queries does not shrink with seeds, so it is the least that would do."""
    import math

    import pandas as pd

    seconds = seconds or {}
    rows = []
    t = table.assign(family=[statistic_family(s) for s in table.statistic], half=(table.high - table.low) / 2)
    for (nb, fam), g in t.groupby(["notebook", "family"], sort=False):
        n = int(g.n_seeds.max())
        widest = float(g.half.max())
        need = math.ceil(n * (widest / target) ** 2) if "points" in fam and n > 1 else None
        sec = seconds.get(nb)
        rows.append({"notebook": nb, "statistic": fam, "claims": len(g), "seeds": n,
                     "median_half_width": float(g.half.median()), "widest_half_width": widest,
                     "seeds_for_target": need if need is None or need > n else n,
                     "notebook_minutes": None if sec is None else sec / 60,
                     "projected_minutes": None if sec is None or need is None else sec / 60 * max(need, n) / n})
    return pd.DataFrame(rows)


def markdown_precision(prec, target: float = 2.0) -> str:
    """The precision table as Markdown (for README.md and results/precision.md)."""
    def num(x, f="{:.3g}"):
        return "—" if x is None or x != x else f.format(x)

    lines = [f"| notebook | statistic | claims | seeds | half-width: median | widest | seeds for ±{target:g} (1/√n) "
             "| notebook time (min) | projected (min) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in prec.itertuples():
        lines.append(f"| {r.notebook} | {r.statistic} | {r.claims} | {r.seeds} | {num(r.median_half_width)} "
                     f"| {num(r.widest_half_width)} | {num(r.seeds_for_target, '{:.0f}')} "
                     f"| {num(r.notebook_minutes, '{:.0f}')} | {num(r.projected_minutes, '{:.0f}')} |")
    return "\n".join(lines)


def _replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start in text and end in text:
        return text[:text.index(start) + len(start)] + "\n" + body + "\n" + text[text.index(end):]
    return text


def judged_with_sesoi(table) -> bool:
    """Whether a ledger's claims carry their families' SESOI (runs made after the plan fixed them)."""
    return "sesoi" in table and bool(table["sesoi"].notna().any())


def verdicts_of(table) -> tuple[str, ...]:
    """The verdicts a ledger can hold: all of them for a run judged with SESOIs, else all but "no meaningful
    difference" (which such a run cannot give, so counting zero of it would mislead)."""
    return VERDICTS if judged_with_sesoi(table) else tuple(v for v in VERDICTS if v != "no meaningful difference")


def with_verdicts(table):
    """``table`` with its ``verdict`` (raw) and ``verdict_adjusted`` (Holm within each family) columns."""
    if "verdict" not in table:
        table = table.assign(verdict=[verdict_of(r) for _, r in table.iterrows()])
    if "family" not in table:
        raise ValueError("the ledger has no 'family' column: claims need ids and families (modgap.claims)")
    if "verdict_adjusted" not in table:
        table = table.assign(verdict_adjusted=_sequential_first(table, adjusted_verdicts(table)))
    return table


def planned_power(path=None) -> dict:
    """{claim id: (power at the full profile's seeds, the power check's status)} from ``results/power/power.csv``
    (``results/power/power_check.py``, made from a pilot before the runs); empty where there is none."""
    import pandas as pd

    from modgap.paths import REPO_ROOT

    path = Path(path or REPO_ROOT / "results" / "power" / "power.csv")
    if not path.exists():
        return {}
    t = pd.read_csv(path)
    power = t["power_full"] if "power_full" in t else pd.Series([float("nan")] * len(t))
    return {i: (p, s) for i, p, s in zip(t["id"], power, t["status"])}


def markdown_table(table, beside=None) -> str:
    """The full ledger as Markdown (results/ledger.md, the book): id, claim, estimate [95% CI], raw verdict, the
    verdict Holm-adjusted within the claim's family and the power its decision was planned with (the power check's,
    at the full profile's seeds). ``beside``: another reference's table, whose Holm-adjusted verdict is shown too
    (the default profile's ledger shows the full reference's)."""
    table = with_verdicts(table)
    power = planned_power()
    other = {} if beside is None else dict(zip(beside.id, with_verdicts(beside).verdict_adjusted))
    head = "| id | claim | statistic | estimate [95% CI] | seeds | verdict | Holm-adjusted |"
    head += " full reference |" if other else ""
    head += " planned power |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def planned(i):
        if i not in power:
            return "—"
        p, status = power[i]
        return (f"{p:.2f}; " if p == p else "") + status

    def interval(r):  # a claim judged at a sequential look shows that look's level and which look it was
        level = getattr(r, "level", 0.95)
        shown = f"{r.value:.3g} [{r.low:.3g}, {r.high:.3g}]"
        return shown + (f" ({100 * level:.2f}%)" if abs(level - 0.95) > 1e-9 else "")

    def seeds(r):
        look = getattr(r, "look", None)
        return f"{r.n_seeds} (look {look})" if isinstance(look, str) and look else f"{r.n_seeds}"

    for r in table.itertuples():
        row = (f"| `{r.id}` | {r.claim} | {r.statistic} | {interval(r)} | {seeds(r)} "
               f"| {r.verdict} | **{r.verdict_adjusted}** |")
        if other:
            row += f" {other.get(r.id, '—')} |"
        lines.append(row + f" {planned(r.id)} |")
    return "\n".join(lines)


def _common_statement(claims: list[str]) -> str:
    """What the claims of a family say in common: their shared leading words, "…" where the settings differ."""
    words = [c.split() for c in claims]
    n = 0
    while all(len(w) > n for w in words) and len({w[n] for w in words}) == 1:
        n += 1
    common = " ".join(words[0][:n])
    return claims[0] if n == len(words[0]) else f"{common} … ({len(claims)} settings)"


def family_summary(table):
    """One row per family: its claims, the raw and the Holm-adjusted verdict counts, and the range of estimates."""
    import pandas as pd

    table = with_verdicts(table)
    short = {"reproduced": "rep.", "not reproduced": "not rep.", "no meaningful difference": "no meaningful diff.",
             "inconclusive": "inconcl.", "too few seeds": "too few seeds"}

    def counts(col):
        c = col.value_counts()
        return ", ".join(f"{c[v]} {short[v]}" for v in VERDICTS if c.get(v, 0))

    rows = []
    for fam, g in table.groupby("family", sort=False):
        est = f"{g.value.iloc[0]:.3g} [{g.low.iloc[0]:.3g}, {g.high.iloc[0]:.3g}]" if len(g) == 1 else \
              f"{g.value.min():.3g} to {g.value.max():.3g}"
        rows.append({"family": fam, "claim": _common_statement(list(g.claim)),
                     "claims": len(g), "raw": counts(g.verdict), "adjusted": counts(g.verdict_adjusted),
                     "decided": int(g.verdict_adjusted.isin(DECIDED).sum()),
                     "statistic": statistic_family(g.statistic.iloc[0]), "estimates": est})
    return pd.DataFrame(rows)


#: the verdicts that decide a claim (the rest: inconclusive, too few seeds)
DECIDED = ("reproduced", "not reproduced", "no meaningful difference")


def _decided(table) -> str:
    k = int(table.verdict_adjusted.isin(DECIDED).sum())
    return f"{k} of {len(table)} ({100 * k / max(len(table), 1):.0f}%)"


def readme_blocks(table, seconds: dict | None = None, other=None, profile: str = "full") -> tuple[str, str]:
    """The two Markdown blocks of the README from a ledger ``table`` (``profile``'s: the full one's in the README):
    a summary per family (raw and Holm-adjusted verdict counts; the full table is results/ledger.md), with
    ``other`` (the default profile's ledger) beside it when given — a verdict that holds at one scale and not the
    other is a finding — and the precision table."""
    table = with_verdicts(table)
    raw, adj = table.verdict.value_counts(), table.verdict_adjusted.value_counts()
    seeds = sorted({int(n) for n in table.n_seeds if n > 0})
    both = other is not None
    lines = ["| family | claim | claims | full: raw | full: Holm-adjusted | full: decided | estimates |"
             + (" default: Holm-adjusted |" if both else ""), "|---|---|---|---|---|---|---|" + ("---|" if both else "")]
    if both:
        other = with_verdicts(other)
        summary_other = family_summary(other).set_index("family")
    for r in family_summary(table).itertuples():
        line = f"| `{r.family}` | {r.claim} | {r.claims} | {r.raw} | **{r.adjusted}** | {r.decided} of {r.claims} | {r.estimates} |"
        if both:
            line += f" {summary_other.adjusted.get(r.family, '—')} |"
        lines.append(line)
    if both:  # families only the default reference has (a notebook the full one predates)
        for fam, r in summary_other.iterrows():
            if fam not in set(table.family):
                lines.append(f"| `{fam}` | {r.claim} | {r.claims} | — | — | — | default: {r.estimates} | {r.adjusted} |")
    ledger = "results/ledger.md" if profile == "full" else f"results/{profile}/ledger.md"
    md = (f"{len(table)} claims in {table.family.nunique()} families. {profile.capitalize()} profile, Holm-adjusted "
          "within each family: " + ", ".join(f"{adj.get(v, 0)} {v}" for v in verdicts_of(table)) + "; raw: "
          + ", ".join(f"{raw.get(v, 0)} {v}" for v in verdicts_of(table))
          + f" (model seeds per claim: {', '.join(map(str, seeds)) or '—'}; every claim: `{ledger}`). Decided after "
          f"Holm: {_decided(table)}")
    if both:
        oadj = other.verdict_adjusted.value_counts()
        md += (". Default profile (`results/default/`), Holm-adjusted: "
               + ", ".join(f"{oadj.get(v, 0)} {v}" for v in verdicts_of(other)) + f"; decided: {_decided(other)}")
    if not judged_with_sesoi(table) or both and not judged_with_sesoi(other):
        md += (". A reference run before the plan fixed each family's smallest effect of interest "
               "(`results/claims_plan.yaml`, `families:`) cannot answer \"no meaningful difference\": its claims carry none")
    md += ".\n\n" + "\n".join(lines)
    pmd = ("Half-widths of the 95% intervals in the reference run, and what ±2 points would take "
           "(`modgap.tooling.ledger.precision_table`: seeds × (widest / 2)², the least that would do).\n\n"
           + markdown_precision(precision_table(table, seconds)))
    return md, pmd


def run_records(runs_dir, notebooks: list[str], smoke: bool = False) -> dict:
    """Each notebook's ``run.json`` in ``runs_dir`` (what produced it: parameters, seconds, date, commit), by
    notebook name, without the checksums of the run folder's files (they describe that folder only); notebooks
    without one are left out."""
    import json

    records = {}
    for name in notebooks:
        meta = Path(runs_dir) / (name + ("-smoke" if smoke else "")) / "run.json"
        if meta.exists():
            record = json.loads(meta.read_text())
            record.pop("files", None)
            records[name] = record
    return records


def publish(runs_dir, results_dir, readme=None, notebooks: list[str] | None = None, scale: str = "full") -> Path:
    """Copy a finished run's ledger and tables into ``results_dir`` (the committed reference): ``claims.csv``,
    ``ledger.md``, each notebook's ``results.csv`` / ``intervals.csv`` / ``claims.csv`` and ``run.json`` (the
    settings, versions, seconds and date the run recorded), and write the ledger into ``readme`` between
    ``<!-- ledger:start -->`` and ``<!-- ledger:end -->``; and how narrow the intervals are
    (``precision_table``) into ``precision.md`` and between ``<!-- precision:start -->`` and its end."""
    import json
    import shutil

    from modgap.io import atomic_write, write_csv

    if scale not in ("full", "default"):
        raise ValueError(f"scale must be 'full' or 'default', got {scale!r}")
    runs_dir, root = Path(runs_dir), Path(results_dir)
    results_dir = root / "default" if scale == "default" else root  # the default profile's beside the full one
    names = notebooks or sorted(p.parent.name for p in runs_dir.glob("[0-9][0-9]_*/claims.csv")
                                if not p.parent.name.endswith("-smoke"))
    table, missing = gather_claims(runs_dir, names)
    if missing or table.empty:
        raise FileNotFoundError(f"{runs_dir}: no claims from {', '.join(missing) or 'any notebook'}; run the profile first")
    write_csv(results_dir / "claims.csv", table.drop(columns=["folder", "verdict", "verdict_adjusted"]))
    for name in names:
        for f in ("results.csv", "intervals.csv", "claims.csv", "results.json"):
            if (runs_dir / name / f).exists():
                (results_dir / name).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(runs_dir / name / f, results_dir / name / f)
    for outcome in sorted((runs_dir / "sequential").glob("*.csv")):  # the looks' verdicts (modgap.tooling.stages)
        if outcome.stem in names:
            (results_dir / "sequential").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(outcome, results_dir / "sequential" / outcome.name)
    runs = run_records(runs_dir, names)
    atomic_write(results_dir / "run.json", lambda fh: json.dump(runs, fh, indent=2))
    render(root, readme)
    return results_dir / "claims.csv"


def _reference(folder: Path):
    import json

    import pandas as pd

    if not (folder / "claims.csv").exists():
        return None, {}
    runs = json.loads((folder / "run.json").read_text()) if (folder / "run.json").exists() else {}
    return pd.read_csv(folder / "claims.csv"), {k: r.get("seconds") for k, r in runs.items()}


def readme_blocks_for(results_dir) -> tuple[str, str]:
    """The README's ledger and precision blocks for the committed references in ``results_dir``: the full
    profile's (``claims.csv``) and, when there is one, the default profile's (``default/claims.csv``) beside it."""
    table, seconds = _reference(Path(results_dir))
    other, _ = _reference(Path(results_dir) / "default")
    return readme_blocks(table, seconds, other)


def render(results_dir, readme=None) -> None:
    """Write what the committed references in ``results_dir`` show (``claims.csv`` and ``run.json``; the default
    profile's in ``default/``): each one's ``ledger.md`` (every claim, raw and Holm-adjusted) and
    ``precision.{csv,md}``, and the README's ledger summary (both scales side by side) and precision blocks.
    ``publish`` ends with it; ``--render`` runs it alone (after a change to how the ledger is presented)."""
    from modgap.io import atomic_write, write_csv

    results_dir = Path(results_dir)
    for folder, profile in ((results_dir, "full"), (results_dir / "default", "default")):
        table, seconds = _reference(folder)
        if table is None:
            continue
        md, pmd = readme_blocks(table, seconds, profile=profile)
        beside = _reference(results_dir)[0] if profile == "default" else None
        note = ("\n\nThis is the default profile's run, for reading: with 2 seeds the seed level's Student quantile is "
                "t₁ = 12.7, so its intervals are wide and vary several-fold from one draw of seeds to another — two "
                "seeds rarely decide. Beside each verdict stands the full reference's (5 seeds), and the power its "
                "decision was planned with (`results/power/power.md`)." if profile == "default" else "")
        full = md.split("\n\n")[0] + note + "\n\n" + markdown_table(table, beside)
        atomic_write(folder / "ledger.md", lambda fh, t=full: fh.write("# The claims ledger of the reference run\n\n" + t + "\n"))
        write_csv(folder / "precision.csv", precision_table(table, seconds))
        atomic_write(folder / "precision.md", lambda fh, t=pmd: fh.write("# How narrow the reference run's intervals are\n\n" + t + "\n"))
    if readme is not None:
        md, pmd = readme_blocks_for(results_dir)
        text = _replace_block(_replace_block(Path(readme).read_text(), "ledger", md), "precision", pmd)
        atomic_write(readme, lambda fh: fh.write(text))


def main(argv=None) -> int:
    import argparse
    import sys

    from modgap.paths import REPO_ROOT

    ap = argparse.ArgumentParser(prog="python -m modgap.tooling.ledger",
                                 description="Publish a finished run's claims ledger and tables into results/.")
    ap.add_argument("runs_dir", nargs="?", help="the run to publish, e.g. runs/full")
    ap.add_argument("--results", default=str(REPO_ROOT / "results"))
    ap.add_argument("--readme", default=str(REPO_ROOT / "README.md"))
    ap.add_argument("--scale", choices=("full", "default"), default="full",
                    help="which committed reference the run becomes: full (results/) or default (results/default/)")
    ap.add_argument("--render", action="store_true", help="only re-render ledger.md, precision and the README blocks "
                    "from what --results holds")
    args = ap.parse_args(argv)
    if args.render:
        render(args.results, args.readme)
        print(f"[ledger] rendered {args.results}")
        return 0
    if not args.runs_dir:
        ap.error("give the run to publish (e.g. runs/full), or --render")
    try:
        out = publish(args.runs_dir, args.results, args.readme, scale=args.scale)
    except FileNotFoundError as exc:
        print(f"[ledger] {exc}", file=sys.stderr)
        return 1
    print(f"[ledger] {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
