
import pytest
import torch

from modgap.losses import mmd_loss, multi_positive_info_nce, reconstruction_loss, transformation_loss
from modgap.matching.methods import METHODS, MatchConfig, Matcher, circular_shift, train_matcher, train_perceptual_net
from modgap.models.cmunet import CMUNet
from modgap.models.extractor import FeatureExtractor
from modgap.models.layers import channels_to_space, grad_reverse, space_to_channels
from modgap.models.renderer import ModalityRenderer


@pytest.mark.parametrize("shape", [(3, 1, 901), (3, 1, 64), (2, 1, 28, 28), (2, 1, 30, 27)])
def test_cmunet_output_has_the_input_shape(shape):
    net = CMUNet(dim=len(shape) - 2, base=4)
    assert net(torch.randn(shape)).shape == shape
    with pytest.raises(ValueError, match="expects"):
        net(torch.randn(shape[1:]))


@pytest.mark.parametrize("shape", [(3, 1, 451), (2, 1, 28, 28), (2, 1, 30, 27)])
def test_folded_cmunet_keeps_shape_and_every_input_value(shape):
    net = CMUNet(dim=len(shape) - 2, base=4, fold=2)
    x = torch.randn(shape, requires_grad=True)
    y = net(x)
    assert y.shape == shape
    y.sum().backward()
    assert (x.grad != 0).float().mean() > 0.99  # every input position still reaches the output
    z = torch.randn(2, 3, *([8] * (len(shape) - 2)))
    torch.testing.assert_close(channels_to_space(space_to_channels(z, 2), 2), z)  # folding loses nothing
    assert space_to_channels(z, 2).shape[1] == 3 * 2 ** (len(shape) - 2)
    with pytest.raises(ValueError, match="fold"):
        CMUNet(dim=2, fold=3)


@pytest.mark.parametrize("shape", [(3, 1, 451), (2, 1, 30, 27)])
def test_renderer_draws_both_modalities_in_the_input_shape_and_learns_a_swap(shape):
    torch.manual_seed(0)
    R = ModalityRenderer(dim=len(shape) - 2, width=8)
    r = torch.rand(shape)
    to_a, to_b = R(r)
    assert to_a.shape == to_b.shape == shape
    # h_A and h_B are separate outputs: one can be asked for r and the other for 1 − r at once
    opt = torch.optim.Adam(R.parameters(), 1e-2)
    first = None
    for _ in range(150):
        to_a, to_b = R(r)
        loss = reconstruction_loss(to_a, to_b, r, 1 - r)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


@pytest.mark.parametrize("dim,fold", [(1, 1), (1, 2), (2, 2)])
def test_residual_cmunet_starts_as_the_identity_and_then_learns(dim, fold):
    net = CMUNet(dim=dim, base=4, residual=True, fold=fold)
    x = torch.randn(4, 1, *([50] if dim == 1 else [12, 12]))
    torch.testing.assert_close(net(x), x)
    target = torch.flip(x, dims=(-1,))
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    first = None
    for _ in range(30):
        loss = (net(x) - target).abs().mean()
        first = first if first is not None else loss.item()
        opt.zero_grad(), loss.backward(), opt.step()
    assert loss.item() < 0.8 * first  # the zero last layer still lets gradients reach every part


def test_extractor_shapes():
    assert FeatureExtractor(1, embed_dim=8)(torch.randn(4, 1, 451)).shape == (4, 8)
    assert FeatureExtractor(2, embed_dim=8)(torch.randn(4, 1, 28, 28)).shape == (4, 8)


def test_gradient_reversal():
    x = torch.ones(3, requires_grad=True)
    grad_reverse(x, 0.5).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((3,), -0.5))


def test_multi_positive_infonce_equals_infonce_for_unique_ids_and_handles_repeats():
    from modgap.losses import info_nce

    g = torch.Generator().manual_seed(0)
    fa, fb = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    nfa, nfb = torch.nn.functional.normalize(fa, dim=1), torch.nn.functional.normalize(fb, dim=1)
    torch.testing.assert_close(multi_positive_info_nce(fa, fb, torch.arange(6)), info_nce(nfa, nfb, 0.1))
    # all in one identity: every column is a match, so the loss is 0
    assert multi_positive_info_nce(fa, fb, torch.zeros(6, dtype=torch.long)).item() == pytest.approx(0.0, abs=1e-6)


