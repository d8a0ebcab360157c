"""modgap.audit: known answers on synthetic pairs, every bad input named, the CLI as the README gives it, and
the real CLIP features of Liang et al. when they are present (data/external/modality-gap, linked by .ci/run)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from modgap.audit import AuditInputError, audit, check_pairs, compare_closers, load_pairs, main
from modgap.paths import EMBEDDINGS_DIR, REPO_ROOT

CLIP = EMBEDDINGS_DIR / "features_clip.npy"
needs_clip = pytest.mark.skipif(not CLIP.is_file(), reason=f"real CLIP features not at {CLIP} (see README)")


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def gapped_pairs(rng, n=300, d=16, offset=0.0, noise=0.3):
    """x = u + offset·e0, y = u + noise·ε − offset·e0 (then normalised): the offset makes the gap."""
    u = rng.normal(size=(n, d))
    e0 = np.eye(d)[0]
    return unit(u + offset * e0), unit(u + noise * rng.normal(size=(n, d)) - offset * e0)


def test_known_answers_on_synthetic_pairs(rng):
    # identical modalities: no gap, cosine 1, perfect retrieval, chance separability, the cones agree
    x = unit(rng.normal(size=(200, 8)))
    r = audit(x, x, n_boot=200).estimates
    assert r["centroid gap"].value == pytest.approx(0, abs=1e-12)
    assert r["true-pair cosine"].value == pytest.approx(1)
    assert r["R@1 x→y"].value == 1 and r["R@1 y→x"].value == 1
    assert r["separability (domain-classifier accuracy)"].value < 0.6
    assert r["cone of x (mean cosine, i≠j)"].value == pytest.approx(r["cone of y (mean cosine, i≠j)"].value)
    # the cone equals the brute-force mean over i != j
    s = x @ x.T
    assert r["cone of x (mean cosine, i≠j)"].value == pytest.approx((s.sum() - 200) / (200 * 199))
    # a gap along one axis: it sits in that dimension, the classifier separates, the interval holds the value
    x, y = gapped_pairs(rng, offset=3.0)
    r = audit(x, y, n_boot=300).estimates
    assert r["centroid gap"].value == pytest.approx(np.linalg.norm(x.mean(0) - y.mean(0)))
    assert r["gap share of top 1 dim"].value > 0.9
    assert r["separability (domain-classifier accuracy)"].value > 0.95
    for e in r.values():
        assert e.low <= e.value <= e.high


@pytest.mark.parametrize("offset", [0.15, 0.4])
def test_the_gap_interval_covers_the_population_gap_at_its_nominal_rate(offset):
    # population gap (from 200,000 pairs) 0.10 and 0.27; 150 pairs per audit. A small gap is where the plug-in
    # norm is biased upwards (measured with 80 audits: 0.93 and 0.95 coverage; 0.85 at a gap of 0.03)
    def draw(rng, n):
        return gapped_pairs(rng, n=n, d=8, offset=offset)

    big = draw(np.random.default_rng(99), 200_000)
    truth = np.linalg.norm(big[0].mean(0) - big[1].mean(0))
    cover = [(lambda e: e.low <= truth <= e.high)(audit(*draw(np.random.default_rng(s), 150), n_boot=300,
                                                        seed=s).estimates["centroid gap"]) for s in range(60)]
    assert 0.87 <= np.mean(cover), np.mean(cover)


def test_labels_give_clustering_scores_and_shifted_labels_do_not(rng):
    labels = np.repeat(np.arange(4), 50)
    centres = unit(rng.normal(size=(4, 16))) * 4
    x = unit(centres[labels] + rng.normal(size=(200, 16)))
    y = unit(centres[labels] + rng.normal(size=(200, 16)))
    good = audit(x, y, labels, n_boot=200).estimates
    bad = audit(x, y, rng.permutation(labels), n_boot=200).estimates
    assert good["V-Measure"].value > 0.8 and bad["V-Measure"].value < 0.1
    assert {"ARI", "NMI"} <= good.keys()


def test_closers_fit_on_train_pairs_and_close_the_held_out_gap(rng):
    x, y = gapped_pairs(rng, n=400, offset=2.0)
    t = compare_closers(x, y, n_boot=200).set_index(["closer", "metric"])
    for closer in ("mean-centring", "shift", "procrustes"):
        d = t.loc[(closer, "centroid gap")]
        assert d.after < 0.5 * d.before and d.high < 0  # the held-out gap shrinks, interval below 0
    # a rotation keeps within-modality geometry: Procrustes aligns the pairs, cosine goes up
    assert t.loc[("procrustes", "true-pair cosine")].difference > 0


@pytest.mark.parametrize("case, message", [
    ("shape", "2-D"), ("n_mismatch", "same number of pairs"), ("d_mismatch", "same dimension"),
    ("nan", "NaN or infinite"), ("few", "at least 10"), ("zero", "all-zero"), ("complex", "real numbers")])
def test_bad_arrays_get_a_named_error(rng, case, message):
    x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
    if case == "shape":
        x = x[None]
    elif case == "n_mismatch":
        y = y[:15]
    elif case == "d_mismatch":
        y = y[:, :3]
    elif case == "nan":
        y[3, 1] = np.nan
    elif case == "few":
        x, y = x[:9], y[:9]
    elif case == "zero":
        x[5] = 0
    elif case == "complex":
        x = x.astype(complex)
    with pytest.raises(AuditInputError, match=message):
        check_pairs(x, y, "test.npy")


def test_unnormalised_rows_are_normalised_and_the_report_says_so(rng):
    x, y, notes = check_pairs(3 * rng.normal(size=(20, 4)), unit(rng.normal(size=(20, 4))))
    assert np.allclose(np.linalg.norm(x, axis=1), 1) and len(notes) == 1 and "first modality" in notes[0]


def test_every_file_format_loads_and_bad_files_are_named(tmp_path, rng):
    import torch

    x, y = unit(rng.normal(size=(30, 5))), unit(rng.normal(size=(30, 5)))
    np.save(tmp_path / "both.npy", np.stack([x, y]))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "xy.npz", x=x, y=y)
    torch.save(torch.tensor(np.stack([x, y])), tmp_path / "both.pt")
    torch.save({"image": torch.tensor(x), "text": torch.tensor(y)}, tmp_path / "dict.pt")
    for args in (["both.npy"], ["x.npy", "y.npy"], ["xy.npz"], ["both.pt"], ["dict.pt"]):
        gx, gy, _ = load_pairs(*(tmp_path / a for a in args))
        assert np.allclose(gx, x) and np.allclose(gy, y), args
    (tmp_path / "e.csv").write_text("1,2\n")
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    np.save(tmp_path / "three.npy", np.stack([x, y, x]))
    np.savez(tmp_path / "many.npz", a=x, b=y, c=x)
    for args, message in ((["e.csv"], "unknown format"), (["missing.npy"], "no such .*file"),
                          (["broken.npy"], "damaged"), (["three.npy"], r"\(2, N, D\)"),
                          (["many.npz"], "expected 'x' and 'y'"), (["both.npy", "y.npy"], "2-D")):
        with pytest.raises(AuditInputError, match=message) as err:
            load_pairs(*(tmp_path / a for a in args))
        assert args[0] in str(err.value)


def test_cli_writes_the_report_and_names_a_bad_input(tmp_path, rng, capsys):
    x, y = gapped_pairs(rng, n=60, offset=1.0)
    np.save(tmp_path / "pairs.npy", np.stack([x, y]))
    np.savetxt(tmp_path / "labels.txt", np.arange(60) % 3, fmt="%d")
    out = tmp_path / "report"
    assert main([str(tmp_path / "pairs.npy"), "--labels", str(tmp_path / "labels.txt"), "--out", str(out),
                 "--closers", "all", "--n-boot", "200"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["n_pairs"] == 60 and "V-Measure" in report["estimates"] and len(report["closers"]) > 0
    assert (out / "audit.png").stat().st_size > 10_000 and "centroid gap" in (out / "report.md").read_text()
    assert main([str(tmp_path / "nothing.npy")]) == 2
    assert "nothing.npy: no such" in capsys.readouterr().err
    np.savetxt(tmp_path / "short.txt", np.arange(5), fmt="%d")
    assert main([str(tmp_path / "pairs.npy"), "--labels", str(tmp_path / "short.txt"), "--out", str(out)]) == 2
    assert main([str(tmp_path / "pairs.npy"), "--closers", "whiten", "--out", str(out)]) == 2
    assert "unknown ['whiten']" in capsys.readouterr().err


@needs_clip
def test_real_clip_known_numbers():
    x, y, notes = load_pairs(CLIP)
    assert x.shape == (500, 512) and notes == []
    r = audit(x, y, n_boot=200).estimates
    assert r["centroid gap"].value == pytest.approx(0.851, abs=0.005)
    assert r["R@1 x→y"].value == pytest.approx(0.55, abs=0.01)  # image→text: x are the images
    # mean-centring fitted on all 500 pairs and applied to them (rows renormalised) closes the gap
    from modgap.contrastive.post_hoc import mean_centring
    from modgap.metrics import centroid_gap

    assert centroid_gap(*mean_centring(x, y)(x, y)) == pytest.approx(0.028, abs=0.002)


@needs_clip
def test_the_readme_audit_command_runs_as_written():
    import re

    readme = (REPO_ROOT / "README.md").read_text()
    commands = re.findall(r"^(\.venv/bin/python -m modgap\.audit .+)$", readme, re.M)
    assert commands, "the README shows no audit command"
    for cmd in commands:  # as written, from the repository root (it writes under runs/, which git ignores)
        cmd = cmd.replace(".venv/bin/python", sys.executable, 1)  # the interpreter running the tests: the same venv
        done = subprocess.run(cmd, shell=True, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        out = re.search(r"--out (\S+)", cmd).group(1)
        assert "centroid gap" in done.stdout and (REPO_ROOT / out / "report.md").is_file()


def test_the_audit_reads_clip_retrievals_layout_writes_the_means_and_flags_what_lies_outside(tmp_path, capsys):
    """clip-retrieval's shards (img_emb/img_emb_<i>.npy beside text_emb/text_emb_<i>.npy, read in the order of i),
    each modality's mean written beside the report, intervals cut to their statistic's range, and every estimate
    outside its own interval flagged in the report, the JSON and the console alike."""
    import json

    import numpy as np

    from modgap.audit import AuditInputError, audit, load_pairs, main

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(36, 8)), rng.normal(size=(36, 8))
    for sub in ("img_emb", "text_emb"):
        (tmp_path / "clip" / sub).mkdir(parents=True)
    bounds = [(0, 4), (4, 20), (20, 36)]  # shard 10 after shard 9, not between 1 and 2 as names sort
    for i, (a, b) in zip((1, 9, 10), bounds):
        np.save(tmp_path / "clip" / "img_emb" / f"img_emb_{i}.npy", x[a:b])
        np.save(tmp_path / "clip" / "text_emb" / f"text_emb_{i}.npy", y[a:b])
    gx, gy, _ = load_pairs(tmp_path / "clip")
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    assert np.allclose(gx, unit(x)) and np.allclose(gy, unit(y))
    (tmp_path / "clip" / "text_emb" / "text_emb_10.npy").unlink()
    with pytest.raises(AuditInputError, match=r"image shards \[1, 9, 10\] and text shards \[1, 9\] differ"):
        load_pairs(tmp_path / "clip")

    result = audit(x, y, n_boot=200)  # unpaired noise: a gap near 0, whose plug-in norm is biased upwards
    gap = result.estimates["centroid gap"]
    assert gap.low >= 0  # a norm's interval never goes below 0
    assert np.allclose(result.means, [unit(x).mean(0), unit(y).mean(0)])
    np.save(tmp_path / "f.npy", np.stack([x, y]))
    assert main([str(tmp_path / "f.npy"), "--out", str(tmp_path / "r"), "--n-boot", "200"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert np.allclose(np.load(tmp_path / "r" / "means.npy"), result.means)
    md = (tmp_path / "r" / "report.md").read_text()
    assert result.outside  # here the cone of y: its estimate lies outside its basic-bootstrap interval
    for name in result.outside:  # flagged the same way in every place it is shown
        assert report["estimates"][name]["outside"] and f"| {name} |" in md and " * |" in md and "* " in printed
    assert "What each measure of the gap says" in md and "separability" in report["definitions"]
