"""Sweeps (the course's assignments: tests/test_assignments.py; the book: tests/test_book.py)."""
import pytest

from modgap.tooling.sweep import gather, load_grid, plot_sweep, run_name, run_sweep


def test_grid_validation(tmp_path):
    g = tmp_path / "g.yaml"
    g.write_text("grid:\n  seed: [0, 1]\n  lr: [0.1]\nfixed:\n  epochs: 1\n")
    grid = load_grid(g)
    assert grid.combinations() == [{"seed": 0, "lr": 0.1}, {"seed": 1, "lr": 0.1}]
    assert run_name({"seed": 0, "lr": 0.1}) == "seed=0__lr=0.1"
    g.write_text("grid:\n  seed: 3\n")
    with pytest.raises(ValueError, match="'seed' must be a non-empty list"):
        load_grid(g)
    g.write_text("grid:\n  seed: [1]\nfixd: {}\n")
    with pytest.raises(ValueError, match="unknown top-level key"):
        load_grid(g)
    with pytest.raises(FileNotFoundError):
        load_grid(tmp_path / "none.yaml")


def test_sweep_runs_skips_reports_failures_and_gathers(tmp_path, monkeypatch, make_notebook):
    monkeypatch.setenv("MODGAP_SMOKE", "0")
    nb = make_notebook(tmp_path / "t.ipynb", "seed = 0\nscale = 1.0\noutput_dir = 'x'",
             "import pathlib\nif scale > 5: raise RuntimeError('scale too large')\n"
             "pathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
             "pathlib.Path(output_dir, 'results.csv').write_text(f'metric,value\\nm,{seed * scale}')")
    g = tmp_path / "g.yaml"
    g.write_text("grid:\n  seed: [1, 2]\n  scale: [1.0, 10.0]\n")
    grid = load_grid(g)
    records = run_sweep(nb, grid, tmp_path / "sw", jobs=2)
    status = {r["run"]: r["status"] for r in records}
    assert status == {"seed=1__scale=1.0": "ok", "seed=1__scale=10.0": "failed",
                      "seed=2__scale=1.0": "ok", "seed=2__scale=10.0": "failed"}
    failed = next(r for r in records if r["status"] == "failed")
    assert failed["notebook"] == "t.ipynb" and failed["cell"] == 3 and "scale too large" in failed["error"]
    again = run_sweep(nb, grid, tmp_path / "sw", jobs=1)
    assert sum(r["status"] == "skipped (done)" for r in again) == 2  # finished runs are not redone
    table = gather(tmp_path / "sw", grid)
    assert sorted(table["value"]) == [1.0, 2.0]
    assert plot_sweep(table, grid, tmp_path / "sw" / "sweep.png").exists()


def test_a_changed_fixed_block_reruns_the_cells_it_changes(tmp_path, monkeypatch, make_notebook):
    """The fixed parameters are part of what a finished cell was run with: change them and every cell runs again
    (before, the cells stayed "done" with results of the old settings)."""
    monkeypatch.setenv("MODGAP_SMOKE", "0")
    nb = make_notebook(tmp_path / "t.ipynb", "seed = 0\nscale = 1.0\noutput_dir = 'x'",
                       "import pathlib\npathlib.Path(output_dir, 'results.csv').write_text(f'metric,value\\nm,{seed * scale}')")
    g = tmp_path / "g.yaml"
    g.write_text("grid:\n  seed: [1, 2]\nfixed:\n  scale: 1.0\n")
    assert [r["status"] for r in run_sweep(nb, load_grid(g), tmp_path / "sw", jobs=1)] == ["ok", "ok"]
    assert [r["status"] for r in run_sweep(nb, load_grid(g), tmp_path / "sw", jobs=1)] == ["skipped (done)"] * 2
    g.write_text("grid:\n  seed: [1, 2]\nfixed:\n  scale: 10.0\n")
    assert [r["status"] for r in run_sweep(nb, load_grid(g), tmp_path / "sw", jobs=1)] == ["ok", "ok"]
    assert sorted(gather(tmp_path / "sw", load_grid(g))["value"]) == [10.0, 20.0]


def test_shipped_sweep_in_smoke_mode(tmp_path):
    """The shipped grid (2 seeds x 2 temperatures) over notebook 05, as `make sweep SWEEP_ARGS=--smoke` runs it."""
    import subprocess
    import sys

    import pandas as pd

    from modgap.paths import REPO_ROOT

    out = tmp_path / "sweep"
    proc = subprocess.run([sys.executable, "-m", "modgap.tooling.sweep", str(REPO_ROOT / "notebooks/05_closing_the_gap.ipynb"),
                           str(REPO_ROOT / "sweeps/closing_gap_temperature.yaml"), "--smoke", "--jobs", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = pd.read_csv(out / "sweep.csv")
    assert set(table.seed) == {0, 1} and set(table.temperature) == {0.05, 0.1}
    assert {"CLIP (τ=0.05)", "CLIP (τ=0.1)", "+ L_ATP + L_CU"} <= set(table.method)
    assert (out / "sweep.png").stat().st_size > 1000


def test_sweep_on_a_dask_scheduler(tmp_path, monkeypatch, make_notebook):
    """The same sweep submitted to an existing Dask cluster (here an in-process one) instead of local processes."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("MODGAP_SMOKE", "0")
    nb = make_notebook(tmp_path / "t.ipynb", "seed = 0\noutput_dir = 'x'",
                       "import pathlib\npathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
                       "pathlib.Path(output_dir, 'results.csv').write_text(f'metric,value\\nm,{seed}')")
    g = tmp_path / "g.yaml"
    g.write_text("grid:\n  seed: [3, 4]\n")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0") as cluster:
        records = run_sweep(nb, load_grid(g), tmp_path / "sw", scheduler=cluster.scheduler_address)
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert sorted(gather(tmp_path / "sw", load_grid(g))["value"]) == [3, 4]
