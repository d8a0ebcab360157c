"""The claims ledger: rows, verdicts computed from the numbers, gathering, publishing, comparing; profiles."""
import pandas as pd
import pytest

from modgap.claims import claim, save_claims, verdict_of
from modgap.metrics.uncertainty import Estimate
from modgap.tooling.ledger import (
    compare_with_reference,
    gather_claims,
    markdown_precision,
    markdown_table,
    precision_table,
    publish,
    statistic_family,
)


def _rows():
    return [claim("A beats B", "paper", "A − B", Estimate(2.0, 0.5, 3.5, n_seeds=5, n_queries=100), ">", 0.0, "fig",
                  id="c0.beats.a-b"),
            claim("A equals B", "paper", "A − B", Estimate(0.1, -3.0, 3.0), "within", 2.0, id="c0.equals.a-b"),
            claim("C below D", "paper", "C − D", Estimate(1.0, 0.2, 1.8), "<", 0.0, id="c0.below.c-d")]


def test_claim_rows_and_their_verdicts():
    rows = _rows()
    assert [verdict_of(r) for r in rows] == ["reproduced", "inconclusive", "not reproduced"]
    with pytest.raises(ValueError, match="claim must be"):
        claim("typo", "paper", "x", Estimate(0, -1, 1), ">=", id="c0.typo")
    with pytest.raises(ValueError, match="claim id"):
        claim("bad id", "paper", "x", Estimate(0, -1, 1), ">", id="C0 Bad")


def test_gather_computes_verdicts_and_lists_missing_notebooks(tmp_path):
    save_claims(tmp_path / "03_x", _rows())
    table, missing = gather_claims(tmp_path, ["03_x", "05_y"])
    assert missing == ["05_y"] and list(table.notebook) == ["03_x"] * 3
    assert list(table.verdict) == ["reproduced", "inconclusive", "not reproduced"]
    # the verdict follows the numbers in the file, not anything typed next to them
    df = pd.read_csv(tmp_path / "03_x" / "claims.csv")
    df.loc[0, "low"] = -1.0
    df.to_csv(tmp_path / "03_x" / "claims.csv", index=False)
    assert gather_claims(tmp_path, ["03_x"])[0].verdict[0] == "inconclusive"
    empty, missing = gather_claims(tmp_path, ["05_y"])
    assert empty.empty and missing == ["05_y"]


def test_claims_placed_with_output_dir_are_found_by_their_ids(tmp_path):
    import os

    save_claims(tmp_path / "mine" / "marrnet-run", [dict(r, id=r["id"].replace("c0.", "c3.")) for r in _rows()])
    save_claims(tmp_path / "mine" / "marrnet-run-smoke", [dict(_rows()[0], id="c3.smoke")])  # smoke: not this run's
    save_claims(tmp_path / "old" / "03", [dict(_rows()[0], id="c3.older")])
    os.utime(tmp_path / "old" / "03" / "claims.csv", (1, 1))  # the older of two candidates
    (tmp_path / "failed-run").mkdir()
    save_claims(tmp_path / "05_y" / "failed-run", [dict(_rows()[0], id="c5.failed")])
    assert gather_claims(tmp_path, ["03_x"])[0].empty  # found only when asked to search (07's runs_dir)
    table, missing = gather_claims(tmp_path, ["03_x", "05_y"], search=True)
    assert missing == ["05_y"] and set(table.id) == {"c3.beats.a-b", "c3.equals.a-b", "c3.below.c-d"}
    assert set(table.folder) == {str(tmp_path / "mine" / "marrnet-run")}
    save_claims(tmp_path / "03_x", _rows())  # the notebook's own folder comes first
    assert set(gather_claims(tmp_path, ["03_x"])[0].folder) == {str(tmp_path / "03_x")}
    smoke, _ = gather_claims(tmp_path, ["03_x"], smoke=True, search=True)
    assert list(smoke.id) == ["c3.smoke"]


