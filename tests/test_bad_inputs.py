"""Bad input, as a table: each row feeds one public entry point something wrong and checks that the error
names the problem and the parameter or file — and that nothing already computed is lost or overwritten (a
previous run's results, a checkpoint). docs/troubleshooting.md lists the same cases."""
from __future__ import annotations

import argparse
import re

import numpy as np
import pytest
import torch

from modgap.parameters import ParameterError
from modgap.paths import REPO_ROOT
from modgap.tooling.runner import NotebookFailed, run_notebook

# notebook, parameters, what the error must say (a regular expression): the notebook stops in its check cell
NOTEBOOK_CASES = [
    ("00_quickstart", {"seeed": 1}, r"unknown parameter\(s\) 'seeed'"),
    ("01_data_prep", {"n_train_measurements": 12}, r"n_train_measurements < n_measurements"),
    ("01_data_prep", {"gap_samples": -5}, r"gap_samples"),
    ("02_cmunet", {"tasks": ["Raman-IR", "visible-uv"]}, r"tasks.*visible-uv"),
    ("03_marrnet_vs_baselines", {"n_seeds": 0}, r"n_seeds"),
    ("03_marrnet_vs_baselines", {"n_train_images": -3}, r"n_train_images"),
    ("04_occlusion", {"fractions": [0.1, 0.3]}, r"fractions must include 0"),
    ("04_occlusion", {"image_occlusion": "circle"}, r"image_occlusion.*circle"),
    ("05_closing_the_gap", {"temperature": "hot"}, r"temperature"),
    ("05_closing_the_gap", {"n_train": 5000}, r"n_train"),
    ("05_closing_the_gap", {"temperature": 1e-30}, r"parameter 'temperature' must be in \[0.001, 10\]"),
    ("02_cmunet", {"tasks": ["Raman-IR", "Raman-IR"]}, r"tasks.*each at most once"),
    ("09_real_models", {"models": ["clip", "siglip"]}, r"models.*siglip"),
    ("09_real_models", {"train_fraction": 0.99}, r"train_fraction"),
    ("06_anatomy_of_the_gap", {"temperatures": [0.1, -1]}, r"temperatures"),
    ("07_claims", {"reference": 5}, r"reference"),
    ("08_connecting_the_lines", {"matchers": ["cyclegan"]}, r"matchers.*cyclegan"),
    ("01_data_prep", {"images_per_class": 100000}, r"images_per_class = 100000 but the shipped subset has 300"),
    ("03_marrnet_vs_baselines", {"data_draw": "per-task"}, r"data_draw.*per-task"),
    ("05_closing_the_gap", {"data_draw": "random"}, r"data_draw.*random"),
]


@pytest.mark.parametrize("name, params, message", NOTEBOOK_CASES, ids=[f"{n}-{next(iter(p))}" for n, p, _ in NOTEBOOK_CASES])
def test_a_bad_notebook_parameter_is_named_and_the_last_results_are_kept(name, params, message, tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_SMOKE", "1")
    out = tmp_path / "out-smoke"
    out.mkdir()
    (out / "results.csv").write_text("metric,value\nfrom the last good run,1\n")
    with pytest.raises((ParameterError, NotebookFailed), match=message):
        run_notebook(REPO_ROOT / "notebooks" / f"{name}.ipynb", tmp_path / "out", {**params, "output_dir": str(tmp_path / "out")})
    assert (out / "results.csv").read_text() == "metric,value\nfrom the last good run,1\n"


def _rruff(tmp_path, text):
    from modgap.data.rruff import read_rruff_file

    p = tmp_path / "R050001.txt"
    p.write_text(text)
    return lambda: read_rruff_file(p)


def _rruff_folder(tmp_path):
    from modgap.data.rruff import load_rruff_folder

    return lambda: load_rruff_folder(tmp_path / "no-such-rruff", grid=np.arange(100.0, 200.0))


def _paired(tmp_path, corrupt: bool):
    from PIL import Image

    from modgap.data.paired_folders import load_paired_folders

    for m in ("visible", "thermal") if corrupt else ("visible",):
        (tmp_path / m / "id0").mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / m / "id0" / "a.png")
    if corrupt:
        (tmp_path / "thermal" / "id0" / "a.png").write_bytes(b"not a png at all")
    return lambda: load_paired_folders(tmp_path, ("visible", "thermal"))


def _fashion(tmp_path):
    from modgap.data import load_fashion_mnist

    (tmp_path / "fm").mkdir()
    (tmp_path / "fm" / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 6)
    return lambda: load_fashion_mnist(tmp_path / "fm", split="test")


def _grid_bytes(tmp_path, data: bytes):
    from modgap.tooling.sweep import load_grid

    p = tmp_path / "grid.yaml"
    p.write_bytes(data)
    return lambda: load_grid(p)


