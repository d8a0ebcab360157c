from pathlib import Path

import pytest

from modgap.parameters import ParameterError
from modgap.tooling.runner import NotebookFailed, check_known, gather_results, numbered_notebooks, run_notebook

PARAMS = "x = 1\noutput_dir = 'runs/t'"


def test_every_numbered_notebook_has_a_parameters_cell():
    nbs = numbered_notebooks()
    assert [n.name[:2] for n in nbs][:2] == ["00", "01"]
    for nb in nbs:
        check_known(nb, {"seed": 0, "output_dir": "x"})


def test_a_cell_that_runs_past_the_timeout_fails_the_notebook(tmp_path, monkeypatch, make_notebook):
    import time

    monkeypatch.setenv("MODGAP_SMOKE", "0")
    slow = make_notebook(tmp_path / "01_slow.ipynb", PARAMS, "import time\ntime.sleep(30)")
    t0 = time.monotonic()
    with pytest.raises(NotebookFailed, match="01_slow.ipynb failed in an unknown cell: a cell ran longer than 2 s"):
        run_notebook(slow, tmp_path / "runs" / "01_slow", timeout=2)
    assert time.monotonic() - t0 < 25  # stopped at the timeout, not when the cell ended
    assert (tmp_path / "runs" / "01_slow" / "01_slow.failed.ipynb").exists()


def test_profiles_set_how_long_a_cell_may_run(tmp_path):
    from modgap.tooling.runner import DEFAULT_CELL_TIMEOUT, profile_cell_timeout

    assert profile_cell_timeout("default") == DEFAULT_CELL_TIMEOUT
    assert profile_cell_timeout("full") >= 3 * 3600  # 03 trains every matcher of the full profile in one cell
    bad = tmp_path / "p.yaml"
    bad.write_text("cell_timeout: soon\nnotebooks: {}\n")
    with pytest.raises(ParameterError, match="cell_timeout must be a positive number of seconds, got 'soon'"):
        profile_cell_timeout(str(bad))


def test_unknown_parameter_is_refused(tmp_path, make_notebook):
    nb = make_notebook(tmp_path / "01_t.ipynb", PARAMS, "y = x + 1")
    with pytest.raises(ParameterError, match="unknown parameter\\(s\\) 'xx'.*takes: output_dir, x"):
        check_known(nb, {"xx": 2})


def test_run_success_and_failure_leave_honest_files(tmp_path, monkeypatch, make_notebook):
    monkeypatch.setenv("MODGAP_SMOKE", "0")  # this test is about the runner, not smoke folders
    ok = make_notebook(tmp_path / "01_ok.ipynb", PARAMS, "import json, pathlib\n"
                   "pathlib.Path(output_dir, 'results.csv').write_text('metric,value\\nx,' + str(x))")
    out = run_notebook(ok, tmp_path / "runs" / "01_ok", {"x": 5})
    assert out.name == "01_ok.ipynb" and out.exists()
    assert gather_results(tmp_path / "runs")["value"].tolist() == [5]

    # cell 3 of the executed copy: papermill injects the parameters as cell 2
    bad = make_notebook(tmp_path / "02_bad.ipynb", PARAMS, "raise ValueError('broken on purpose')")
    with pytest.raises(NotebookFailed, match="02_bad.ipynb failed in cell 3: ValueError: broken on purpose"):
        run_notebook(bad, tmp_path / "runs" / "02_bad")
    files = sorted(p.name for p in (tmp_path / "runs" / "02_bad").iterdir() if not p.name.endswith(".lock"))
    assert files == ["02_bad.failed.ipynb", "failed-run"]  # no file that looks like a finished run


def test_a_failed_run_leaves_the_last_good_run_whole_and_sets_its_own_files_apart(tmp_path, monkeypatch, make_notebook, capfd):
    monkeypatch.setenv("MODGAP_SMOKE", "0")
    body = ("import pathlib\nout = pathlib.Path(output_dir)\n(out / 'fig.png').write_text(f'run {x}')\n"
            "(out / f'only_{x}.csv').write_text('a')\n(out / 'cache').mkdir(exist_ok=True)\n"
            "(out / 'cache' / f'model_{x}.pt').write_text('m')\nassert x != 2, 'broken on purpose'")
    nb = make_notebook(tmp_path / "01_t.ipynb", PARAMS, body)
    out = tmp_path / "runs" / "01_t"
    run_notebook(nb, out, {"x": 1})
    with pytest.raises(NotebookFailed, match="broken on purpose"):
        run_notebook(nb, out, {"x": 2})
    assert (out / "fig.png").read_text() == "run 1"  # the good run's figure, not the failed run's
    assert not (out / "only_2.csv").exists() and (out / "only_1.csv").exists()
    assert (out / "01_t.ipynb").exists() and (out / "01_t.failed.ipynb").exists()
    assert (out / "failed-run" / "fig.png").read_text() == "run 2" and (out / "failed-run" / "only_2.csv").exists()
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["model_1.pt", "model_2.pt"]  # caches are kept
    assert not list(out.glob(".previous-run-*"))
    run_notebook(nb, out, {"x": 3})  # a good run again: no trace of the failure is left
    assert (out / "fig.png").read_text() == "run 3"
    assert not (out / "01_t.failed.ipynb").exists() and not (out / "failed-run").exists()
    # -p output_dir sends the executed notebook where the figures go
    elsewhere = tmp_path / "elsewhere"
    assert run_notebook(nb, out, {"x": 4, "output_dir": str(elsewhere)}) == elsewhere / "01_t.ipynb"
    assert (elsewhere / "fig.png").read_text() == "run 4"
    # the kernel talks over IPC, so it does not warn about TCP
    assert "without encryption" not in capfd.readouterr().err