def test_publish_writes_results_and_the_readme_block_and_compares(tmp_path):
    runs = tmp_path / "runs"
    save_claims(runs / "03_x", _rows())
    (runs / "03_x" / "run.json").write_text('{"seconds": 12.0}')
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- ledger:start -->\nold\n<!-- ledger:end -->\nrest\n"
                      "<!-- precision:start -->\nold\n<!-- precision:end -->\n")
    publish(runs, tmp_path / "results", readme)
    assert (tmp_path / "results" / "claims.csv").exists() and (tmp_path / "results" / "03_x" / "claims.csv").exists()
    text = readme.read_text()
    assert "\nold\n" not in text and "<!-- ledger:end -->\nrest\n" in text
    assert "| `c0.beats` | A beats B | 1 | 1 rep. | **1 rep.** |" in text  # a family's raw and adjusted counts
    assert "| 03_x | A − B | 2 | 5 | 2.25 | 3 | — | 0 | — |" in text  # median and widest of the half-widths 1.5 and 3
    assert (tmp_path / "results" / "precision.md").exists() and (tmp_path / "results" / "precision.csv").exists()
    table, _ = gather_claims(runs, ["03_x"])
    same = compare_with_reference(table, tmp_path / "results" / "claims.csv")
    assert same.same_verdict.all() and same.in_ref_interval.all()
    moved = table.assign(value=table.value + 10, low=table.low + 10, high=table.high + 10)
    moved["verdict"] = [verdict_of(r) for _, r in moved.iterrows()]
    assert not compare_with_reference(moved, tmp_path / "results" / "claims.csv").in_ref_interval.any()
    assert markdown_table(table).count("\n") == 4 and "`c0.beats.a-b`" in markdown_table(table)
    with pytest.raises(FileNotFoundError, match="no claims"):
        publish(tmp_path / "nothing", tmp_path / "r2")
    # a default-profile reference goes to results/default/, and the README shows both scales side by side
    publish(runs, tmp_path / "results", readme, scale="default")
    assert (tmp_path / "results" / "default" / "claims.csv").exists()
    assert "default: Holm-adjusted" in readme.read_text() and "Default profile (`results/default/`)" in readme.read_text()


def test_precision_table_groups_baselines_and_projects_seeds_as_one_over_root_n():
    assert statistic_family("rank-1 difference marrnet − dann (points)") == "rank-1 difference marrnet − baseline (points)"
    rows = [claim(f"M beats {b}", "p", f"rank-1 difference marrnet − {b} (points)", Estimate(0, -h, h, n_seeds=4), ">",
                  id=f"c3.beats.{b}")
            for b, h in (("siamese", 1.0), ("mmd", 3.0), ("dann", 4.0))]
    rows.append(claim("rho", "p", "Spearman ρ", Estimate(0.1, -0.4, 0.6, n_seeds=4), ">", id="c4.rho"))
    rows.append(claim("narrow", "p", "gain (points)", Estimate(1.0, 0.0, 2.0, n_seeds=4), ">", id="c4.narrow"))
    table = pd.DataFrame(rows).assign(notebook="03_x")
    prec = precision_table(table, {"03_x": 600.0}).set_index("statistic")
    r = prec.loc["rank-1 difference marrnet − baseline (points)"]
    assert (r.claims, r.seeds, r.median_half_width, r.widest_half_width) == (3, 4, 3.0, 4.0)
    assert r.seeds_for_target == 16 and r.projected_minutes == pytest.approx(10.0 * 16 / 4)  # 4 · (4/2)²
    assert pd.isna(prec.loc["Spearman ρ"].seeds_for_target)  # no target for statistics that are not in points
    assert prec.loc["gain (points)"].seeds_for_target == 4  # already within ±2: the seeds it has
    assert markdown_precision(prec.reset_index()).count("\n") == 4


def test_profiles_load_and_unknown_ones_are_named():
    from modgap.parameters import ParameterError
    from modgap.tooling.runner import load_profile, main

    assert load_profile("default") == ({}, None)
    notebooks, runs_dir = load_profile("full")
    assert runs_dir == "runs/full" and notebooks["03_marrnet_vs_baselines"]["n_seeds"] >= 5
    same = ("n_train_images", "n_test_images", "fashion_root", "models_dir")  # 03 and 04 share models only if these agree
    assert all(notebooks["03_marrnet_vs_baselines"][k] == notebooks["04_occlusion"][k] for k in same)
    with pytest.raises(ParameterError, match="unknown profile 'fulll'"):
        load_profile("fulll")
    assert main(["--profile", "fulll", "notebooks/00_quickstart.ipynb"]) == 2