def _missing_grid(tmp_path):
    from modgap.tooling.sweep import load_grid

    return lambda: load_grid(tmp_path / "nosuch.yaml")


def _grid(tmp_path, text):
    from modgap.tooling.sweep import load_grid

    p = tmp_path / "grid.yaml"
    p.write_text(text)
    return lambda: load_grid(p)


def _tiny_fit(ckpt, X=None):
    from modgap.training import fit

    net = torch.nn.Linear(3, 1)
    X = torch.randn(8, 3) if X is None else X

    def step(idx, progress):
        return net(X[idx]).pow(2).mean(), {}

    return lambda: fit({"net": net}, step, len(X), epochs=1, batch_size=4, checkpoint=ckpt, progress_bar=False)


def _truncated_checkpoint(tmp_path):
    ckpt = tmp_path / "model.pt"
    _tiny_fit(tmp_path / "good.pt")()  # a real checkpoint, cut short as by a full disk
    ckpt.write_bytes((tmp_path / "good.pt").read_bytes()[:100])
    return _tiny_fit(ckpt), ckpt


def _foreign_checkpoint(tmp_path):
    from modgap.training import fit

    ckpt = tmp_path / "model.pt"
    other = torch.nn.Linear(5, 2)  # another model's weights under the expected name
    fit({"net": other}, lambda idx, p: (other(torch.randn(len(idx), 5)).pow(2).mean(), {}), 8, 1, 4, checkpoint=ckpt,
        progress_bar=False)
    return _tiny_fit(ckpt), ckpt


def _sub(tmp_path, name):
    (tmp_path / name).mkdir(parents=True, exist_ok=True)
    return tmp_path / name


def _checkpoint_case(make):
    def case(tmp_path):
        call, ckpt = make(_sub(tmp_path, "ckpt"))
        return call, {ckpt: ckpt.read_bytes()}
    return case


def _pickled_code_checkpoint(tmp_path):
    ckpt = tmp_path / "model.pt"
    torch.save({"modules": {"net": argparse.Namespace(payload="code")}}, ckpt)  # loads only with weights_only=False
    return _tiny_fit(ckpt), ckpt


def _two_bad_matchers(tmp_path):
    from modgap.matching.experiment import job_checkpoint, train_all
    from modgap.matching.tasks import load_task

    T = load_task("visible-thermal", n_train_images=8, n_test_images=4)
    jobs = [dict(T=T, method="siamese", seed=s, epochs=1, ckpt_dir=tmp_path) for s in (0, 1, 2)]
    bad = {}
    for j in jobs[:2]:  # two of three checkpoints damaged: both are named at once, and nothing trains
        p = job_checkpoint(j)
        p.write_bytes(b"not a checkpoint")
        bad[p] = p.read_bytes()
    return (lambda: train_all(jobs, workers=1, progress_bar=False)), bad


def _corrupt_results(tmp_path):
    from modgap.tooling.runner import gather_results

    (tmp_path / "03_marrnet_vs_baselines").mkdir()
    csv = tmp_path / "03_marrnet_vs_baselines" / "results.csv"
    csv.write_bytes(b'task,method,value\n"unclosed,quote\n\xff\xfe\x00')
    return (lambda: gather_results(tmp_path)), {csv: csv.read_bytes()}


def _audit_file(tmp_path, array, name="pairs.npy"):
    from modgap.audit import load_pairs

    p = tmp_path / name
    if isinstance(array, bytes):
        p.write_bytes(array)
    else:
        np.save(p, array)
    return (lambda: load_pairs(p)), {p: p.read_bytes()}


def _audit_labels(tmp_path):
    from modgap.audit import load_labels

    p = tmp_path / "labels.txt"
    p.write_text("cat\ndog\ncat\n")
    return (lambda: load_labels(p, 20)), {p: p.read_bytes()}


def _audit_two_files(tmp_path):
    from modgap.audit import load_pairs

    rng = np.random.default_rng(0)
    a, b = tmp_path / "images.npy", tmp_path / "texts.npy"
    np.save(a, rng.normal(size=(20, 8)))
    np.save(b, rng.normal(size=(15, 8)))
    return (lambda: load_pairs(a, b)), {a: a.read_bytes(), b: b.read_bytes()}


def _nan_batch():
    x = torch.randn(8, 3)
    x[2, 1] = float("nan")
    return x


def _matcher(a, b, ids):
    from modgap.matching.methods import MatchConfig, train_matcher

    return lambda: train_matcher(MatchConfig(method="siamese", dim=1), a, b, ids, progress_bar=False)