def test_alignment_losses_zero_on_identical_and_positive_on_shifted():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(64, 8, generator=g)
    assert mmd_loss(f, f).item() == pytest.approx(0.0, abs=1e-6)
    assert mmd_loss(f, f + 3).item() > 0.1
    a = torch.rand(2, 1, 8)
    assert transformation_loss(a, a, a, a).item() == 0.0


@pytest.mark.parametrize("method", list(METHODS))
def test_gradients_reach_every_part(method):
    cfg = MatchConfig(method=method, dim=1, width=4, unet_base=4, embed_dim=8, n_ids=3, w_perc=0.5)
    phi = FeatureExtractor(1, width=4, stages=1, embed_dim=4) if METHODS[method].perceptual else None
    model = Matcher(cfg, phi)
    if model.G is not None:  # G's last layer starts at zero (G = identity), which blocks its inner layers until
        torch.nn.init.normal_(model.G.out.weight, std=0.1)  # the first step moves it: check as after that step
    a, b = torch.randn(6, 1, 40), torch.randn(6, 1, 40)
    trained = set()
    for progress in (0.25, 0.75):  # a two-stage method trains some parts in each half
        model.zero_grad()
        loss, parts = model.loss(a, b, torch.tensor([0, 0, 1, 1, 2, 2]), progress=progress)
        loss.backward()
        trained |= {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    dead = [n for n, _ in model.named_parameters() if n not in trained]
    assert dead == [], f"no gradient reaches {dead}"
    if method == "marrnet":
        assert {"trans", "rec", "adv", "perc", "match", "id"} <= set(parts)
        assert model.H is not None
        assert all(p.grad is None for p in phi.parameters())  # φ stays frozen
    if method == "transfer":  # its ‖T(a) − b‖₁ has its own name, not MarrNet's transformation loss "trans"
        assert "transfer" in parts and "trans" not in parts


def test_two_stage_marrnet_trains_the_bridge_first_then_only_e():
    cfg = MatchConfig(method="marrnet-2stage", dim=1, width=4, unet_base=4, embed_dim=8, w_perc=0)
    model = Matcher(cfg)
    torch.nn.init.normal_(model.G.out.weight, std=0.1)
    a, b = torch.randn(6, 1, 40), torch.randn(6, 1, 40)

    def grads(progress):
        model.zero_grad()
        loss, parts = model.loss(a, b, torch.arange(6), progress)
        loss.backward()
        has = lambda m: any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())  # noqa: E731
        return set(parts), has(model.G), has(model.E)

    assert grads(0.2) == ({"trans", "rec", "adv"}, True, False)  # stage 1: cmUNet's own losses, E untouched
    assert grads(0.7) == ({"match"}, False, True)  # stage 2: E matches on a frozen G


def test_training_lowers_the_loss_and_validates_inputs():
    g = torch.Generator().manual_seed(0)
    protos = torch.rand(4, 1, 32, generator=g)
    ids = torch.arange(4).repeat(16)
    a = protos[ids] + 0.05 * torch.randn(64, 1, 32, generator=g)
    b = 1 - protos[ids] + 0.05 * torch.randn(64, 1, 32, generator=g)  # B: an inverted rendering
    cfg = MatchConfig(method="marrnet", dim=1, epochs=6, batch_size=32, width=4, unet_base=4, embed_dim=8, n_ids=4)
    phi = train_perceptual_net(torch.cat([a, b]), torch.cat([ids, ids]), 1, 4, epochs=1)
    _, res = train_matcher(cfg, a, b, ids, phi=phi, progress_bar=False)
    assert res.history[-1]["loss"] < res.history[0]["loss"]
    with pytest.raises(ValueError, match="same length"):
        train_matcher(cfg, a, b[:10], ids, progress_bar=False)
    with pytest.raises(ValueError, match="must both be"):
        train_matcher(cfg, a[:, 0], b[:, 0], ids, progress_bar=False)
    with pytest.raises(ValueError, match="unknown method"):
        MatchConfig(method="cyclegan")


def test_tasks_have_consistent_splits():
    from modgap.matching.tasks import load_task

    t = load_task("Raman-IR", n_train_measurements=2, n_test_measurements=1)
    assert t.dim == 1 and t.a.shape == t.b.shape and t.a.shape[0] == 2 * t.n_ids
    assert set(t.probe_ids) == set(t.gallery_ids) == set(t.ids.tolist())  # closed set
    s = load_task("visible-thermal", n_train_images=30, n_test_images=20)
    assert s.a.shape == (30, 1, 28, 28) and s.probe.shape == s.gallery.shape == (20, 1, 28, 28)
    assert s.n_ids == 0 and list(s.probe_ids) == list(range(20))
    with pytest.raises(ValueError, match="unknown task"):
        load_task("photo-painting")


