"""SSIM: exact on known inputs, equal to a scipy reference, and usable as MarrNet's perceptual term."""
import numpy as np
import pytest
import torch
from scipy import ndimage

from modgap.losses import ssim, ssim_loss
from modgap.matching.methods import MatchConfig, Matcher


def reference_ssim(x: np.ndarray, y: np.ndarray, data_range: float = 1.0) -> float:
    """Wang et al. with a Gaussian window, written with scipy (as scikit-image computes it with
    gaussian_weights=True, use_sample_covariance=False): filter, then keep positions where the window fits."""
    f = lambda z: ndimage.gaussian_filter(z, 1.5, truncate=3.5, mode="reflect")[5:-5, 5:-5]
    mx, my = f(x), f(y)
    vx, vy, cxy = f(x * x) - mx**2, f(y * y) - my**2, f(x * y) - mx * my
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    return float(np.mean((2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))))


def test_ssim_of_a_sample_with_itself_is_one_and_of_constants_is_the_luminance_term():
    g = torch.Generator().manual_seed(0)
    for shape in [(3, 1, 28, 28), (2, 1, 451)]:
        x = torch.rand(shape, generator=g, dtype=torch.float64)
        assert ssim(x, x).item() == pytest.approx(1.0, abs=1e-12)
    a, b = 0.2, 0.7  # flat images: no contrast or structure, SSIM = (2ab + C1) / (a² + b² + C1)
    c1 = 0.01**2
    got = ssim(torch.full((1, 1, 16, 16), a, dtype=torch.float64), torch.full((1, 1, 16, 16), b, dtype=torch.float64))
    assert got.item() == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-9)


def test_ssim_matches_a_scipy_reference_and_falls_with_noise():
    rng = np.random.default_rng(0)
    x = ndimage.gaussian_filter(rng.random((28, 28)), 1.0)
    values = []
    for noise in (0.02, 0.1, 0.3):
        y = np.clip(x + noise * rng.standard_normal(x.shape), 0, 1)
        got = ssim(torch.tensor(x)[None, None], torch.tensor(y)[None, None]).item()
        assert got == pytest.approx(reference_ssim(x, y), abs=1e-9)
        values.append(got)
    assert values[0] > values[1] > values[2]


def test_ssim_rejects_bad_shapes():
    with pytest.raises(ValueError, match="one shape"):
        ssim(torch.rand(1, 1, 20, 20), torch.rand(1, 1, 20, 21))
    with pytest.raises(ValueError, match=">= 11"):
        ssim(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))


def test_marrnet_with_the_ssim_option_needs_no_feature_network_and_trains_G():
    with pytest.raises(ValueError, match="perceptual must be"):
        MatchConfig(perceptual="lpips")
    torch.manual_seed(0)
    cfg = MatchConfig(method="marrnet", dim=2, perceptual="ssim", width=4, unet_base=4, embed_dim=8, w_perc=0.5, shift=0)
    model = Matcher(cfg)  # no φ needed
    a, b = torch.rand(6, 1, 28, 28), torch.rand(6, 1, 28, 28)
    loss, parts = model.loss(a, b, torch.arange(6), progress=0.5)
    # G starts as the identity (residual, last layer zero) and shift=0 turns augmentation off, so the term is
    # exactly w_perc · (1 − SSIM(a, b)), with SSIM checked against an independent reference above
    assert parts["perc"].item() == pytest.approx(0.5 * (1 - ssim(a, b).item()), rel=1e-5)
    assert model.loss(a, a, torch.arange(6), progress=0.5)[1]["perc"].item() == pytest.approx(0.0, abs=1e-6)
    parts["perc"].backward()
    assert model.G.out.weight.grad.abs().sum() > 0  # the SSIM term reaches cmUNet
    assert ssim_loss(a, a).item() == pytest.approx(0.0, abs=1e-6)
