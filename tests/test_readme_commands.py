"""Every command the README shows is run by a test as a user types it. The quick ones run here, from the
repository root, exactly as written; the others are listed with the test that runs them, and a command added to
the README without a test fails here."""
import os
import re
import subprocess
import sys

import pytest

from modgap.paths import REPO_ROOT

#: commands run by other tests (or by CI itself), and why not here
ELSEWHERE = {
    "make run": "every notebook through the runner: nbval over notebooks/ and tests/test_resume.py (make test runs both)",
    "make test": "CI runs it: bash .ci/run",
    "make run PROFILE=full": "85 min from empty (docs/speed.md); its profile is loaded and checked by tests/test_ledger.py (every profile)",
    "make reference": "publish/render of python -m modgap.tooling.ledger: tests/test_ledger.py",
    "make sweep SWEEP_NB=notebooks/05_closing_the_gap.ipynb SWEEP_GRID=sweeps/closing_gap_temperature.yaml":
        "the same grid in smoke mode: tests/test_course_tools.py::test_shipped_sweep_in_smoke_mode",
    "make assignments": "tests/test_assignments.py's fixture (make assignments COURSE=<scratch folder>)",
    "make lab": "tests/test_make_commands.py::test_make_lab_starts_and_answers_on_localhost_then_stops",
    "MODGAP_SCHEDULER=tcp://scheduler-host:8786 make run PROFILE=full":
        "needs a running scheduler; the same code path as local:N, which tests/test_executor.py and HERE run",
    "make book": "tests/test_make_commands.py and tests/test_book.py",
    "make book PROFILE=classroom": "tests/test_make_commands.py (a classroom-like profile)",
    ".venv/bin/python -m modgap.audit data/external/modality-gap/features_clip.npy --out runs/audit/clip --closers all":
        "tests/test_audit.py::test_the_readme_audit_command_runs_as_written",
}
#: run here as written (in smoke mode, as make test sets MODGAP_SMOKE=1)
HERE = [
    "MODGAP_SCHEDULER=local:2 .venv/bin/python -m modgap.tooling.runner notebooks/02_cmunet.ipynb",
    ".venv/bin/python -m modgap.tooling.runner notebooks/01_data_prep.ipynb -p seed 1 -p n_measurements 20",
    ".venv/bin/papermill -k python3 --cwd notebooks notebooks/01_data_prep.ipynb runs/01_data_prep_seed1.ipynb -p seed 1",
]


def readme_commands() -> list[str]:
    """The commands of every ``bash`` block of the README and of the pages in docs/."""
    text = "\n".join(p.read_text() for p in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))])
    return [line.split("#")[0].strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)
            for line in block.splitlines() if line.split("#")[0].strip()]


def test_every_readme_command_has_a_test():
    commands = readme_commands()
    assert len(commands) >= 10
    missing = [c for c in commands if c not in ELSEWHERE and c not in HERE]
    assert not missing, f"README commands no test runs: {missing}"
    stale = [c for c in [*ELSEWHERE, *HERE] if c not in commands]
    assert not stale, f"listed here but no longer in the README: {stale}"