@pytest.mark.parametrize("method", list(METHODS))
def test_both_modalities_share_one_batchnorm_pass(method):
    """Training must not normalise each modality with its own batch statistics: at test time BatchNorm
    uses running statistics of both together, and a model that only ever saw per-modality batches
    meets a gap it was never trained on (this made every method near chance on visible–NIR)."""
    cfg = MatchConfig(method=method, dim=1, width=4, unet_base=4, embed_dim=8, w_perc=0)
    model = Matcher(cfg)
    seen = []
    for name in ("E", "G"):
        if getattr(model, name) is not None:
            getattr(model, name).register_forward_hook(lambda m, inp, out, name=name: seen.append((name, len(inp[0]))))
    a, b = torch.zeros(5, 1, 40), torch.ones(5, 1, 40)
    model.train()
    model.loss(a, b, torch.arange(5), progress=0.5)
    expected = {("a", "b"): [("G", 10), ("E", 10)], ("a",): [("G", 5), ("E", 10)], (): [("E", 10)]}[METHODS[method].through_unet]
    assert seen == expected


def _another_value(cfg, field):
    """A different valid value for one MatchConfig field."""
    v = getattr(cfg, field.name)
    if field.name == "method":
        return "mmd" if v != "mmd" else "siamese"
    if field.name == "dim":
        return 3 - v
    if field.name == "perceptual":
        return "ssim" if v == "phi" else "phi"
    if field.name == "gap_closing":
        return "atp+cu" if v != "atp+cu" else ""
    if field.name == "precision":
        return "bf16" if v != "bf16" else "auto"
    if field.name == "lr_schedule":
        return "constant" if v == "cosine" else "cosine"
    if isinstance(v, bool):
        return not v
    return v + 1 if isinstance(v, int) else v * 1.5 + 0.1


def test_checkpoint_digest_follows_every_setting_and_what_else_trained_the_model():
    import dataclasses

    base = MatchConfig(method="siamese", dim=1)
    assert base.digest() == MatchConfig(method="siamese", dim=1).digest()
    digests = {base.digest()}
    for field in dataclasses.fields(MatchConfig):
        changed = dataclasses.replace(base, **{field.name: _another_value(base, field)})
        digests.add(changed.digest())
    assert len(digests) == 1 + len(dataclasses.fields(MatchConfig))  # every field changes the digest
    assert base.digest(phi="phi-a") != base.digest(phi="phi-b") != base.digest()


def test_settings_added_later_keep_the_names_of_models_trained_before_them():
    """A MatchConfig at the defaults of the gap-closing settings has the digest it had before they existed:
    sha256 of every other field, the version and the context (so models trained then still load)."""
    import hashlib
    import json
    from dataclasses import asdict

    from modgap.matching.methods import TRAINING_VERSION

    cfg = MatchConfig(method="siamese", dim=1)
    old = {k: v for k, v in asdict(cfg).items() if k not in ("gap_closing", "w_atp", "w_cu", "patience", "val_fraction",
                                                                  "precision")}
    text = json.dumps({**old, "version": TRAINING_VERSION}, sort_keys=True)
    assert cfg.digest() == hashlib.sha256(text.encode()).hexdigest()[:8]
    assert MatchConfig(method="siamese", dim=1, gap_closing="atp").digest() != cfg.digest()
    assert MatchConfig(method="siamese", dim=1, precision="bf16").digest() != cfg.digest()
    with pytest.raises(ValueError, match="gap_closing"):
        MatchConfig(gap_closing="atp+uniformity")
    with pytest.raises(ValueError, match="precision must be one of"):
        MatchConfig(precision="fp16")


