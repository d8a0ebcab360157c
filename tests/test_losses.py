import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from modgap.losses import GapClosingLoss, LearnableTemperature, alpha_schedule, atp_loss, beta_schedule, cu_loss, info_nce, uniformity


def _pairs(n=6, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = F.normalize(torch.randn(n, d, generator=g, dtype=torch.float64), dim=1)
    y = F.normalize(torch.randn(n, d, generator=g, dtype=torch.float64), dim=1)
    return x, y


def test_info_nce_matches_a_direct_computation():
    x, y = _pairs()
    tau = 0.1
    s = (x @ y.T / tau).numpy()
    row = -np.mean([s[i, i] - math.log(np.exp(s[i]).sum()) for i in range(6)])
    col = -np.mean([s[i, i] - math.log(np.exp(s[:, i]).sum()) for i in range(6)])
    assert info_nce(x, y, tau).item() == pytest.approx(0.5 * (row + col), rel=1e-10)
    # perfectly aligned, orthogonal pairs at low temperature: the loss goes to zero
    e = torch.eye(4, dtype=torch.float64)
    assert info_nce(e, e, 0.01).item() < 1e-10


def test_atp_and_cu_match_direct_computations():
    x, y = _pairs()
    assert atp_loss(x, y).item() == pytest.approx(np.mean([np.sum((x[i] - y[i]).numpy() ** 2) for i in range(6)]))
    assert atp_loss(x, x).item() == 0.0
    mu = F.normalize((x + y) / 2, dim=1).numpy()
    terms = [np.exp(-2 * np.sum((mu[i] - mu[j]) ** 2)) for i in range(6) for j in range(6) if i != j]
    assert cu_loss(x, y).item() == pytest.approx(math.log(np.mean(terms)), rel=1e-10)


def test_uniformity_prefers_spread_points():
    spread = torch.eye(4, dtype=torch.float64)
    clumped = F.normalize(torch.ones(4, 4, dtype=torch.float64) + 0.01 * torch.eye(4, dtype=torch.float64), dim=1)
    assert uniformity(spread) < uniformity(clumped)
    assert uniformity(spread).item() == pytest.approx(-4.0)  # all pairwise ‖zi − zj‖² = 2


def test_schedules():
    assert [alpha_schedule(p) for p in (0, 0.49, 0.75, 1)] == pytest.approx([1, 1, 1.5, 2])
    assert [beta_schedule(p) for p in (0, 0.19, 0.45, 0.7, 1)] == pytest.approx([1, 1, 0.5, 0, 0])
    with pytest.raises(ValueError, match="progress"):
        alpha_schedule(1.2)


@pytest.mark.parametrize("variant", ["clip", "full", "atp", "cu", "atp+cu", "atp-w1", "cu-w1"])
def test_every_variant_has_gradients_for_both_towers(variant):
    x = torch.randn(8, 5, requires_grad=True)
    y = torch.randn(8, 5, requires_grad=True)
    loss = GapClosingLoss(variant, learnable_temperature=variant == "clip")
    total, parts = loss(x, y, progress=0.3)
    total.backward()
    assert x.grad.abs().sum() > 0 and y.grad.abs().sum() > 0
    expected = {"clip": {"nce"}, "full": {"nce", "atp", "cu"}, "atp": {"nce", "atp"}, "cu": {"nce", "cu"},
                "atp+cu": {"atp", "cu"}, "atp-w1": {"nce", "atp"},
                "cu-w1": {"nce", "cu"}}[variant]
    assert set(parts) == expected
    if variant == "clip":
        assert loss.learned_temperature.log_scale.grad is not None


def test_full_loss_is_infonce_plus_scheduled_atp_and_cu_computed_by_hand():
    x, y = _pairs(seed=1)
    xn = (x / x.norm(dim=1, keepdim=True)).double().numpy()
    yn = (y / y.norm(dim=1, keepdim=True)).double().numpy()
    n = len(xn)
    logits = xn @ yn.T / 0.1
    logsm = lambda m: m - np.log(np.exp(m).sum(1, keepdims=True))  # noqa: E731
    nce = -0.5 * (np.diag(logsm(logits)).mean() + np.diag(logsm(logits.T)).mean())
    atp = ((xn - yn) ** 2).sum(1).mean()
    mu = (xn + yn) / np.linalg.norm(xn + yn, axis=1, keepdims=True)
    sq = ((mu[:, None] - mu[None]) ** 2).sum(-1)
    cu = np.log(np.exp(-2 * sq)[~np.eye(n, dtype=bool)].mean())
    # the paper's schedules at p = 0.1, 0.6, 0.9: α = 1, 1.2, 1.8 and β = 1, 0.2, 0 (β falls 1 → 0 over p ∈ [0.2, 0.7])
    for p, alpha, beta in ((0.1, 1.0, 1.0), (0.6, 1.2, 0.2), (0.9, 1.8, 0.0)):
        total, parts = GapClosingLoss("full")(x, y, p)
        assert total.item() == pytest.approx(nce + alpha * atp + beta * cu, rel=1e-4)
    assert GapClosingLoss("clip")(x, y, 0.6)[0].item() == pytest.approx(nce, rel=1e-4)
    assert GapClosingLoss("atp")(x, y, 0.9)[0].item() == pytest.approx(nce + 1.8 * atp, rel=1e-4)
    # the peers' ablations: weight 1 whatever the progress (ispamm/ModGap)
    assert GapClosingLoss("atp-w1")(x, y, 0.9)[0].item() == pytest.approx(nce + atp, rel=1e-4)
    assert GapClosingLoss("cu-w1")(x, y, 0.9)[0].item() == pytest.approx(nce + cu, rel=1e-4)


def test_learnable_temperature_and_errors():
    t = LearnableTemperature(0.07)
    assert t().item() == pytest.approx(0.07)
    with torch.no_grad():
        t.log_scale.fill_(10.0)
    t.after_optimizer_step()  # the parameter is clamped after a step, as open_clip clamps logit_scale
    assert t().item() == pytest.approx(0.01) and t.log_scale.item() == pytest.approx(math.log(100))
    with pytest.raises(ValueError, match="must start in"):
        LearnableTemperature(1e-30)
    with pytest.raises(ValueError, match="unknown variant"):
        GapClosingLoss("clip++")
    with pytest.raises(ValueError, match="temperature"):
        GapClosingLoss("clip", temperature=0)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        info_nce(torch.zeros(3, 2), torch.zeros(4, 2))


def test_a_learned_temperature_at_its_cap_still_has_a_gradient_and_can_rise():
    # at τ = 1/100 a clamp inside forward() would give d loss / d s = 0 and lock τ there; the clamped parameter
    # keeps its gradient, and with pairs that want a softer τ (noisy ones) one SGD step raises τ off the cap
    loss = GapClosingLoss("clip", temperature=0.01, learnable_temperature=True)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 8, generator=g), torch.randn(64, 8, generator=g)  # unrelated pairs
    opt = torch.optim.SGD(loss.parameters(), lr=0.1)
    total, _ = loss(x, y, 0.5)
    total.backward()
    assert loss.learned_temperature.log_scale.grad.abs().item() > 1e-3
    opt.step()
    loss.learned_temperature.after_optimizer_step()
    assert loss.tau().item() > 0.01