# case: (builds the call in a folder of its own -> (call, {file: bytes that must survive}), what the error must say)
CASES = {
    "rruff: truncated file": (lambda d: (_rruff(d, "##NAMES=x\n100, 1.0\n"), {}), r"R050001.txt: fewer than two data points"),
    "rruff: garbage line": (lambda d: (_rruff(d, "100, 1.0\n101, abc\n102, 2.0\n"), {}), r"R050001.txt:2: not numbers"),
    "rruff: NaN or infinite intensity": (lambda d: (_rruff(d, "100, 1.0\n101, nan\n102, inf\n"), {}),
                                         r"R050001.txt:2: not a finite number"),
    "rruff: missing folder": (lambda d: (_rruff_folder(d), {}), r"RRUFF folder .*no-such-rruff does not exist"),
    "paired folders: a modality is missing": (lambda d: (_paired(d, corrupt=False), {}), r"has no folder 'thermal'"),
    "paired folders: a corrupt image": (lambda d: (_paired(d, corrupt=True), {}), r"a.png: cannot decode image"),
    "fashion-mnist: a truncated IDX file": (lambda d: (_fashion(d), {}), r"t10k-images-idx3-ubyte"),
    "sweep grid: not YAML": (lambda d: (_grid(d, "grid: [unclosed\n"), {}), r"grid.yaml: not valid YAML"),
    "sweep grid: a value that is not a list": (lambda d: (_grid(d, "grid:\n  seed: 3\n"), {}),
                                               r"grid parameter 'seed' must be a non-empty list"),
    "sweep grid: a parameter both swept and fixed": (lambda d: (_grid(d, "grid:\n  seed: [1, 2]\nfixed:\n  seed: 3\n"), {}),
                                                     r"\['seed'\] are both in 'grid' and 'fixed'"),
    "checkpoint: truncated": (_checkpoint_case(_truncated_checkpoint), r"(?s)checkpoint .*model.pt cannot be used.*delete it"),
    "checkpoint: another model's": (_checkpoint_case(_foreign_checkpoint), r"(?s)checkpoint .*model.pt cannot be used.*delete it"),
    # PyTorch's own message advises weights_only=False, which would run code from the file: it must not be passed on
    "checkpoint: a file that holds code": (_checkpoint_case(_pickled_code_checkpoint),
                                           r"(?s)^(?!.*weights_only).*model.pt cannot be used \(UnpicklingError: not a checkpoint"),
    "checkpoint: several damaged at once": (_two_bad_matchers, r"(?s)2 checkpoint\(s\) cannot be used.*nothing was trained"),
    "results table: a corrupt results.csv in a finished run": (_corrupt_results,
                                                              r"results.csv is not a readable results table.*run 03_marrnet"),
    "sweep grid: a binary file": (lambda d: (_grid_bytes(d, b"\x89PNG\r\n\x1a\n\x00\xff"), {}), r"grid.yaml: not a text file"),
    "audit: fewer than 10 pairs": (lambda d: _audit_file(d, np.random.default_rng(0).normal(size=(2, 5, 8))), r"pairs.npy.*10"),
    "audit: NaN in the embeddings": (lambda d: _audit_file(d, np.full((2, 20, 8), np.nan)), r"pairs.npy.*(NaN|finite)"),
    "audit: an unknown format": (lambda d: _audit_file(d, b"a,b\n1,2\n", "pairs.csv"), r"pairs.csv"),
    "audit: labels for another number of pairs": (_audit_labels, r"labels.txt: 3 labels for 20 pairs"),
    "audit: two files with different pair counts": (_audit_two_files, r"(?s)20.*15|15.*20"),
    "sweep grid: a file that is not there": (lambda d: (_missing_grid(d), {}), r"grid file .*nosuch.yaml does not exist"),
    "batch: NaN in the data": (lambda d: (_tiny_fit(None, _nan_batch()), {}), r"the loss became nan at epoch 1"),
    "batch: no training pairs": (lambda d: (_matcher(torch.zeros(0, 1, 32), torch.zeros(0, 1, 32), torch.zeros(0, dtype=torch.long)), {}),
                                 r"no training pairs"),
    "matcher: a and b of different lengths": (lambda d: (_matcher(torch.zeros(4, 1, 32), torch.zeros(3, 1, 32), torch.arange(4)), {}),
                                              r"same length, got 4, 3, 4"),
}
CASE_NAMES = list(CASES)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_bad_file_checkpoint_or_batch_is_named_and_nothing_is_overwritten(case, tmp_path):
    build, message = CASES[case]
    call, kept = build(tmp_path)
    with pytest.raises((ValueError, FileNotFoundError, RuntimeError, FloatingPointError, ParameterError), match=message):
        call()
    for path, content in kept.items():  # a checkpoint that cannot be used is left for the user to look at
        assert path.read_bytes() == content, path


