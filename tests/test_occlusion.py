import numpy as np
import pytest
import torch

from modgap.data.occluders import occlude, occlude_images, occlude_spectra
from modgap.matching.occlusion import sensitivity_map
from modgap.metrics.robustness import occlusion_auc, robustness_summary


@pytest.mark.parametrize("kind", ["random", "band", "peaks"])
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.37, 1.0])
def test_spectrum_occlusion_is_exact_and_local(kind, fraction):
    x = torch.rand(5, 1, 200, generator=torch.Generator().manual_seed(1)) + 0.1
    y, mask = occlude_spectra(x, fraction, kind, seed=3)
    assert mask.shape == x.shape
    np.testing.assert_array_equal(mask.sum(dim=(1, 2)).numpy(), [round(fraction * 200)] * 5)
    assert torch.equal(y[~mask], x[~mask])  # nothing outside the mask changes
    assert torch.all(y[mask] == 0)


def test_band_is_contiguous_and_peaks_are_the_strongest():
    x = torch.zeros(1, 1, 50)
    x[0, 0, [5, 20, 40]] = torch.tensor([3.0, 2.0, 1.0])
    _, m = occlude_spectra(x, 0.04, "peaks")  # 2 bins
    assert m[0, 0].nonzero().flatten().tolist() == [5, 20]
    _, m = occlude_spectra(x, 0.2, "band", start=7)
    assert m[0, 0].nonzero().flatten().tolist() == list(range(7, 17))
    with pytest.raises(ValueError, match="does not fit"):
        occlude_spectra(x, 0.2, "band", start=45)


@pytest.mark.parametrize("fraction", [0.0, 2 / 49, 0.5, 1.0])
def test_image_patches_exact_fraction(fraction):
    x = torch.rand(4, 1, 28, 28) + 0.1
    y, m = occlude_images(x, fraction, "patches", seed=0)
    expected = round(fraction * 49) * 16 / 784
    np.testing.assert_allclose(m.float().mean(dim=(1, 2, 3)).numpy(), expected)
    assert torch.equal(y[~m], x[~m]) and torch.all(y[m] == 0)


def test_image_square_and_errors():
    x = torch.rand(3, 1, 28, 28)
    y, m = occlude_images(x, 0.25, "square", position=(0, 0))
    assert m[0, 0, :14, :14].all() and m.sum() == 3 * 14 * 14
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        occlude(x, 1.5)
    with pytest.raises(ValueError, match="unknown image occlusion"):
        occlude_images(x, 0.1, "blur")
    with pytest.raises(ValueError, match="multiple of the cell"):
        occlude_images(torch.rand(1, 1, 30, 30), 0.1, "patches", cell=4)
    with pytest.raises(ValueError, match="spectra must be"):
        occlude_spectra(x, 0.1)


def test_robustness_summary():
    s = robustness_summary([0, 0.5], [1.0, 0.0])
    assert s["auc"] == pytest.approx(0.5) and s["drop_at_30"] == pytest.approx(0.6)
    flat = robustness_summary([0, 0.2, 0.4], [0.8, 0.8, 0.8])
    assert flat["auc"] == pytest.approx(0.8) and flat["drop_at_30"] == 0.0


def test_sensitivity_map_finds_the_informative_region():
    # features read only bins 10..19: hiding them must hurt, hiding elsewhere must not
    def embed(x):
        return torch.cat([x[:, 0, 10:20], torch.ones(len(x), 1)], 1).numpy()

    probe = torch.rand(6, 1, 60, generator=torch.Generator().manual_seed(0)) + 0.5
    m = sensitivity_map(embed, probe, embed(probe), width=5, stride=5)
    assert m[10:20].min() > 0.01 and np.abs(m[30:]).max() < 1e-9