def test_the_runner_prints_how_a_run_compares_with_the_reference(tmp_path):
    from modgap.tooling.runner import print_reference_comparison

    save_claims(tmp_path / "results", _rows())
    table, _ = gather_claims(tmp_path, ["results"])
    (tmp_path / "runs" / "07_claims").mkdir(parents=True)
    table.to_csv(tmp_path / "runs" / "07_claims" / "ledger.csv", index=False)
    ref = tmp_path / "results" / "claims.csv"
    line = print_reference_comparison(tmp_path / "runs", reference=ref)
    assert line.startswith("[modgap] claims ledger: 3 claims, Holm-adjusted") and "3 of 3 raw verdicts as in the committed" in line
    assert "3 estimates inside its intervals, 3 equal to its own" in line and "\n" not in line
    assert print_reference_comparison(tmp_path / "nothing", reference=ref) is None


def test_a_run_whose_numbers_differ_from_the_reference_is_told_why_they_may(tmp_path):
    """Trained models differ by rounding from one CPU to another: the closing line counts the estimates equal to
    the reference's and, when some are not, names both CPUs (or says the reference ran on this one)."""
    import json

    from modgap.tooling.runner import cpu_description, print_reference_comparison

    save_claims(tmp_path / "results", _rows())
    table, _ = gather_claims(tmp_path, ["results"])
    table.loc[0, "value"] += 1e-3  # a trained model's estimate, moved by rounding
    (tmp_path / "runs" / "07_claims").mkdir(parents=True)
    table.to_csv(tmp_path / "runs" / "07_claims" / "ledger.csv", index=False)
    ref = tmp_path / "results" / "claims.csv"
    line = print_reference_comparison(tmp_path / "runs", reference=ref)
    assert "2 equal to its own" in line and "a CPU it did not record" in line and "docs/troubleshooting.md" in line
    (tmp_path / "results" / "run.json").write_text(json.dumps({"03": {"cpu": "Example CPU 9000 (avx2)"}}))
    assert "the reference ran on Example CPU 9000 (avx2), this run on" in print_reference_comparison(tmp_path / "runs", reference=ref)
    (tmp_path / "results" / "run.json").write_text(json.dumps({"03": {"cpu": cpu_description()}}))
    assert "although it ran on this CPU" in print_reference_comparison(tmp_path / "runs", reference=ref)


@pytest.mark.parametrize("profile", ["full", "classroom"])
def test_every_profile_names_only_parameters_its_notebooks_take_and_shares_models_consistently(profile):
    from modgap.tooling.runner import NOTEBOOK_DIR, check_known, load_profile

    notebooks, runs_dir = load_profile(profile)
    assert runs_dir == f"runs/{profile}"
    for name, params in notebooks.items():
        check_known(NOTEBOOK_DIR / f"{name}.ipynb", params)  # an unknown parameter is an error that names it
    matching = ("tasks", "epochs", "spectra_epochs", "n_train_images", "n_test_images", "fashion_root", "models_dir")
    for other in ("02_cmunet", "04_occlusion", "08_connecting_the_lines"):  # they load 03's models only if these agree
        if other in notebooks:
            assert all(notebooks[other].get(k) == notebooks["03_marrnet_vs_baselines"].get(k) for k in matching), other
    towers = notebooks.get("08_connecting_the_lines", {}).get("tower_epochs", 8), notebooks.get("05_closing_the_gap", {}).get("epochs", 8)
    assert towers[0] == towers[1]  # 08 loads 05's two-tower models only with the same epochs