RUNNER_CASES = {
    "runner: a path that is not a notebook": (["README.md"], r"not a notebook: README.md"),
    "runner: a negative timeout": (["--timeout", "-5", "notebooks/00_quickstart.ipynb"], r"--timeout must be a positive"),
    "runner: an empty output_dir": (["-p", "output_dir", "", "notebooks/00_quickstart.ipynb"], r"output_dir is empty"),
    "runner: a malformed profile": (["--profile", "{bad}", "notebooks/00_quickstart.ipynb"], r"not valid YAML \(line"),
    "runner: an unknown profile": (["--profile", "nosuchprofile", "notebooks/00_quickstart.ipynb"], r"unknown profile 'nosuchprofile'"),
}


@pytest.mark.parametrize("case", list(RUNNER_CASES))
def test_the_runner_names_bad_command_lines_and_writes_nothing(case, tmp_path, capsys):
    from modgap.tooling.runner import main

    args, message = RUNNER_CASES[case]
    bad = tmp_path / "bad.yaml"
    bad.write_text("runs_dir: x\nnotebooks: {00_quickstart: [\n")
    before = sorted(p.name for p in REPO_ROOT.iterdir())
    assert main([a.replace("{bad}", str(bad)) for a in args]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert sorted(p.name for p in REPO_ROOT.iterdir()) == before  # nothing written into the repository root


def test_the_table_is_long_enough_and_the_troubleshooting_page_lists_it():
    assert len(NOTEBOOK_CASES) + len(CASE_NAMES) + len(RUNNER_CASES) >= 50
    section = (REPO_ROOT / "docs" / "troubleshooting.md").read_text()
    for _, params, _ in NOTEBOOK_CASES:
        assert re.search(re.escape(next(iter(params))), section), params
    for case in CASE_NAMES:
        assert case.split(":")[0] in section, case


@pytest.mark.parametrize("errno_name, advice", [("ENOSPC", "the disk is full"), ("EROFS", "the file system is read-only"),
                                                ("EACCES", "permission denied")])
def test_a_full_disk_or_a_read_only_folder_is_named_and_the_previous_file_kept(errno_name, advice, tmp_path, monkeypatch):
    # as root, permissions cannot make a folder unwritable here, so the failing write is simulated where it would fail
    import errno
    import os

    from modgap.io import write_csv

    target = tmp_path / "results.csv"
    target.write_text("metric,value\nfrom the last good run,1\n")

    def refuse(fd):
        raise OSError(getattr(errno, errno_name), os.strerror(getattr(errno, errno_name)))

    monkeypatch.setattr(os, "fsync", refuse)
    import pandas as pd

    with pytest.raises(OSError, match=rf"cannot write {re.escape(str(target))}: {advice}.*previous results.csv.*unchanged"):
        write_csv(target, pd.DataFrame({"metric": ["new"], "value": [2]}))
    assert target.read_text() == "metric,value\nfrom the last good run,1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]  # no temporary file left behind


def test_ctrl_c_says_it_stopped_and_that_a_rerun_resumes(monkeypatch, capsys):
    from modgap.tooling import runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_run_all", interrupted)
    assert runner.main(["notebooks/00_quickstart.ipynb"]) == 130
    err = capsys.readouterr().err
    assert "stopped (Ctrl-C)" in err and "run the same command again to resume" in err and "Traceback" not in err


def test_an_unknown_parameter_leaves_no_empty_run_folder(tmp_path):
    from modgap.tooling.runner import run_notebook

    with pytest.raises(ParameterError, match="unknown parameter"):
        run_notebook(REPO_ROOT / "notebooks" / "00_quickstart.ipynb", tmp_path / "out", {"seeed": 1})
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_value_too_long_for_a_folder_name_gets_a_short_unique_one():
    from modgap.tooling.sweep import MAX_RUN_NAME, run_name

    long_a, long_b = {"note": "x" * 400, "seed": 0}, {"note": "x" * 400, "seed": 1}
    a, b = run_name(long_a), run_name(long_b)
    assert len(a.encode()) <= MAX_RUN_NAME and len((a + "-smoke").encode()) < 255
    assert a != b and a == run_name(dict(long_a))  # unique, and the same on a rerun (so a rerun skips it)
    assert run_name({"seed": 0, "temperature": 0.1}) == "seed=0__temperature=0.1"  # short names as before


def test_smoke_as_a_parameter_is_the_same_smoke_run_and_regathers_its_table(tmp_path, monkeypatch):
    from modgap.tooling.runner import main

    monkeypatch.delenv("MODGAP_SMOKE", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert main(["-p", "smoke", "True", "--runs-dir", str(tmp_path), "notebooks/00_quickstart.ipynb"]) == 0
    assert (tmp_path / "00_quickstart-smoke" / "00_quickstart.ipynb").exists()
    assert (tmp_path / "results-smoke.csv").exists() and not (tmp_path / "results.csv").exists()