@pytest.mark.parametrize("command", HERE)
def test_readme_command_runs_as_written(command):
    env = {**os.environ, "MODGAP_SMOKE": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(command, shell=True, cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


def test_the_documented_timings_are_what_the_timing_script_measured():
    from modgap.tooling.timings import SPEED_PAGE, timings_block

    page = SPEED_PAGE.read_text()
    assert f"<!-- timings:start -->\n{timings_block()}\n<!-- timings:end -->" in page


def test_a_partial_timing_keeps_the_commands_it_did_not_time_with_their_commit(tmp_path):
    """benchmarks/timings.py --only full: make test's earlier time stays, marked with the commit it was timed at;
    05's looks (their own run folders) count towards 05; the full profile's notebooks are given in minutes."""
    import importlib.util
    import json

    from modgap.tooling.timings import timings_block

    spec = importlib.util.spec_from_file_location("timings_script", REPO_ROOT / "benchmarks" / "timings.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "timings.json"
    old = {"date": "2026-12-01T00:00:00+00:00", "machine": "old", "commit": "aaaaaaa",
           "seconds": {"setup": 90.0, "run": 600.0, "test": 400.0}, "notebooks": {"run": {"00_quickstart": 4.0}}}
    out.write_text(json.dumps(old))
    runs = tmp_path / "runs" / "full"
    for folder, seconds in [("03_marrnet_vs_baselines", 3600.0), ("05_closing_the_gap", 60.0),
                            ("sequential/05_closing_the_gap-10seeds", 120.0), ("05_closing_the_gap-smoke", 9.0)]:
        (runs / folder).mkdir(parents=True)
        (runs / folder / "run.json").write_text(json.dumps({"seconds": seconds}))
    new = {"date": "2026-12-06T00:00:00+00:00", "machine": "new", "commit": "bbbbbbb",
           "seconds": {"setup": 100.0, "full": 3780.0}, "notebooks": {"full": script.notebook_seconds(runs)}}
    script.write(out, new)
    t = json.loads(out.read_text())
    assert t["seconds"] == {"setup": 100.0, "full": 3780.0, "run": 600.0, "test": 400.0}
    assert t["earlier"] == {name: {"commit": "aaaaaaa", "date": old["date"], "machine": "old"} for name in ("run", "test")}
    block = timings_block(out)
    assert "`make test`: **6.7 min** — timed earlier, at `aaaaaaa` on 2026-12-01" in block
    assert "(03 60.0 min, 05 3.0 min)" in block and "at commit `bbbbbbb`" in block
    script.write(out, {**new, "seconds": {"setup": 1.0, "run": 2.0}, "notebooks": {}})  # run retimed: no longer earlier
    assert set(json.loads(out.read_text())["earlier"]) == {"test", "full"}


def test_where_the_time_went_reads_a_finished_run(tmp_path):
    """benchmarks/where_the_time_went.py: minutes per notebook (looks counted to 05) and 03's worker minutes per
    task × method, loaded models counted as not trained."""
    import json

    import pandas as pd

    runs = tmp_path / "full"
    for folder, seconds in [("03_marrnet_vs_baselines", 600.0), ("05_closing_the_gap", 60.0),
                            ("sequential/05_closing_the_gap-10seeds", 120.0)]:
        (runs / folder).mkdir(parents=True)
        (runs / folder / "run.json").write_text(json.dumps({"seconds": seconds}))
    pd.DataFrame({"task": ["a", "a", "b"], "method": ["m", "m", "m"], "seed": [0, 1, 0], "train_s": [60.0, 0.0, 120.0],
                  "loaded": [False, True, False]}).to_csv(runs / "03_marrnet_vs_baselines" / "per_seed.csv", index=False)
    out = tmp_path / "where.md"
    done = subprocess.run([sys.executable, "benchmarks/where_the_time_went.py", str(runs),
                           "--out", str(out)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text()
    assert "(total 13.0)" in text and "|   10 |    3 |" in text  # 03: 10 min; 05: 1 + 2 min
    assert "2 of 3 models trained, 3.0 worker-min" in text
    empty = subprocess.run([sys.executable, "benchmarks/where_the_time_went.py",
                            str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert empty.returncode != 0 and "no finished run of notebook 03" in empty.stderr


def test_the_documented_cpu_kernel_differences_are_what_the_script_measured():
    """docs/troubleshooting.md quotes results/across_cpus/cpu_kernels.csv; rerunning the script and not the page
    (or the reverse) fails here."""
    import pandas as pd

    page = (REPO_ROOT / "docs" / "troubleshooting.md").read_text()
    table = pd.read_csv(REPO_ROOT / "results" / "across_cpus" / "cpu_kernels.csv")
    same = table[table.kernels == "machine, again"]
    assert (same.initial_max_rel_diff == 0).all() and (same.trained_max_rel_diff == 0).all()  # "the same bits"
    avx2 = table[table.kernels == "AVX2"].set_index("task")
    machine = table[table.kernels == "machine"].set_index("task")
    mantissa, exponent = f"{avx2.initial_max_rel_diff.max():.0e}".split("e")
    assert f"{mantissa}·10⁻{int(exponent[1:])}".replace("⁻7", "⁻⁷").replace("⁻8", "⁻⁸").replace("⁻6", "⁻⁶") in page
    for task, name in (("photo-sketch", "photo–sketch"), ("Raman-IR", "Raman–IR")):
        assert f"{avx2.trained_max_rel_diff[task]:.2f} ({name})" in page
        assert f"{machine.rank1[task]:.2f} to {avx2.rank1[task]:.2f}%" in page


def test_the_readme_keeps_to_its_first_screens_and_its_links_resolve():
    """What a newcomer needs (what it is, the commands, profiles, the ledger) in at most 250 lines; the rest lives
    in docs/, and every relative link of the README and docs/ points at a file that exists."""
    readme = REPO_ROOT / "README.md"
    assert len(readme.read_text().splitlines()) <= 250
    for page in [readme, *sorted((REPO_ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+?)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)