@pytest.mark.parametrize("method", ["siamese", "marrnet"])
def test_gap_closing_terms_reach_the_encoder_and_follow_the_schedules(method):
    from modgap.losses import alpha_schedule, atp_loss, beta_schedule, cu_loss

    cfg = MatchConfig(method=method, dim=1, width=4, unet_base=4, embed_dim=8, w_perc=0, gap_closing="atp+cu", w_atp=2.0)
    model = Matcher(cfg)
    a, b, ids = torch.randn(6, 1, 40), torch.randn(6, 1, 40), torch.tensor([0, 0, 1, 1, 2, 2])
    for progress in (0.1, 0.6, 0.9):
        model.zero_grad()
        model.train()
        torch.manual_seed(1)
        _, parts = model.loss(a, b, ids, progress)
        assert {"atp", "cu", "match"} <= set(parts)
        model.zero_grad()
        parts["atp"].backward(retain_graph=True)
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.E.parameters()), "L_ATP does not reach E"
        if progress < 0.7:  # β(p) is 0 from 70% on
            model.zero_grad()
            parts["cu"].backward()
            assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.E.parameters()), "L_CU does not reach E"
        # the weights are w·α(p) and w·β(p) on the normalised features of the same batch
        torch.manual_seed(1)
        ra, rb = model.G(torch.cat([model.augment(a), model.augment(b)])).chunk(2) if model.G is not None else \
            (model.augment(a), model.augment(b))
        fa, fb = torch.nn.functional.normalize(model.E(torch.cat([ra, rb])), dim=1).chunk(2)
        assert torch.allclose(parts["atp"], 2.0 * alpha_schedule(progress) * atp_loss(fa, fb), atol=1e-5)
        assert torch.allclose(parts["cu"], beta_schedule(progress) * cu_loss(fa, fb, groups=ids), atol=1e-5)


def test_gap_closing_shrinks_the_feature_gap_on_a_toy_problem():
    """B = A's identity plus a fixed modality pattern: the siamese E, trained with InfoNCE alone, keeps a gap
    between its features of A and of B; with L_ATP the centroid gap falls to less than half, and with
    L_ATP + L_CU it is still smaller than without (same seed, same data; L_CU spreads the identities and
    works partly against L_ATP here)."""
    from modgap.metrics import centroid_gap

    g = torch.Generator().manual_seed(0)
    protos = torch.rand(8, 1, 32, generator=g)
    ids = torch.arange(8).repeat(8)
    a = protos[ids] + 0.05 * torch.randn(64, 1, 32, generator=g)
    b = protos[ids] + torch.sin(torch.linspace(0, 12, 32)) + 0.05 * torch.randn(64, 1, 32, generator=g)
    gaps = {}
    for gc in ("", "atp", "atp+cu"):
        cfg = MatchConfig(method="siamese", dim=1, epochs=20, batch_size=32, width=4, embed_dim=8, seed=0, gap_closing=gc)
        model, _ = train_matcher(cfg, a, b, ids, progress_bar=False)
        gaps[gc] = centroid_gap(model.embed_all(a, "a"), model.embed_all(b, "b"))
    assert gaps["atp"] < 0.5 * gaps[""], gaps
    assert gaps["atp+cu"] < gaps[""], gaps


def test_validation_split_holds_out_unseen_identities_or_some_measurements_of_each():
    from modgap.matching.methods import validation_split

    open_ids = torch.arange(50)
    tr, va = validation_split(open_ids, 0, 0.1, seed=0)
    assert len(va) == 5 and len(tr) == 45 and not set(tr.tolist()) & set(va.tolist())
    assert torch.equal(validation_split(open_ids, 0, 0.1, seed=0)[1], va)  # seeded
    closed = torch.arange(6).repeat_interleave(10)  # 6 molecules, 10 measurements each
    tr, va = validation_split(closed, 6, 0.2, seed=1)
    assert sorted(torch.cat([tr, va]).tolist()) == list(range(60))
    assert all((closed[va] == i).sum() == 2 and (closed[tr] == i).sum() == 8 for i in range(6))
    with pytest.raises(ValueError, match="two training measurements"):
        validation_split(torch.arange(4), 4, 0.5, seed=0)


def test_a_matcher_with_early_stopping_records_validation_and_ends_at_its_best_epoch():
    g = torch.Generator().manual_seed(0)
    protos = torch.rand(8, 1, 32, generator=g)
    ids = torch.arange(8).repeat(8)
    a = protos[ids] + 0.05 * torch.randn(64, 1, 32, generator=g)
    b = 1 - protos[ids] + 0.05 * torch.randn(64, 1, 32, generator=g)
    cfg = MatchConfig(method="siamese", dim=1, epochs=12, batch_size=16, width=4, embed_dim=8, n_ids=8, patience=2,
                      val_fraction=0.25)
    model, res = train_matcher(cfg, a, b, ids, progress_bar=False)
    vals = [h["val"] for h in res.history]
    assert len(vals) == len(res.history) and 1 <= res.best_epoch <= len(vals)
    assert vals[res.best_epoch - 1] == max(vals)
    assert res.stopped_early == (len(vals) < 12)
    assert MatchConfig(method="siamese", dim=1, patience=2).digest() != MatchConfig(method="siamese", dim=1).digest()


