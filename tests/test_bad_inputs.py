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
    ("03_marrnet_vs_baselines", {"precision": "fp16"}, r"precision.*fp16"),
    ("05_closing_the_gap", {"data_draw": "random"}, r"data_draw.*random"),
    ("07_claims", {"reference": "/etc/passwd"}, r"reference /etc/passwd: not a claims table"),
    ("07_claims", {"reference": "notebooks"}, r"reference .*notebooks: a folder, not a reference claims table"),
    ("09_real_models", {"embeddings_dir": "/nonexistent-modgap"}, r"embeddings_dir '/nonexistent-modgap' .*does not exist"),
    ("09_real_models", {"embeddings_dir": "docs"}, r"embeddings_dir 'docs' .*lacks features_clip.npy"),
]


@pytest.mark.parametrize("name, params, message", NOTEBOOK_CASES, ids=[f"{n}-{next(iter(p))}-{i}" for i, (n, p, _) in enumerate(NOTEBOOK_CASES)])
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
    import test_run_folders

    # the run-folder cases: SIGKILL then another rerun, checksums, a second runner, two notebooks, SIGTERM and Ctrl-C
    folder_cases = len([t for t in dir(test_run_folders) if t.startswith("test_")]) + 1
    total = (len(NOTEBOOK_CASES) + len(CASE_NAMES) + len(RUNNER_CASES) + len(RUNNER_PATH_CASES) + len(SWEEP_CASES)
             + len(AUDIT_CASES) + len(NINE_FILES) + 2 + 1 + folder_cases)  # + 1e300 and 1e-200, an unknown sweep metric
    assert total >= 150, total
    section = (REPO_ROOT / "docs" / "troubleshooting.md").read_text()
    for _, params, _ in NOTEBOOK_CASES:
        assert re.search(re.escape(next(iter(params))), section), params
    for case in [*CASE_NAMES, *RUNNER_PATH_CASES, *SWEEP_CASES, *AUDIT_CASES]:
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