def test_widget_builds_without_a_browser():
    ipywidgets = pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from modgap.matching.explorer import _occlude_at, explorer_figure, match_summary, occlusion_explorer
    from modgap.matching.methods import MatchConfig, Matcher
    from modgap.matching.tasks import load_task
    from modgap.metrics.identification import similarity

    T = load_task("photo-sketch", n_train_images=8, n_test_images=6)
    models = {m: Matcher(MatchConfig(method=m, dim=2, width=4, unet_base=4, embed_dim=8, w_perc=0)).eval()
              for m in ("siamese", "marrnet")}
    feats = {m: mdl.embed_all(T.gallery, "b") for m, mdl in models.items()}
    box = occlusion_explorer(T, models, feats, heat=False)
    assert isinstance(box, ipywidgets.VBox)
    dropdown, slider = box.children[0].children
    slider.value = 3  # moving a slider re-renders without error
    dropdown.value = "marrnet"
    assert "ranked" in box.children[2].value
    fig, info = explorer_figure(T, models["siamese"], feats["siamese"], 1, 0.3, 0.2)
    assert 1 <= info["rank"] <= 6 and info["gallery"] == 6
    # the true match is shown beside the top 3, with its rank and similarity, whatever its rank
    assert fig.axes[4].get_title() == f"true match: rank {info['rank']}, sim {info['true_sim']:.2f}"
    sims = similarity(models["siamese"].embed_all(_occlude_at(T.probe[1:2], 0.3, 0.2)[0], "a"), feats["siamese"])[0]
    assert info["top3_sim"] == pytest.approx(sorted(sims, reverse=True)[:3])
    assert info["true_sim"] == pytest.approx(sims[np.flatnonzero(T.gallery_ids == T.probe_ids[1])[0]])
    summary = match_summary(info)
    assert f"ranked <b>{info['rank']}</b> of 6" in summary
    assert ("identified" in summary) == (info["rank"] == 1)
    second = match_summary({**info, "rank": 3, "top3_sim": [0.9, 0.8, 0.7], "true_sim": 0.5})
    assert "2 other gallery item(s)" in second and "short by 0.40" in second
    size, row, col = box.children[1].children
    assert (row.description, col.description) == ("row", "column")
    col.value = 1.0  # the column slider moves the square sideways only


def test_the_explorers_square_moves_along_each_axis_on_its_own_and_is_drawn():
    import matplotlib

    matplotlib.use("Agg")
    from modgap.matching.explorer import _occlude_at, explorer_figure
    from modgap.matching.methods import MatchConfig, Matcher
    from modgap.matching.tasks import load_task

    x = torch.rand(1, 1, 28, 28)
    _, top_right = _occlude_at(x, 0.25, (0.0, 1.0))
    rows, cols = np.flatnonzero(top_right[0, 0].any(1)), np.flatnonzero(top_right[0, 0].any(0))
    assert rows[0] == 0 and cols[-1] == 27  # (row 0, column 1): the top-right corner, not the diagonal
    _, bottom_left = _occlude_at(x, 0.25, (1.0, 0.0))
    assert bottom_left[0, 0, 27, 0] and not bottom_left[0, 0, 0, 27]
    assert torch.equal(_occlude_at(x, 0.25, 0.5)[1], _occlude_at(x, 0.25, (0.5, 0.5))[1])  # one number: both axes
    T = load_task("photo-sketch", n_train_images=4, n_test_images=4)
    model = Matcher(MatchConfig(method="siamese", dim=2, width=4, embed_dim=8)).eval()
    fig, _ = explorer_figure(T, model, model.embed_all(T.gallery, "b"), 0, 0.25, (0.0, 1.0), heat=False)
    outline = [p for p in fig.axes[0].patches if not p.get_fill()]
    assert len(outline) == 1 and outline[0].get_edgecolor()[:3] == (1.0, 0.0, 0.0)  # a red frame around the square
    assert len(fig.axes[0].images) == 2  # the probe, and the tint over the hidden square


def test_occlusion_auc_is_the_trapezoid_mean_per_query_and_the_summary_takes_fractions_in_any_order():
    f = [0.0, 0.1, 0.3, 0.5]
    curve = np.array([0.8, 0.7, 0.4, 0.1])
    by_hand = (0.1 * (0.8 + 0.7) / 2 + 0.2 * (0.7 + 0.4) / 2 + 0.2 * (0.4 + 0.1) / 2) / 0.5
    assert occlusion_auc(f, curve) == pytest.approx(by_hand)
    assert robustness_summary(f[::-1], curve[::-1])["auc"] == pytest.approx(by_hand)
    with pytest.raises(ValueError, match="must increase"):
        occlusion_auc(f[::-1], curve[::-1])
    hits = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 0], [0, 1, 0]], float)  # (fractions, queries)
    assert np.allclose(occlusion_auc(f, hits), [occlusion_auc(f, hits[:, q]) for q in range(3)])
    assert np.allclose(occlusion_auc([0.0], hits[:1]), hits[0])  # one fraction: the clean score
    with pytest.raises(ValueError, match="increase"):
        occlusion_auc([0.0, 0.3, 0.1, 0.5], curve)
    with pytest.raises(ValueError, match="fractions"):
        occlusion_auc([0.0, 0.5], curve)


def test_occluded_rank1_starts_from_the_clean_rank1_and_has_one_row_per_fraction():
    from modgap.matching.methods import MatchConfig, Matcher
    from modgap.matching.occlusion import occluded_scores
    from modgap.matching.tasks import load_task
    from modgap.metrics.identification import per_query_scores
    from modgap.seed import seeded

    T = load_task("Raman-IR", n_train_measurements=1, n_test_measurements=1)
    with seeded(0):
        model = Matcher(MatchConfig(method="siamese", dim=1, width=4, embed_dim=8))
    hits = np.stack([q["rank1"] for q in occluded_scores(model, T, [0.0, 0.2, 0.9], "band", seed=3)])
    assert hits.shape == (3, len(T.probe)) and set(np.unique(hits)) <= {0.0, 1.0}
    clean = per_query_scores(model.embed_all(T.probe, "a"), model.embed_all(T.gallery, "b"), T.probe_ids, T.gallery_ids)
    assert np.array_equal(hits[0], clean["rank1"])
    assert hits[2].mean() <= hits[0].mean()  # 90% of every spectrum hidden: not better than clean


