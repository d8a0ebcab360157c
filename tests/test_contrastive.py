import pytest
import torch

from modgap.contrastive.two_tower import TwoTowerConfig, evaluate, train_two_tower
from modgap.data import load_fashion_mnist
from modgap.data.captions import make_captions, tokenize


@pytest.fixture(scope="module")
def data():
    x, y = load_fashion_mnist()
    x, y = x[:384], y[:384]
    caps = make_captions(x, y, seed=0)
    ids, _ = tokenize(caps)
    return torch.tensor(x, dtype=torch.float32)[:, None] / 255, torch.tensor(ids), y


def test_captions_carry_class_and_attributes():
    x, y = load_fashion_mnist()
    caps = make_captions(x[:50], y[:50], seed=0)
    assert all(any(n in c for n in ("shirt", "trousers", "pullover", "dress", "coat", "sandal", "sneaker", "bag", "boot"))
               for c in caps)
    assert caps == make_captions(x[:50], y[:50], seed=0)
    assert len(set(caps)) > 20
    with pytest.raises(ValueError, match="labels"):
        make_captions(x[:5], y[:4])


def test_gap_closing_loss_shrinks_the_gap(data):
    imgs, ids, labels = data
    gaps = {}
    for variant in ("clip", "full"):
        cfg = TwoTowerConfig(variant=variant, epochs=4, batch_size=64, seed=0)
        model, res = train_two_tower(cfg, imgs, ids, progress_bar=False)
        assert res.history[-1]["loss"] < res.history[0]["loss"]
        x, y = model.embed(imgs, ids)
        ev = evaluate(x, y, labels)
        gaps[variant] = ev["gap"]
        assert ev["R@10 x→y"] > 3 * 10 / len(labels)  # trained towers retrieve well above chance (10 / N at R@10)
    assert gaps["full"] < 0.75 * gaps["clip"]


def test_every_parameter_gets_a_gradient(data):
    imgs, ids, _ = data
    from modgap.contrastive.two_tower import build_two_tower

    model = build_two_tower(TwoTowerConfig(variant="full", learnable_temperature=True), vocab_size=int(ids.max()))
    total, _ = model.loss(model.image(imgs[:32]), model.text(ids[:32]), 0.1)
    total.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []


def test_interval_estimates_of_two_tower_comparisons():
    import numpy as np

    from modgap.contrastive.intervals import estimates, pair_columns
    from modgap.metrics.per_query import PerQuery

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    centres = 4 * np.eye(6)[:3]
    x = centres[labels] + 0.3 * rng.normal(size=(60, 6))
    # four seeds: the seed level's t-quantile at 2 seeds (12.7) would make any interval uninformative
    r = PerQuery()
    for s in range(4):
        r.add("", "closed", s, **pair_columns(x, x + 0.01 * rng.normal(size=x.shape), labels, seed=s))  # no gap
        r.add("", "gapped", s, **pair_columns(x, x + 6 * np.eye(6)[5], labels, seed=s))  # captions shifted away
    one = estimates(r, "closed", n_boot=200)
    assert one["gap"].value < 0.01 and one["R@1"].value > 90 and one["V-Measure"].value == pytest.approx(100)
    assert one["gap"].n_seeds == 4 and one["gap"].n_queries == 60
    diff = estimates(r, "closed", "gapped", n_boot=200)
    assert diff["gap"].high < 0  # closing the gap: its difference lies wholly below 0
    # with a large gap KMeans splits by modality: V-Measure is far higher without it (which seeds' KMeans splits
    # how varies, so at 4 seeds the calibrated interval is wide)
    assert diff["V-Measure"].value > 20 and diff["V-Measure"].low < diff["V-Measure"].value < diff["V-Measure"].high
    short = PerQuery()
    short.add("", "closed", 0, **r["", "closed", 0])
    short.add("", "gapped", 1, **r["", "gapped", 1])
    with pytest.raises(KeyError, match="every seed needs every method"):
        estimates(short, "closed", "gapped")
    # each seed is scored against its own test pairs' classes (data drawn per seed): a seed whose labels are
    # permuted against its clusters loses its V-Measure, the others keep theirs
    mixed = PerQuery()
    mixed.add("", "closed", 0, **pair_columns(x, x + 0.01 * rng.normal(size=x.shape), rng.permutation(labels), seed=0))
    for s in range(1, 4):
        mixed.add("", "closed", s, **r["", "closed", s])
        mixed.add("", "other", s, **r["", "closed", s])
    mixed.add("", "other", 0, **r["", "closed", 0])
    assert 50 < estimates(mixed, "closed", n_boot=200)["V-Measure"].value < 90
    with pytest.raises(ValueError, match="same pairs"):
        estimates(mixed, "closed", "other", n_boot=50)
    with pytest.raises(ValueError, match="one of each per test pair"):
        pair_columns(x, x, labels[:-1], seed=0)