def test_the_ledger_runs_last_and_gathering_reads_notebook_folders_of_the_run_mode(tmp_path, monkeypatch):
    import pandas as pd

    from modgap.tooling.runner import main, run_order

    names = ["00_a.ipynb", "07_claims.ipynb", "08_b.ipynb"]
    assert [p.name for p in run_order([Path(n) for n in names])] == ["00_a.ipynb", "08_b.ipynb", "07_claims.ipynb"]
    runs = tmp_path / "runs"
    for folder, v in [("03_x", 1), ("03_x-smoke", 2), ("full", 3)]:  # "full": a profile's own runs folder
        (runs / folder).mkdir(parents=True)
        pd.DataFrame({"value": [v]}).to_csv(runs / folder / "results.csv", index=False)
    assert gather_results(runs)["value"].tolist() == [1]
    assert gather_results(runs, smoke=True)["value"].tolist() == [2]
    # MODGAP_SMOKE=1 without --smoke is a smoke run: it gathers the smoke folders into results-smoke.csv
    monkeypatch.setenv("MODGAP_SMOKE", "1")
    from conftest import write_notebook

    broken = write_notebook(tmp_path / "09_broken.ipynb", "x = 1\noutput_dir = 'runs/t'", "raise ValueError('broken')")
    assert main(["--runs-dir", str(runs), str(broken)]) == 1  # the notebook fails: a failure, and the gathering still runs
    assert main(["--runs-dir", str(runs), str(tmp_path / "none.ipynb")]) == 2  # not a notebook: named, nothing run
    assert pd.read_csv(runs / "results-smoke.csv")["value"].tolist() == [2]


def test_executed_notebooks_keep_their_figures_whatever_backend_the_shell_set(tmp_path, monkeypatch, make_notebook):
    import nbformat

    monkeypatch.setenv("MODGAP_SMOKE", "0")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as make sets it
    nb = make_notebook(tmp_path / "01_fig.ipynb", PARAMS, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    out = nbformat.read(run_notebook(nb, tmp_path / "runs" / "01_fig", {}), as_version=4)
    assert any("image/png" in o.get("data", {}) for o in out.cells[-1].outputs)


def test_a_run_records_its_cpu_and_the_instructions_that_pick_its_kernels(tmp_path):
    """Trained models differ by rounding from one CPU to another, so run.json says which CPU trained them."""
    from modgap.tooling.runner import cpu_description, run_record

    info = tmp_path / "cpuinfo"
    core = "processor\t: {i}\nmodel name\t: Example CPU 9000\nflags\t\t: fpu sse2 avx2 avx512f amx_tile\n\n"
    info.write_text(core.format(i=0) + core.format(i=1))
    assert cpu_description(info) == "Example CPU 9000 (avx2, avx512f, amx_tile)"
    info.write_text("processor\t: 0\nmodel name\t: Old CPU\nflags\t\t: fpu sse2\n")
    assert cpu_description(info) == "Old CPU"
    assert cpu_description(tmp_path / "missing") is None
    assert run_record({}, 1.0, "default")["cpu"] == cpu_description()


def test_run_json_records_the_precision_training_ran_in():
    """The choice is made at run time from the parameters and the device, and recorded with the CPU's bf16."""
    import torch

    from modgap.device import native_bf16, training_precision
    from modgap.tooling.runner import run_record

    auto = "bf16" if torch.cuda.is_available() else "fp32"
    assert run_record({}, 1.0, "default")["training_precision"] == auto
    assert run_record({"device": "cpu"}, 1.0, "default")["training_precision"] == "fp32"
    assert run_record({"precision": "bf16", "device": "cpu"}, 1.0, "default")["training_precision"] == "bf16"
    assert run_record({"precision": "fp16"}, 1.0, "default")["training_precision"] is None
    assert run_record({}, 1.0, "default")["native_bf16"] == native_bf16()
    assert training_precision("auto", torch.device("cpu")) == "fp32" and training_precision("fp32", "cpu") == "fp32"
    with pytest.raises(ValueError, match="precision must be"):
        training_precision("half", "cpu")