def test_occluded_scores_are_the_per_fraction_loop_for_every_side_and_reuse_given_features():
    from modgap.data.occluders import occlude
    from modgap.matching.methods import MatchConfig, Matcher
    from modgap.matching.occlusion import occluded_scores
    from modgap.matching.tasks import load_task
    from modgap.metrics.identification import per_query_scores
    from modgap.seed import seeded

    T = load_task("photo-sketch", n_train_images=8, n_test_images=24)
    with seeded(0):
        model = Matcher(MatchConfig(method="siamese", dim=2, width=4, embed_dim=8))
    fractions = [0.0, 0.3, 0.6]
    for side in ("probe", "gallery", "both"):  # the loop notebook 04 had: every fraction occluded, 0 included
        got = occluded_scores(model, T, fractions, "patches", seed=5, side=side)
        for f, q in zip(fractions, got):
            probe = occlude(T.probe, f, "patches", seed=5)[0] if side != "gallery" else T.probe
            gallery = occlude(T.gallery, f, "patches", seed=105)[0] if side != "probe" else T.gallery
            want = per_query_scores(model.embed_all(probe, "a"), model.embed_all(gallery, "b"), T.probe_ids, T.gallery_ids)
            assert np.array_equal(q["rank1"], want["rank1"]) and np.array_equal(q["AP"], want["AP"]), (side, f)
    assert not np.allclose(got[0]["AP"], got[2]["AP"])  # hiding 60% of both sides moves every probe's AP (untrained model)
    calls = []
    embed = model.embed_all
    model.embed_all = lambda x, m, **kw: calls.append(m) or embed(x, m, **kw)
    clean = (embed(T.probe, "a"), embed(T.gallery, "b"))
    again = occluded_scores(model, T, fractions, "patches", seed=5, clean=clean)
    assert calls == ["a", "a"]  # only the two occluded probe sets: the whole ones were given
    assert all(np.array_equal(a["AP"], b["AP"]) for a, b in zip(again, occluded_scores(model, T, fractions, "patches", seed=5)))
    with pytest.raises(ValueError, match="side must be one of"):
        occluded_scores(model, T, fractions, "patches", side="probes")


def _loop_masks(x, fraction, kind, seed, cell=4):
    """The occluders' masks as they were built before, one sample at a time (the reference for the vectorised ones)."""
    g = torch.Generator().manual_seed(seed)
    if x.dim() == 3:
        n, _, L = x.shape
        k = round(fraction * L)
        mask = torch.zeros(n, 1, L, dtype=torch.bool)
        if k:
            for i, s in enumerate(torch.randint(0, L - k + 1, (n,), generator=g).tolist()):
                mask[i, 0, s:s + k] = True
        return mask
    n, _, H, W = x.shape
    mask = torch.zeros(n, 1, H, W, dtype=torch.bool)
    if kind == "patches":
        gh, gw = H // cell, W // cell
        k = round(fraction * gh * gw)
        for i in range(n):
            for c in torch.randperm(gh * gw, generator=g)[:k].tolist():
                r, q = divmod(c, gw)
                mask[i, 0, r * cell:(r + 1) * cell, q * cell:(q + 1) * cell] = True
    else:
        s = min(round(np.sqrt(fraction * H * W)), H, W)
        if s:
            pos = zip(torch.randint(0, H - s + 1, (n,), generator=g).tolist(), torch.randint(0, W - s + 1, (n,), generator=g).tolist())
            for i, (r0, c0) in enumerate(pos):
                mask[i, 0, r0:r0 + s, c0:c0 + s] = True
    return mask


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("kind", ["patches", "square", "band"])
def test_the_vectorised_occluders_hide_exactly_what_the_per_sample_loops_hid(kind, fraction):
    """Same seed, same hidden elements: the masks (and so every occlusion result) are unchanged by vectorising."""
    x = torch.rand(37, 1, 28, 28) if kind != "band" else torch.rand(37, 1, 451)
    for seed in (0, 5):
        _, m = occlude(x, fraction, kind, seed=seed)
        assert torch.equal(m, _loop_masks(x, fraction, kind, seed)), (kind, fraction, seed)
    empty = x[:0]
    assert occlude(empty, fraction, kind)[1].shape == empty.shape