def test_the_committed_readme_shows_exactly_what_the_committed_results_give():
    """The README's ledger and precision blocks are computed from results/claims.csv and results/run.json, and
    results/default/ beside them (make reference); a hand edit of either block, or results/ changed without
    publishing, fails here."""
    from modgap.paths import REPO_ROOT
    from modgap.tooling.ledger import readme_blocks_for

    md, pmd = readme_blocks_for(REPO_ROOT / "results")
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"<!-- ledger:start -->\n{md}\n<!-- ledger:end -->" in readme
    assert f"<!-- precision:start -->\n{pmd}\n<!-- precision:end -->" in readme


def test_an_old_ledger_without_ids_is_named_not_a_traceback(tmp_path):
    from modgap.tooling.runner import print_reference_comparison

    save_claims(tmp_path / "results", _rows())
    (tmp_path / "runs" / "07_claims").mkdir(parents=True)
    pd.DataFrame({"claim": ["A beats B"], "value": [1.0]}).to_csv(tmp_path / "runs" / "07_claims" / "ledger.csv", index=False)
    line = print_reference_comparison(tmp_path / "runs", reference=tmp_path / "results" / "claims.csv")
    assert line.startswith("[modgap] claims ledger not compared") and "run notebook 07 again" in line


def test_family_forests_draw_one_panel_per_family_its_claims_coloured_by_verdict_and_the_test():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import to_rgba

    from modgap.tooling.forest import VERDICT_COLORS, family_forests
    from modgap.tooling.ledger import with_verdicts

    rows = _rows() + [claim("A beats E", "paper", "A − E", Estimate(-1.0, -2.0, -0.5, n_seeds=5), ">", 0.0, id="c0.beats.a-e")]
    table = with_verdicts(pd.DataFrame(rows))
    fig = family_forests(table, ncols=2)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["c0.beats (> 0)", "c0.equals (within ±2)", "c0.below (< 0)"]
    beats = panels[0]
    assert [t.get_text() for t in beats.get_yticklabels()] == ["a-b", "a-e"]  # what each id adds to its family's
    lines = [ln for ln in beats.lines if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] != ln.get_xdata()[1]]
    verdicts = table[table.family == "c0.beats"].verdict_adjusted
    assert [to_rgba(ln.get_color()) for ln in lines] == [to_rgba(VERDICT_COLORS[v]) for v in verdicts]
    assert set(verdicts) == {"reproduced", "not reproduced"}
    assert len(panels[1].patches) == 1  # the ±margin band of a "within" claim


def test_notebook_07_finds_the_claims_of_a_run_placed_with_output_dir(tmp_path, monkeypatch):
    """As a user types it: ``-p output_dir`` for 03 somewhere, then 07 with ``runs_dir`` pointing above it."""
    import json

    from modgap.paths import REPO_ROOT
    from modgap.tooling.runner import run_notebook

    monkeypatch.setenv("MODGAP_SMOKE", "1")
    save_claims(tmp_path / "study" / "marrnet-smoke", [dict(r, id=r["id"].replace("c0.", "c3.")) for r in _rows()])
    out = run_notebook(REPO_ROOT / "notebooks" / "07_claims.ipynb", tmp_path / "ledger",
                       {"output_dir": str(tmp_path / "ledger"), "runs_dir": str(tmp_path / "study")})
    text = "".join("".join(o.get("text", "")) for c in json.loads(out.read_text())["cells"] for o in c.get("outputs", []))
    assert "3 claims from 1 notebooks" in text
    assert "found outside their default folders: " + str(tmp_path / "study" / "marrnet-smoke") in text


def test_each_committed_ledger_names_its_own_profile():
    """results/ledger.md is the full profile's and results/default/ledger.md the default one's: each says so and
    points at itself (the default's said "Full profile" until 2026-12-05)."""
    from modgap.paths import REPO_ROOT

    full = (REPO_ROOT / "results" / "ledger.md").read_text().splitlines()[2]
    default = (REPO_ROOT / "results" / "default" / "ledger.md").read_text().splitlines()[2]
    assert "Full profile, Holm-adjusted" in full and "`results/ledger.md`" in full
    assert "Default profile, Holm-adjusted" in default and "`results/default/ledger.md`" in default
