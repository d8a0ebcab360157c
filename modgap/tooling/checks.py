"""Checks for the exercises in the notebooks: they say *what* is wrong (shape, value, gradient, type)
without giving the answer away. Each raises :class:`CheckFailed` (an AssertionError) with a hint.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


class CheckFailed(AssertionError):
    pass


def _call(fn, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{fn.__name__} is not implemented yet: fill in the cell marked 'YOUR CODE HERE'") from None


def _pairs(n=16, d=8, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = F.normalize(torch.randn(n, d, generator=g, dtype=dtype), dim=1)
    y = F.normalize(torch.randn(n, d, generator=g, dtype=dtype), dim=1)
    return x, y


def _scalar_loss(fn, x, y):
    out = _call(fn, x, y)
    if not torch.is_tensor(out):
        raise CheckFailed(f"{fn.__name__} must return a torch tensor (so it can be backpropagated), got {type(out).__name__}")
    if out.dim() != 0:
        raise CheckFailed(f"{fn.__name__} returned shape {tuple(out.shape)}; a loss is one number: reduce over the batch")
    return out


def _check_grad(fn, x, y):
    x = x.clone().requires_grad_(True)
    y = y.clone().requires_grad_(True)
    out = _scalar_loss(fn, x, y)
    if not out.requires_grad:
        raise CheckFailed("no gradient reaches the inputs: compute the loss with torch operations on x and y "
                          "(no .detach(), .item(), float() or NumPy in between)")
    out.backward()
    for name, t in (("x", x), ("y", y)):
        if t.grad is None or not torch.isfinite(t.grad).all() or t.grad.abs().sum() == 0:
            raise CheckFailed(f"no useful gradient reaches {name}: compute the loss with torch operations on the inputs "
                              "(no .detach(), .item() or NumPy in between)")


def check_atp_loss(fn) -> None:
    """Exercise: L_ATP(x, y) for L2-normalised x, y of shape (N, D)."""
    from modgap.losses import atp_loss

    x, y = _pairs()
    out = _scalar_loss(fn, x, y)
    if abs(float(_call(fn, x, x))) > 1e-8:
        raise CheckFailed("for identical pairs (y = x) the loss must be 0")
    ref = float(atp_loss(x, y))
    if not np.isclose(float(out), ref, rtol=1e-6):
        half = np.isclose(float(out), ref / 2, rtol=1e-6) or np.isclose(float(out), ref * 2, rtol=1e-6)
        hint = " (off by a factor of 2: squared distance summed over dimensions, mean over pairs)" if half else \
               " (check: squared distance, summed over the embedding dimension, averaged over the N pairs)"
        raise CheckFailed(f"wrong value on a test batch{hint}")
    _check_grad(fn, x, y)
    print("check_atp_loss: all good ✓")


def check_cu_loss(fn) -> None:
    """Exercise: L_CU(x, y), centroid uniformity of the pairs."""
    from modgap.losses import cu_loss

    x, y = _pairs()
    out = _scalar_loss(fn, x, y)
    ref = float(cu_loss(x, y))
    if not np.isclose(float(out), ref, rtol=1e-6):
        e = torch.eye(4, dtype=torch.float64)
        spread = float(_call(fn, e, e))
        hint = ""
        if not np.isclose(spread, -4.0, rtol=1e-6):
            hint = " — for 4 orthogonal pairs with x = y the loss should be exactly -4 (all ‖μi−μj‖² = 2): check the exponent and the log-mean"
        else:
            hint = " — the centroids μ must be re-normalised to unit length, and the mean runs over i ≠ j only"
        raise CheckFailed(f"wrong value on a test batch{hint}")
    _check_grad(fn, x, y)
    print("check_cu_loss: all good ✓")


def check_centroid_gap(fn) -> None:
    """Exercise: the centroid gap between two sets of (not yet normalised) vectors, NumPy in, float out."""
    from modgap.metrics import centroid_gap

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)) + 1, rng.normal(size=(30, 6)) - 1
    out = _call(fn, x, y)
    if np.ndim(out) != 0:
        raise CheckFailed(f"return one number, got an array of shape {np.shape(out)}")
    if abs(float(_call(fn, x, x))) > 1e-9:
        raise CheckFailed("a set compared with itself must have gap 0")
    if not np.isclose(float(_call(fn, 5 * x, y)), float(out)):
        raise CheckFailed("scaling the vectors changed the gap: normalise every vector to unit length first")
    if not np.isclose(float(out), centroid_gap(x, y)):
        raise CheckFailed("wrong value: distance between the two means of the normalised vectors")
    print("check_centroid_gap: all good ✓")
