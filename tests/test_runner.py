import pytest

from modgap.tooling.params import ParameterError
from modgap.tooling.runner import NotebookFailed, check_known, gather_results, numbered_notebooks, run_notebook


PARAMS = "x = 1\noutput_dir = 'runs/t'"


def test_every_numbered_notebook_has_a_parameters_cell():
    nbs = numbered_notebooks()
    assert [n.name[:2] for n in nbs][:2] == ["00", "01"]
    for nb in nbs:
        check_known(nb, {"seed": 0, "output_dir": "x"})


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
    files = sorted(p.name for p in (tmp_path / "runs" / "02_bad").iterdir())
    assert files == ["02_bad.failed.ipynb"]  # no file that looks like a finished run