def test_infonce_logits_are_fp32_under_autocast():
    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.normalize(torch.randn(256, 64, generator=g), dim=1)
    y = torch.nn.functional.normalize(x + 0.3 * torch.randn(256, 64, generator=g), dim=1)
    want = info_nce(x, y, 0.01).item()
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        got = info_nce(x, y, 0.01)
        bf16 = torch.nn.functional.cross_entropy(x @ y.T / 0.01, torch.arange(256))  # what autocast alone gives
    assert got.dtype == torch.float32 and got.item() == pytest.approx(want, rel=1e-5)
    assert abs(bf16.item() - want) / want > 1e-4  # the check can fail: bf16 logits really differ


def test_group_centroid_uniformity_is_cu_for_one_pair_per_group_and_joins_a_group():
    from modgap.losses import cu_loss, group_centroids

    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.normalize(torch.randn(6, 5, generator=g), dim=1)
    y = torch.nn.functional.normalize(torch.randn(6, 5, generator=g), dim=1)
    assert torch.allclose(cu_loss(x, y, groups=torch.tensor([5, 4, 3, 2, 1, 0])), cu_loss(x, y))  # any labels, one pair each
    groups = torch.tensor([0, 0, 1, 1, 2, 2])
    mu = group_centroids(x, y, groups)
    assert mu.shape == (3, 5)
    expected = torch.nn.functional.normalize(x[:2].sum(0) + y[:2].sum(0), dim=0)
    assert torch.allclose(mu[0], expected, atol=1e-6)
    # a hand-worked case: both modalities of group g lie on axis e_g, so the three centroids are e_0, e_1, e_2,
    # every pairwise ‖μ_g − μ_h‖² is 2, and the loss is log exp(−2 · 2) = −4
    e = torch.eye(5)[[0, 0, 1, 1, 2, 2]]
    assert cu_loss(e, e, groups).item() == pytest.approx(-4.0, abs=1e-6)
    # pulling two groups onto one axis makes the centroids less uniform: the loss rises
    assert cu_loss(torch.eye(5)[[0, 0, 0, 0, 2, 2]], torch.eye(5)[[0, 0, 0, 0, 2, 2]], groups).item() > -4.0
    with pytest.raises(ValueError, match="groups"):
        cu_loss(x, y, groups=torch.tensor([0, 1]))


def test_a_learned_temperature_checkpointed_under_its_old_name_loads():
    """The learned τ is ``learned_temperature`` (it was ``temperature``, which read as the value): old state dicts load."""
    loss = GapClosingLoss("clip", 0.07, learnable_temperature=True)
    assert loss.initial_temperature == 0.07 and loss.tau().item() == pytest.approx(0.07)
    old = {k.replace("learned_temperature.", "temperature."): v - 1.0 for k, v in loss.state_dict().items()}
    fresh = GapClosingLoss("clip", 0.07, learnable_temperature=True)
    fresh.load_state_dict(old)  # strict
    assert fresh.tau().item() == pytest.approx(float(torch.exp(-(torch.log(torch.tensor(1 / 0.07)) - 1.0))), rel=1e-5)
    assert GapClosingLoss("clip", 0.1).learned_temperature is None and GapClosingLoss("clip", 0.1).tau() == 0.1