def test_early_stopping_waits_for_the_stage_that_trains_e():
    """The two-stage MarrNet trains only G in the first half: its validation score cannot move then, so early
    stopping may not end training before E has trained for ``patience`` epochs."""
    g = torch.Generator().manual_seed(0)
    protos = torch.rand(6, 1, 32, generator=g)
    ids = torch.arange(6).repeat(6)
    a = protos[ids] + 0.05 * torch.randn(36, 1, 32, generator=g)
    b = 1 - protos[ids] + 0.05 * torch.randn(36, 1, 32, generator=g)
    cfg = MatchConfig(method="marrnet-2stage", dim=1, epochs=8, batch_size=12, width=4, unet_base=4, embed_dim=8,
                      w_perc=0, n_ids=6, patience=1, val_fraction=0.3)
    _, res = train_matcher(cfg, a, b, ids, progress_bar=False)
    assert len(res.history) >= 4 + 1  # E trains from epoch 5 (progress 0.5) on; one epoch of patience after that
    assert res.best_epoch >= 5  # the weights kept are from an epoch in which E trained
    assert all("val" not in h for h in res.history[:4]) and all("val" in h for h in res.history[4:])


@pytest.mark.parametrize("shape", [(6, 1, 451), (5, 1, 28, 28), (3, 2, 7, 9)])
def test_circular_shift_rolls_each_sample_by_its_own_offsets(shape):
    """The one-gather augmentation equals torch.roll applied sample by sample (the loop it replaced)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g)
    d = len(shape) - 2
    offsets = torch.randint(-3, 4, (shape[0], d), generator=g)
    expected = torch.stack([torch.roll(xi, tuple(o.tolist()), tuple(range(1, 1 + d))) for xi, o in zip(x, offsets)])
    assert torch.equal(circular_shift(x, offsets), expected)
    if d == 2:  # whatever the memory layout
        assert torch.equal(circular_shift(x.contiguous(memory_format=torch.channels_last), offsets), expected)
    with pytest.raises(ValueError, match=r"offsets must be \(B, "):
        circular_shift(x, offsets[:, :1].repeat(1, d + 1))


def test_image_matchers_train_channels_last_and_give_the_same_loss_in_either_layout():
    """Channels-last is a speed choice only: the loss of a batch matches the channels-first model's."""
    cfg = MatchConfig(method="marrnet", dim=2, perceptual="ssim", shift=0)
    torch.manual_seed(0)
    model = Matcher(cfg)
    assert model.E.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    a, b = torch.rand(8, 1, 28, 28), torch.rand(8, 1, 28, 28)
    torch.manual_seed(1)
    loss_cl, _ = model.loss(a, b, torch.arange(8), 0.5)
    model.to(memory_format=torch.contiguous_format)
    model.memory_format = lambda x: x.contiguous()
    torch.manual_seed(1)
    loss_cf, _ = model.loss(a, b, torch.arange(8), 0.5)
    assert torch.allclose(loss_cl, loss_cf, rtol=1e-4, atol=1e-5)


def test_each_discriminator_has_its_own_name_and_checkpoints_from_before_the_rename_load():
    """DANN's domain MLP is ``domain_classifier``; MarrNet's PatchGAN is ``D``. DANN checkpoints written when its MLP
    was ``D`` load into the renamed module, weights and all."""
    cfg = MatchConfig(method="dann", dim=1, width=4, unet_base=4, embed_dim=8, n_ids=3)
    old = {k.replace("domain_classifier.", "D.", 1) if k.startswith("domain_classifier.") else k: v + 1
           for k, v in Matcher(cfg).state_dict().items()}
    model = Matcher(cfg)
    assert model.D is None and model.domain_classifier is not None
    model.load_state_dict(old)  # strict: every key matched
    assert torch.equal(model.domain_classifier[0].weight, old["D.0.weight"])
    marrnet = Matcher(MatchConfig(method="marrnet", dim=1, width=4, unet_base=4, embed_dim=8, n_ids=3, w_perc=0))
    assert marrnet.domain_classifier is None and any(k.startswith("D.") for k in marrnet.state_dict())