# ------------------------------------------------------------------------------------------------------------------
# Paths, profiles, sweeps and the audit's command line: every place a path or setting enters is checked before any
# work starts. Each case runs the command as a user types it, in a folder of its own that holds an earlier run's
# results, and asserts the named error (exit 2), that those results are byte-identical afterwards, that nothing
# new appeared in the repository root and that no folder was made where the bad path pointed.
NB00 = "notebooks/00_quickstart.ipynb"
NB09 = "notebooks/09_real_models.ipynb"
# case: (command-line arguments; files to make first ({name: text}); what stderr must say). {runs} is the case's runs
# folder (holding an earlier run), {tmp} its own folder, {p} a profile made from files["p.yaml"].
RUNNER_PATH_CASES = {
    "path: -p output_dir . (the repository root)": (["-p", "output_dir", ".", NB00], {}, r"output_dir '\.' resolves to .*inside the repository but not under runs/"),
    "path: -p output_dir ../../x (outside the repository)": (["-p", "output_dir", "../../x", NB00], {}, r"output_dir '\.\./\.\./x' resolves to .*outside the runs folder"),
    "path: -p output_dir notebooks (a tracked folder)": (["-p", "output_dir", "notebooks", NB00], {}, r"inside the repository but not under runs/"),
    "path: -p output_dir modgap/x (inside the package)": (["-p", "output_dir", "modgap/x", NB00], {}, r"inside the repository but not under runs/"),
    "path: -p output_dir runs/../data (out of runs/ by ..)": (["-p", "output_dir", "runs/../data", NB00], {}, r"resolves to .*/data, inside the repository"),
    "path: -p output_dir README.md (a tracked file)": (["-p", "output_dir", "README.md", NB00], {}, r"output_dir 'README.md' is a file"),
    "path: -p output_dir /etc (a system folder)": (["-p", "output_dir", "/etc", NB00], {}, r"output_dir '/etc' resolves to /etc, outside the runs folder"),
    "path: -p output_dir ~/x (home, outside the runs folder)": (["-p", "output_dir", "~/modgap-x", NB00], {}, r"outside the runs folder"),
    "path: -p output_dir {tmp}/elsewhere (outside --runs-dir)": (["-p", "output_dir", "{tmp}/elsewhere", NB00], {}, r"elsewhere' resolves to .*outside the runs folder"),
    "path: -p output_dir a file in the runs folder": (["-p", "output_dir", "{runs}/00_quickstart/results.csv", NB00], {}, r"results.csv' is a file"),
    "path: -p output_dir 5 (not a folder name)": (["-p", "output_dir", "5", NB00], {}, r"output_dir must be a folder \(text\), got 5"),
    "path: -p output_dir [a, b] (a list)": (["-p", "output_dir", "[a, b]", NB00], {}, r"output_dir must be a folder \(text\)"),
    "path: -p output_dir '  ' (blank)": (["-p", "output_dir", "  ", NB00], {}, r"output_dir is empty"),
    "path: -p models_dir ../../m (outside)": (["-p", "models_dir", "../../m", "notebooks/03_marrnet_vs_baselines.ipynb"], {}, r"models_dir '\.\./\.\./m' resolves to .*outside"),
    "path: -p models_dir . (the repository root)": (["-p", "models_dir", ".", "notebooks/03_marrnet_vs_baselines.ipynb"], {}, r"models_dir '\.' resolves to .*inside the repository"),
    "path: -p models_dir data (a tracked folder)": (["-p", "models_dir", "data", "notebooks/04_occlusion.ipynb"], {}, r"models_dir 'data' resolves to .*inside the repository"),
    "path: -p models_dir 3 (not a folder name)": (["-p", "models_dir", "3", "notebooks/03_marrnet_vs_baselines.ipynb"], {}, r"models_dir must be a folder \(text\), got 3"),
    "path: --runs-dir . (the repository root)": (["--runs-dir", ".", NB00], {}, r"--runs-dir '\.' resolves to .*inside the repository but not under runs/"),
    "path: --runs-dir notebooks": (["--runs-dir", "notebooks", NB00], {}, r"--runs-dir 'notebooks' resolves to .*inside the repository"),
    "path: --runs-dir README.md (a file)": (["--runs-dir", "README.md", NB00], {}, r"--runs-dir 'README.md' is a file"),
    "path: --runs-dir a file outside": (["--runs-dir", "{tmp}/plain.txt", NB00], {"plain.txt": "x"}, r"--runs-dir '.*plain.txt' is a file"),
    "path: --runs-dir '' (empty)": (["--runs-dir", "", NB00], {}, r"--runs-dir is empty"),
    "path: --runs-dir a symbolic link loop": (["--runs-dir", "{tmp}/loop", NB00], {"loop": "->loop"}, r"loop.*(symbolic link loop|Too many levels)"),
    "path: -p embeddings_dir that does not exist (09)": (["-p", "embeddings_dir", "{tmp}/no-such-folder", NB09], {}, r"embeddings_dir .*no-such-folder.* does not exist"),
    "path: -p embeddings_dir a file (09)": (["-p", "embeddings_dir", "README.md", NB09], {}, r"embeddings_dir 'README.md' .* is a file, not a folder"),
    "path: one -p output_dir for two notebooks": (["-p", "output_dir", "{runs}/both", NB00, "notebooks/01_data_prep.ipynb"], {}, r"would send 2 notebooks into one folder"),
    "profile: runs_dir ../.. (outside the repository)": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: ../..\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"profile .*runs_dir '\.\./\.\.' resolves to .*outside"),
    "profile: runs_dir . (the repository root)": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: .\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"runs_dir '\.' resolves to .*inside the repository"),
    "profile: runs_dir /tmp/x (absolute, outside)": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: /tmp/modgap-x\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"runs_dir '/tmp/modgap-x' resolves to .*outside"),
    "profile: runs_dir 5 (not a folder)": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: 5\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"runs_dir must be a folder under runs/ .*got 5"),
    "profile: runs_dir a list": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: [a]\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"runs_dir must be a folder under runs/"),
    "profile: a notebook's output_dir outside": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  00_quickstart: {output_dir: ../../x}\n"}, r"00_quickstart: output_dir '\.\./\.\./x' resolves to .*outside"),
    "profile: a notebook's models_dir outside": (["--profile", "{p}", "notebooks/03_marrnet_vs_baselines.ipynb"], {"p.yaml": "notebooks:\n  03_marrnet_vs_baselines: {models_dir: /tmp/m}\n"}, r"models_dir '/tmp/m' resolves to /tmp/m, outside"),
    "profile: models_dir for all notebooks in the repository": (["--profile", "{p}", "notebooks/03_marrnet_vs_baselines.ipynb"], {"p.yaml": "notebooks:\n  all: {models_dir: notebooks}\n"}, r"models_dir 'notebooks' resolves to .*inside the repository"),
    "profile: an unknown notebook name": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  05_closing_gap: {n_seeds: 5}\n"}, r"unknown notebook\(s\) '05_closing_gap' under 'notebooks:'; known: all, 00_quickstart"),
    "profile: a notebook named without its number": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  quickstart: {seed: 1}\n"}, r"unknown notebook\(s\) 'quickstart'"),
    "profile: empty file": (["--profile", "{p}", NB00], {"p.yaml": ""}, r"names no notebooks .*it would run as the default profile"),
    "profile: notebooks: {} (none)": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: runs/x\nnotebooks: {}\n"}, r"names no notebooks"),
    "profile: only a runs_dir": (["--profile", "{p}", NB00], {"p.yaml": "runs_dir: runs/x\n"}, r"names no notebooks"),
    "profile: a notebook entry that is a list": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  00_quickstart: [seed, 1]\n"}, r"notebooks.00_quickstart must be a mapping of parameter: value, got list"),
    "profile: all: 7": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  all: 7\n"}, r"notebooks.all must be a mapping of parameter: value, got int \(7\)"),
    "profile: a notebook entry left empty": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  00_quickstart:\n"}, r"notebooks.00_quickstart must be a mapping .*got NoneType"),
    "profile: notebooks: a string": (["--profile", "{p}", NB00], {"p.yaml": "notebooks: everything\n"}, r"expected 'runs_dir:' and 'notebooks:' with a mapping"),
    "profile: a list at the top": (["--profile", "{p}", NB00], {"p.yaml": "- runs_dir: x\n"}, r"expected 'runs_dir:' and 'notebooks:'"),
    "profile: a binary file": (["--profile", "{p}", NB00], {"p.yaml": b"\x89PNG\r\n\x1a\n\x00\xff"}, r"p.yaml: not a text file"),
    "profile: cell_timeout soon": (["--profile", "{p}", NB00], {"p.yaml": "cell_timeout: soon\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"cell_timeout must be a positive number of seconds, got 'soon'"),
    "profile: cell_timeout -1": (["--profile", "{p}", NB00], {"p.yaml": "cell_timeout: -1\nnotebooks:\n  00_quickstart: {seed: 1}\n"}, r"cell_timeout must be a positive number of seconds, got -1"),
    "profile: an unknown parameter for a notebook": (["--profile", "{p}", NB00], {"p.yaml": "notebooks:\n  00_quickstart: {seeed: 1}\n"}, r"unknown parameter\(s\) 'seeed'"),
    "runner: --timeout 0": (["--timeout", "0", NB00], {}, r"--timeout must be a positive"),
    "runner: a notebook that is not there": (["{tmp}/05_missing.ipynb"], {}, r"not a notebook: .*05_missing.ipynb"),
    "runner: a folder named like a notebook": (["{tmp}/06_dir.ipynb"], {"06_dir.ipynb/": ""}, r"not a notebook: .*06_dir.ipynb"),
    "runner: MODGAP_SMOKE=maybe": ([NB00, "{env:MODGAP_SMOKE=maybe}"], {}, r"MODGAP_SMOKE must be 0 or 1, got 'maybe'"),
    "runner: a profile file that is not there": (["--profile", "{tmp}/none.yaml", NB00], {}, r"unknown profile '.*none.yaml'"),
}


def _make_files(tmp_path, files):
    import os

    for name, content in files.items():
        target = tmp_path / name
        if name.endswith("/"):
            target.mkdir(parents=True)
        elif content == "->loop":
            os.symlink(target, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)


def _earlier_run(tmp_path):
    """A runs folder holding an earlier run's results, whose bytes every case must leave as they were."""
    runs = tmp_path / "runs"
    (runs / "00_quickstart").mkdir(parents=True)
    (runs / "00_quickstart" / "results.csv").write_text("metric,value\nfrom the last good run,1\n")
    return runs, {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()}


def _fill(args, tmp_path, runs):
    return [a.replace("{tmp}", str(tmp_path)).replace("{runs}", str(runs)).replace("{p}", str(tmp_path / "p.yaml"))
            for a in args if not a.startswith("{env:")]


@pytest.mark.parametrize("case", list(RUNNER_PATH_CASES))
def test_a_bad_path_or_profile_is_named_before_anything_runs(case, tmp_path, capsys, monkeypatch):
    from modgap.tooling.runner import main

    args, files, message = RUNNER_PATH_CASES[case]
    for a in args:
        if a.startswith("{env:"):
            k, v = a[5:-1].split("=", 1)
            monkeypatch.setenv(k, v)
    _make_files(tmp_path, files)
    runs, kept = _earlier_run(tmp_path)
    given = _fill(args, tmp_path, runs)
    if "--runs-dir" not in given and "--profile" not in given:
        given = ["--runs-dir", str(runs), *given]
    before_root = sorted(p.name for p in REPO_ROOT.iterdir())
    before_tmp = sorted(p.name for p in tmp_path.iterdir())
    assert main(given) == 2
    assert re.search(message, capsys.readouterr().err), case
    assert {p: p.read_bytes() for p in kept} == kept
    assert sorted(p.name for p in REPO_ROOT.iterdir()) == before_root  # nothing written into the repository root
    assert sorted(p.name for p in tmp_path.iterdir()) == before_tmp  # and no folder made where the path pointed
    assert not any(p.name.endswith("-smoke") or p.name == "both" for p in runs.iterdir())


NB05 = "notebooks/05_closing_the_gap.ipynb"
# case: (arguments after `python -m modgap.tooling.sweep`; files to make; what stderr must say). {g} is the grid made
# from files["g.yaml"], {out} the case's sweep folder (which holds an earlier sweep's table).
SWEEP_CASES = {
    "sweep: a grid file that is not there": ([NB05, "{tmp}/none.yaml"], {}, r"grid file .*none.yaml does not exist"),
    "sweep: an empty grid file": ([NB05, "{g}"], {"g.yaml": ""}, r"expected a mapping with a non-empty 'grid:'"),
    "sweep: grid: {} (empty grid)": ([NB05, "{g}"], {"g.yaml": "grid: {}\n"}, r"non-empty 'grid:'"),
    "sweep: a grid that is a folder": ([NB05, "{tmp}/gdir.yaml"], {"gdir.yaml/": ""}, r"gdir.yaml: a folder, not a grid file"),
    "sweep: a grid that is a symbolic link loop": ([NB05, "{tmp}/gl.yaml"], {"gl.yaml": "->loop"}, r"gl.yaml: a symbolic link loop"),
    "sweep: output_dir swept by the grid": ([NB05, "{g}"], {"g.yaml": "grid:\n  output_dir: [../../../x]\n"}, r"output_dir cannot be swept or fixed"),
    "sweep: output_dir fixed": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: [0]\nfixed:\n  output_dir: /tmp/x\n"}, r"output_dir cannot be swept or fixed"),
    "sweep: fixed that is not a mapping": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: [0]\nfixed: [1, 2]\n"}, r"'fixed:' must be a mapping"),
    "sweep: a metric that is not a name": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: [0]\nmetric: 5\n"}, r"metric must be a metric's name \(text\), got 5"),
    "sweep: an unknown top-level key": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: [0]\nfixd: {}\n"}, r"unknown top-level key"),
    "sweep: a grid value that is not a list": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: 0\n"}, r"grid parameter 'seed' must be a non-empty list"),
    "sweep: a grid value that is an empty list": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: []\n"}, r"grid parameter 'seed' must be a non-empty list"),
    "sweep: models_dir outside in the grid": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: [0]\n  models_dir: [../../m]\n"}, r"models_dir '\.\./\.\./m' resolves to .*outside"),
    "sweep: models_dir in the repository, fixed": ([NB05, "{g}"], {"g.yaml": "grid:\n  seed: [0]\nfixed:\n  models_dir: notebooks\n"}, r"models_dir 'notebooks' resolves to .*inside the repository"),
    "sweep: --out . (the repository root)": ([NB05, "{g}", "--out", "."], {"g.yaml": "grid:\n  seed: [0]\n"}, r"--out '\.' resolves to .*inside the repository"),
    "sweep: --out README.md (a file)": ([NB05, "{g}", "--out", "README.md"], {"g.yaml": "grid:\n  seed: [0]\n"}, r"--out 'README.md' is a file"),
    "sweep: --out notebooks": ([NB05, "{g}", "--out", "notebooks"], {"g.yaml": "grid:\n  seed: [0]\n"}, r"--out 'notebooks' resolves to .*inside the repository"),
    "sweep: a notebook that is not one": (["README.md", "{g}"], {"g.yaml": "grid:\n  seed: [0]\n"}, r"not a notebook: README.md"),
    "sweep: --jobs 0": ([NB05, "{g}", "--jobs", "0"], {"g.yaml": "grid:\n  seed: [0]\n"}, r"--jobs and --timeout must be at least 1"),
    "sweep: --timeout 0": ([NB05, "{g}", "--timeout", "0"], {"g.yaml": "grid:\n  seed: [0]\n"}, r"--jobs and --timeout must be at least 1"),
    "sweep: a binary grid file": ([NB05, "{g}"], {"g.yaml": b"\x89PNG\r\n\x1a\n\x00\xff"}, r"g.yaml: not a text file"),
    "sweep: not YAML": ([NB05, "{g}"], {"g.yaml": "grid: [unclosed\n"}, r"g.yaml: not valid YAML"),
}


@pytest.mark.parametrize("case", list(SWEEP_CASES))
def test_a_bad_sweep_is_named_before_any_run(case, tmp_path, capsys):
    from modgap.tooling.sweep import main

    args, files, message = SWEEP_CASES[case]
    _make_files(tmp_path, files)
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.csv").write_text("seed,metric,value\n0,gap,1\n")  # an earlier sweep's table
    given = [a.replace("{tmp}", str(tmp_path)).replace("{g}", str(tmp_path / "g.yaml")) for a in args]
    if "--out" not in given:
        given += ["--out", str(out)]
    before_root = sorted(p.name for p in REPO_ROOT.iterdir())
    assert main(given) == 2
    assert re.search(message, capsys.readouterr().err), case
    assert (out / "sweep.csv").read_text() == "seed,metric,value\n0,gap,1\n" and sorted(p.name for p in out.iterdir()) == ["sweep.csv"]
    assert sorted(p.name for p in REPO_ROOT.iterdir()) == before_root


def test_a_sweep_with_an_unknown_metric_keeps_its_table_and_names_the_metrics(tmp_path, capsys, make_notebook, monkeypatch):
    from modgap.tooling.sweep import main

    monkeypatch.setenv("MODGAP_SMOKE", "0")
    nb = make_notebook(tmp_path / "t.ipynb", "seed = 0\noutput_dir = 'x'",
                       "import pathlib\npathlib.Path(output_dir, 'results.csv').write_text(f'metric,value\\ngap,{seed}')")
    (tmp_path / "g.yaml").write_text("grid:\n  seed: [1]\n")
    assert main([str(nb), str(tmp_path / "g.yaml"), "--out", str(tmp_path / "sw"), "--jobs", "1", "--metric", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "metric 'nosuch' not in the results; available: ['gap']" in err and "Traceback" not in err
    assert (tmp_path / "sw" / "sweep.csv").exists()


def _features(n=30, d=8, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.normal(size=(n, d)), rng.normal(size=(n, d))]) * scale


# case: (arguments after `python -m modgap.audit`; files to make ({name: array, bytes or text}); stderr's message).
# {tmp} is the case's folder; every case's --out (unless the case gives one) holds an earlier report.
AUDIT_CASES = {
    "audit: --n-boot far beyond memory": (["{tmp}/f.npy", "--n-boot", "1000000000"], {"f.npy": _features()}, r"--n-boot 1000000000: 30 pairs would need about .* GiB .* use at most"),
    "audit: --n-boot 5": (["{tmp}/f.npy", "--n-boot", "5"], {"f.npy": _features()}, r"--n-boot 5: use at least 100"),
    "audit: --seed -1": (["{tmp}/f.npy", "--seed", "-1"], {"f.npy": _features()}, r"--seed -1: a seed is a whole number from 0"),
    "audit: --out a file": (["{tmp}/f.npy", "--out", "{tmp}/f.npy"], {"f.npy": _features()}, r"--out '.*f.npy' is a file"),
    "audit: --out the repository root": (["{tmp}/f.npy", "--out", "."], {"f.npy": _features()}, r"--out '\.' resolves to .*inside the repository"),
    "audit: --out a tracked folder": (["{tmp}/f.npy", "--out", "modgap"], {"f.npy": _features()}, r"--out 'modgap' resolves to .*inside the repository"),
    "audit: --out where nothing can be written": (["{tmp}/f.npy", "--out", "/proc/modgap-audit"], {"f.npy": _features()}, r"--out /proc/modgap-audit: cannot write there"),
    "audit: a file that is not there": (["{tmp}/none.npy"], {}, r"none.npy: no such"),
    "audit: a folder named .npy": (["{tmp}/d.npy"], {"d.npy/": ""}, r"d.npy: a folder, not a NumPy .npy file"),
    "audit: a symbolic link loop": (["{tmp}/loop.npy"], {"loop.npy": "->loop"}, r"loop.npy: a symbolic link loop"),
    "audit: a broken symbolic link": (["{tmp}/gone.npy"], {"gone.npy": "->gone"}, r"gone.npy: a broken symbolic link"),
    "audit: a text file saved as .npy": (["{tmp}/t.npy"], {"t.npy": "0.1 0.2\n0.3 0.4\n"}, r"(?s)^(?!.*(allow_pickle|unsafe)).*t.npy: not a NumPy .npy file"),
    "audit: a truncated .npy": (["{tmp}/cut.npy"], {"cut.npy": "->cut"}, r"(?s)^(?!.*(allow_pickle|unsafe)).*cut.npy: a damaged"),
    "audit: a .npy of Python objects": (["{tmp}/obj.npy"], {"obj.npy": "->object"}, r"(?s)^(?!.*(allow_pickle|unsafely|pickle.load)).*obj.npy: holds Python objects"),
    "audit: a .pt that holds code": (["{tmp}/code.pt"], {"code.pt": "->code"}, r"(?s)^(?!.*weights_only).*code.pt: holds Python objects"),
    "audit: a .npz with three arrays": (["{tmp}/three.npz"], {"three.npz": "->npz3"}, r"three.npz: holds arrays \['a', 'b', 'c'\]"),
    "audit: a second file that is not there": (["{tmp}/x.npy", "{tmp}/y.npy"], {"x.npy": _features()[0]}, r"y.npy: no such"),
    "audit: labels that are not there": (["{tmp}/f.npy", "--labels", "{tmp}/none.txt"], {"f.npy": _features()}, r"none.txt: no such labels file"),
    "audit: a NaN label": (["{tmp}/f.npy", "--labels", "{tmp}/l.npy"], {"f.npy": _features(), "l.npy": np.r_[np.nan, np.arange(29.0) % 3]}, r"l.npy: 1 labels are NaN \(first: pair 0\)"),
    "audit: a missing label in a text file": (["{tmp}/f.npy", "--labels", "{tmp}/l.txt"], {"f.npy": _features(), "l.txt": "\n".join(["a", "b", "nan"] * 10)}, r"l.txt: some labels are missing"),
    "audit: every pair its own label": (["{tmp}/f.npy", "--labels", "{tmp}/l.npy"], {"f.npy": _features(), "l.npy": np.arange(30)}, r"every pair has a class of its own \(30 classes for 30 pairs\)"),
    "audit: labels that are a folder": (["{tmp}/f.npy", "--labels", "{tmp}/ld"], {"f.npy": _features(), "ld/": ""}, r"ld: a folder, not a labels file"),
    "audit: labels as a text file named .npy": (["{tmp}/f.npy", "--labels", "{tmp}/l.npy"], {"f.npy": _features(), "l.npy": "a\nb\n"}, r"l.npy: not a NumPy .npy file"),
}


def _audit_input(target, content):
    import os

    if isinstance(content, np.ndarray):
        np.save(target, content)
    elif content == "->cut":
        np.save(target, _features())
        target.write_bytes(target.read_bytes()[:200])
    elif content == "->object":
        np.save(target, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif content == "->code":
        torch.save({"x": argparse.Namespace(payload="code")}, target)
    elif content == "->npz3":
        np.savez(target, a=np.ones((20, 4)), b=np.ones((20, 4)), c=np.ones((20, 4)))
    elif content == "->gone":
        os.symlink(target.with_name("nowhere.npy"), target)
    else:
        _make_files(target.parent, {target.name: content})


@pytest.mark.parametrize("case", list(AUDIT_CASES))
def test_a_bad_audit_command_is_named_before_the_audit_runs(case, tmp_path, capsys):
    from modgap.audit import main

    args, files, message = AUDIT_CASES[case]
    for name, content in files.items():
        _audit_input(tmp_path / name.rstrip("/"), content) if not name.endswith("/") else (tmp_path / name).mkdir()
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("an earlier report\n")
    given = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in given:
        given += ["--out", str(out)]
    given += [] if "--n-boot" in given else ["--n-boot", "100"]
    before_root = sorted(p.name for p in REPO_ROOT.iterdir())
    assert main(given) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), (case, err)
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["report.md"] and (out / "report.md").read_text() == "an earlier report\n"
    assert sorted(p.name for p in REPO_ROOT.iterdir()) == before_root


@pytest.mark.parametrize("scale", [1e300, 1e-200])
def test_huge_or_tiny_embeddings_are_audited_not_called_all_zero(scale, tmp_path, capsys):
    from modgap.audit import main

    np.save(tmp_path / "f.npy", _features(scale=scale))
    assert main([str(tmp_path / "f.npy"), "--out", str(tmp_path / "r"), "--n-boot", "100"]) == 0
    printed = capsys.readouterr()
    assert "all-zero" not in printed.err and "were not unit length" in (tmp_path / "r" / "report.md").read_text()


# a corrupt file among 09's embeddings: a named error, never NumPy's advice to load it unsafely
NINE_FILES = {"text": "0.1 0.2\n", "objects": "->object", "truncated": "->cut"}


@pytest.mark.parametrize("kind", list(NINE_FILES))
def test_a_corrupt_embeddings_file_in_09_is_named_without_unsafe_advice(kind, tmp_path, monkeypatch):
    monkeypatch.setenv("MODGAP_SMOKE", "1")
    emb = tmp_path / "emb"
    emb.mkdir()
    np.save(emb / "features_clip_random.npy", _features())
    _audit_input(emb / "features_clip.npy", NINE_FILES[kind])
    out = tmp_path / "out-smoke"
    out.mkdir()
    (out / "results.csv").write_text("metric,value\nfrom the last good run,1\n")
    with pytest.raises(NotebookFailed, match=r"features_clip.npy: (not a NumPy|holds Python objects|a damaged)") as err:
        run_notebook(REPO_ROOT / "notebooks" / "09_real_models.ipynb", tmp_path / "out",
                     {"embeddings_dir": str(emb), "models": ["clip"], "output_dir": str(tmp_path / "out")})
    assert not re.search(r"allow_pickle|unsafe|pickle.load", str(err.value))
    assert (out / "results.csv").read_text() == "metric,value\nfrom the last good run,1\n"