def test_tower_settings_follow_the_parameters_and_draw_per_seed(tmp_path):
    from dataclasses import replace
    from types import SimpleNamespace

    import numpy as np

    from modgap.contrastive.experiment import SMOKE_SIZES, settings

    P = SimpleNamespace(seed=3, n_seeds=2, epochs=5, batch_size=64, n_train=150, temperature=0.1, low_temperature=0.01,
                        text_encoder="scratch", data_draw="per-seed")
    S = settings(P, smoke=False)
    assert (S.seeds, S.epochs, S.n_train, S.n_total) == ([3, 4], 5, 150, 3000)
    assert settings(P, smoke=False, epochs=9).epochs == 9  # 08's tower_epochs
    small = settings(P, smoke=True)
    assert (small.seeds, small.epochs, small.n_train, small.n_total) == ([3], SMOKE_SIZES["epochs"], 256, 512)
    S = replace(S, n_total=200)
    draws = S.draws()
    assert [d.seed for d in draws.values()] == [3, 4] and not np.array_equal(draws[3].labels, draws[4].labels)
    fixed = replace(S, data_draw="fixed").draws()
    assert fixed[3] is fixed[4] and fixed[4].seed == 3  # one draw, shared
    jobs = S.jobs(draws, tmp_path)
    assert list(jobs)[:2] == [(next(iter(S.methods())), 3), (next(iter(S.methods())), 4)]
    assert len(jobs) == 2 * len(S.methods())
    assert all(j["cfg"].seed == s and j["data"] is draws[s] and j["cfg"].epochs == 5 for (_, s), j in jobs.items())


def test_a_tower_checkpoint_is_named_by_the_captions_it_was_trained_on():
    """06 and 09 train on captions from make_captions: a model trained on other captions (the coarse detail, another
    template seed) must not load in place of one trained on these."""
    import numpy as np

    from modgap.contrastive.two_tower import TwoTowerConfig, checkpoint_name
    from modgap.data.captions import captions_digest, make_captions

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (20, 28, 28)).astype(np.uint8), np.arange(20) % 10
    names = {checkpoint_name(TwoTowerConfig(), n_train=20, data_seed=0, captions=captions_digest(make_captions(images, labels, **kw)))
             for kw in ({}, {"detail": "coarse"}, {"seed": 1}, {})}
    assert len(names) == 3  # the same captions twice give the same name; each change a new one


def test_procrustes_is_fitted_where_it_is_determined():
    """In k < pairs principal directions the rotation is unique: the same whatever the order of the train pairs
    (in all dimensions, with fewer pairs than dimensions, it was not), and a known rotation inside the subspace is
    recovered."""
    import numpy as np
    import pytest

    from modgap.contrastive.post_hoc import _procrustes_map, procrustes, procrustes_dims
    from modgap.metrics.normalize import l2_normalize

    rng = np.random.default_rng(0)
    d, n = 32, 60
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0][:, :4]  # the data live near a 4-dimensional subspace
    x = l2_normalize(rng.normal(size=(n, 4)) @ basis.T + 0.01 * rng.normal(size=(n, d)))
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    rot = np.eye(d) + basis @ (q - np.eye(4)) @ basis.T  # a rotation inside that subspace
    y = l2_normalize(x @ rot)
    m = _procrustes_map(x, y, 4)
    assert np.allclose(l2_normalize(x @ m), y, atol=0.05)
    perm = rng.permutation(n)
    assert np.allclose(_procrustes_map(x[perm], y[perm], 4), m, atol=1e-10)  # determined: order does not matter
    with pytest.raises(ValueError, match="not determined"):
        _procrustes_map(x[:4], y[:4], 4)
    k = procrustes_dims(x, y)
    assert k < 0.8 * n and procrustes(x, y).dims == k


def test_two_tower_methods_are_records_and_comparisons_go_by_name():
    """A method of 05 names the method it is compared with, so the pairs never depend on the rows' order."""
    from dataclasses import replace

    from modgap.contrastive import experiment as ex

    methods = ex.gap_closing_methods(0.1, 0.01)
    pairs = ex.regimes(0.1, 0.01)
    assert list(pairs) == ["τ = 0.1", "τ = 0.01", "learned τ"]
    for new, ref in pairs.values():
        a, b = methods[new], methods[ref]
        assert (a.variant, b.variant) == ("full", "clip")
        assert (a.temperature, a.learned, a.regime) == (b.temperature, b.learned, b.regime)
    assert ex.reference_method(0.1, 0.01, "learned") == "CLIP (learned τ)"
    # a row inserted first (as a list edit would) changes no pairing: comparisons are read from the records
    extra = replace(methods["+ L_ATP only (α = 1)"], name="+ something new")
    reordered = {extra.name: extra, **methods}
    got = {m.regime: (m.name, m.compared_with) for m in reordered.values() if m.compared_with}
    assert [got[r] for r in ex.REGIMES] == list(pairs.values())


def test_tower_embeddings_do_not_depend_on_the_callers_thread_count():
    """05's and 06's evaluation ran on the kernel's threads, so two reruns differed in the 9th digit; embed now runs
    on one thread, as training does."""
    import torch

    from modgap.contrastive.two_tower import TwoTowerConfig, build_two_tower

    model = build_two_tower(TwoTowerConfig(variant="clip", seed=0), text_dim=384)
    g = torch.Generator().manual_seed(0)
    images, text = torch.rand(300, 1, 28, 28, generator=g), torch.randn(300, 384, generator=g)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        a = model.embed(images, text)
        torch.set_num_threads(1)
        b = model.embed(images, text)
    finally:
        torch.set_num_threads(before)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert torch.get_num_threads() == before
