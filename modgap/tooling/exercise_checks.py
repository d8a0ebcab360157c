"""The graded tests of the exercises in ``exercises/`` (nbgrader): each says *what* is wrong — a shape, a value
on a case small enough to work out by hand, a missing gradient, a known slip — without giving the answer.

Nothing here imports the package's own implementation of what an exercise asks for: every expected value is
a hand-derivable case (its derivation in a comment), so the checks are no shortcut to an answer.

Each exercise has stages, one per graded cell of its notebook (``check(fn, exercise, stage)``); a failed stage
raises :class:`CheckFailed` (an AssertionError, which nbgrader counts as a failed test) with its hint.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


class CheckFailed(AssertionError):
    pass


def _call(fn, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{fn.__name__} is not implemented yet: replace `raise NotImplementedError()` with your code") from None


def _close(a, b, tol=1e-6) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=tol, atol=tol))


def _eye(n, d=None):
    import torch

    return torch.eye(n, d or n, dtype=torch.float64)


def _scalar_tensor(fn, *args):
    import torch

    out = _call(fn, *args)
    if not torch.is_tensor(out):
        raise CheckFailed(f"{fn.__name__} must return a torch tensor (so it can be backpropagated), got {type(out).__name__}")
    if out.dim() != 0:
        raise CheckFailed(f"{fn.__name__} returned shape {tuple(out.shape)}; a loss is one number: reduce over the batch")
    return out


def _gradient_reaches(fn, *args):
    import torch

    args = [a.clone().requires_grad_(True) for a in args]
    out = _scalar_tensor(fn, *args)
    if not out.requires_grad:
        raise CheckFailed("no gradient reaches the inputs: compute with torch operations only "
                          "(no .detach(), .item(), float() or NumPy in between)")
    out.backward()
    for i, a in enumerate(args):
        if a.grad is None or not torch.isfinite(a.grad).all() or a.grad.abs().sum() == 0:
            raise CheckFailed(f"no useful gradient reaches argument {i + 1}: compute with torch operations on the inputs")


# --- 01: the gap in raw sample space -------------------------------------------------------------------------

def _gap_basics(fn):
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    out = _call(fn, x, x)
    if np.ndim(out) != 0:
        raise CheckFailed(f"return one number (a float), got something of shape {np.shape(out)}")
    if abs(float(out)) > 1e-9:
        raise CheckFailed("a set compared with itself must have gap 0")
    y = np.array([[0.0, 1.0], [2.0, 2.0]])
    if not _close(_call(fn, x, y), _call(fn, y, x)):
        raise CheckFailed("the gap must be symmetric: gap(x, y) = gap(y, x)")


def _gap_values(fn):
    # every x along e1 and every y along e2: unit means (1, 0) and (0, 1), distance √2
    x, y = np.array([[2.0, 0.0], [3.0, 0.0]]), np.array([[0.0, 5.0], [0.0, 1.0]])
    got = float(_call(fn, x, y))
    if _close(got, np.linalg.norm(x.mean(0) - y.mean(0))):
        raise CheckFailed("wrong value: it depends on the vectors' lengths — normalise every vector first")
    if _close(got, 2.0):
        raise CheckFailed("two sets along two axes gave 2, the squared distance: the gap is the distance itself "
                          "(take the square root)")
    if not _close(got, math.sqrt(2)):
        raise CheckFailed(f"wrong value on two sets pointing along two axes (got {got:.4f}): distance between the "
                          "two means of the unit vectors")
    # x: e1 and e2 (mean (½, ½)); y: e1 twice (mean (1, 0)): distance √(¼ + ¼)
    got = float(_call(fn, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]])))
    if not _close(got, math.sqrt(0.5)):
        raise CheckFailed(f"wrong value when a set's vectors differ (got {got:.4f}): average the unit vectors, "
                          "do not normalise the mean")


def _gap_scale(fn):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)) + 1, rng.normal(size=(30, 6)) - 1
    scales = rng.uniform(0.1, 10, size=(40, 1))
    if not _close(_call(fn, scales * x, y), _call(fn, x, y)):
        raise CheckFailed("scaling single vectors changed the gap: each vector must count by its direction only")
    if _call(fn, x, y) > 2 + 1e-9:
        raise CheckFailed("two means of unit vectors are at most 2 apart: check the normalisation")


# --- 02: cmUNet's reconstruction loss ------------------------------------------------------------------------

def _rec_basics(fn):
    import torch

    a, b = torch.rand(4, 1, 8, dtype=torch.float64), torch.rand(4, 1, 8, dtype=torch.float64)
    out = _scalar_tensor(fn, a, b, a, b)
    if abs(float(out)) > 1e-12:
        raise CheckFailed("a perfect reconstruction of both modalities must cost 0")


def _rec_values(fn):
    import torch

    a, b = torch.zeros(2, 1, 4, dtype=torch.float64), torch.zeros(2, 1, 4, dtype=torch.float64)
    # h_A(G(a)) off by 2 everywhere, h_B(G(b)) perfect: mean |2| = 2
    got = float(_scalar_tensor(fn, a + 2, b, a, b))
    if _close(got, 4.0):
        raise CheckFailed("an error of 2 everywhere cost 4: the reconstruction loss is an L1 distance, not squared")
    if _close(got, 16.0) or _close(got, 8.0):
        raise CheckFailed("the cost grew with the number of elements: average over the elements, do not sum")
    if _close(got, 1.0):
        raise CheckFailed("an error of 2 in modality A alone cost 1: the two modalities' terms were averaged — each "
                          "is a loss of its own, add them")
    if not _close(got, 2.0):
        raise CheckFailed(f"wrong value when only modality A is reconstructed badly (got {got:.4f})")
    # both off: by 2 (A) and by 1 (B), and the two terms add up
    got = float(_scalar_tensor(fn, a + 2, b - 1, a, b))
    if _close(got, 1.5):
        raise CheckFailed("the two modalities' terms were averaged: each is a loss of its own, add them")
    if _close(got, 1.0):
        raise CheckFailed("a reconstruction that came out too low (B is 1 under its target) lowered the loss: an "
                          "error costs the same in either direction — take the size of each difference")
    if not _close(got, 3.0):
        raise CheckFailed(f"wrong value when both modalities are off (got {got:.4f}): one L1 term for each modality")


def _rec_gradient(fn):
    import torch

    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(3, 1, 6, generator=g, dtype=torch.float64), torch.rand(3, 1, 6, generator=g, dtype=torch.float64)
    _gradient_reaches(lambda x, y: fn(x, y, a, b), a + 0.3, b - 0.2)


# --- 03: rank-1 identification -------------------------------------------------------------------------------

def _rank1_basics(fn):
    sim = np.eye(4)
    ids = np.arange(4)
    out = _call(fn, sim, ids, ids)
    if np.ndim(out) != 0:
        raise CheckFailed(f"return one number, the fraction of probes identified, got shape {np.shape(out)}")
    if _close(out, 100.0):
        raise CheckFailed("got 100 where every probe is identified: return a fraction (1.0), not a percentage")
    if _close(out, 0.0):
        raise CheckFailed("no probe was identified although each is most similar to its own match: the best match is "
                          "the gallery item with the LARGEST similarity")
    if not _close(out, 1.0):
        raise CheckFailed(f"every probe is most similar to its own match here, so rank-1 is 1.0 (got {float(out):.4f})")


def _rank1_values(fn):
    sim = np.array([[0.9, 0.1, 0.3],    # probe 0: best is gallery 0 (its match) → hit
                    [0.8, 0.05, 0.2],   # probe 1: best is gallery 0 → miss (its match is the least similar)
                    [0.1, 0.2, 0.7]])   # probe 2: best is gallery 2 → hit
    ids = np.array([0, 1, 2])
    got = float(_call(fn, sim, ids, ids))
    if _close(got, 1 / 3):
        raise CheckFailed("the best match is the gallery item with the LARGEST similarity")
    if not _close(got, 2 / 3):
        raise CheckFailed(f"wrong value on a 3×3 case (got {got:.4f}): count a probe when its most similar gallery "
                          "item has its identity")


def _rank1_several(fn):
    # the gallery holds two items per identity; either one at the top is a hit; ids are not positions
    sim = np.array([[0.2, 0.9, 0.1, 0.0],  # best: gallery 1 (identity 7) = probe's identity → hit
                    [0.6, 0.1, 0.3, 0.2]])  # best: gallery 0 (identity 7) ≠ 9 → miss
    got = float(_call(fn, sim, np.array([7, 9]), np.array([7, 7, 9, 9])))
    if not _close(got, 0.5):
        raise CheckFailed(f"wrong value when identities repeat in the gallery (got {got:.4f}): compare identities "
                          "(gallery_ids), not positions")


# --- 04: an occlusion operator -------------------------------------------------------------------------------

def _band_basics(fn):
    import torch

    x = torch.rand(3, 1, 20)
    keep = x.clone()
    out = _call(fn, x, 0.25, 5)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckFailed("return a pair (occluded, mask)")
    occluded, mask = out
    if tuple(occluded.shape) != (3, 1, 20) or tuple(mask.shape) != (3, 1, 20):
        raise CheckFailed(f"occluded and mask must have the input's shape (3, 1, 20), got {tuple(occluded.shape)} and {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise CheckFailed(f"the mask must be boolean (True where hidden), got {mask.dtype}")
    if not torch.equal(x, keep):
        raise CheckFailed("the input was changed: return an occluded copy")


def _band_values(fn):
    import torch

    x = torch.arange(1, 21, dtype=torch.float32).repeat(2, 1, 1)  # values 1..20, never 0
    occluded, mask = _call(fn, x, 0.25, 5)
    hidden = mask[0, 0].nonzero().flatten().tolist()
    if len(hidden) == 15:
        raise CheckFailed("the mask is True on the 15 bins that were kept: it must be True where bins are hidden")
    if len(hidden) != 5:
        raise CheckFailed(f"a fraction of 0.25 of 20 bins is 5 bins, {len(hidden)} were hidden")
    if hidden != list(range(5, 10)):
        raise CheckFailed(f"the band must be contiguous and start at bin `start`; hidden bins: {hidden}")
    if not torch.all(occluded[mask] == 0):
        raise CheckFailed("hidden bins must be set to 0" + (" (NaN is not 0: it would poison every sum downstream)"
                                                          if torch.isnan(occluded[mask]).any() else ""))
    if not torch.equal(occluded[~mask], x[~mask]):
        raise CheckFailed("bins outside the band must not change")


def _band_edges(fn):
    import torch

    x = torch.rand(2, 1, 10) + 0.1
    occluded, mask = _call(fn, x, 0.0, 3)
    if mask.any() or not torch.equal(occluded, x):
        raise CheckFailed("a fraction of 0 hides nothing")
    try:
        _call(fn, x, 0.5, 8)
    except ValueError:
        return
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"a band that does not fit (5 bins from bin 8 of 10) must raise ValueError, got {type(exc).__name__}") from None
    raise CheckFailed("a band that does not fit (5 bins from bin 8 of 10) must raise ValueError, it did not")


# --- 05: L_ATP and L_CU --------------------------------------------------------------------------------------

def _atp_values(fn):
    import torch

    e = _eye(4)
    out = _scalar_tensor(fn, e, e)
    if abs(float(out)) > 1e-9:
        raise CheckFailed("for identical pairs (y = x) the loss must be 0")
    got = float(_scalar_tensor(fn, e[:2], e[2:]))  # orthogonal unit pairs: ‖x − y‖² = 2 each
    if _close(got, math.sqrt(2)):
        raise CheckFailed("orthogonal pairs cost √2: the distance must be squared")
    if _close(got, 0.5):  # 2 per pair spread over 4 coordinates: a mean over every element
        raise CheckFailed("orthogonal pairs cost 0.5: that is the mean over every coordinate. L_ATP averages over pairs "
                          "the squared norm ‖x_i − y_i‖² — sum over the dimensions first, then the mean over pairs")
    if _close(got, 4.0) or _close(got, 1.0):
        raise CheckFailed(f"orthogonal pairs cost {got:g}: squared distance summed over the dimensions, averaged over pairs")
    if not _close(got, 2.0):
        raise CheckFailed(f"wrong value for orthogonal pairs (got {got:.4f})")
    mixed = float(_scalar_tensor(fn, torch.stack([e[0], e[0]]), torch.stack([e[1], e[0]])))  # costs 2 and 0
    if not _close(mixed, 1.0):
        raise CheckFailed(f"wrong value for one orthogonal and one identical pair (got {mixed:.4f}): average over the pairs")


def _atp_gradient(fn):
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.normalize(torch.randn(8, 5, generator=g, dtype=torch.float64), dim=1)
    y = torch.nn.functional.normalize(torch.randn(8, 5, generator=g, dtype=torch.float64), dim=1)
    _gradient_reaches(fn, x, y)


def _cu_values(fn):
    import torch

    e = _eye(4)
    got = float(_scalar_tensor(fn, e, e))  # 4 orthogonal centroids: every ‖μi − μj‖² = 2 → log e^{-4} = -4
    if _close(got, math.log((12 * math.exp(-4) + 4) / 16)):
        raise CheckFailed("the mean runs over pairs of DIFFERENT centroids (i ≠ j) only")
    if not _close(got, -4.0):
        raise CheckFailed(f"for 4 orthogonal pairs with x = y the loss is exactly -4 (got {got:.4f}): check the exponent "
                          "(−2 times the squared distance) and the log of the mean")
    # centroids of (e1, e2) and (e3, e4): (e1 + e2)/√2 and (e3 + e4)/√2 once re-normalised, 2 apart squared → -4
    got = float(_scalar_tensor(fn, torch.stack([e[0], e[2]]), torch.stack([e[1], e[3]])))
    if _close(got, -2.0):
        raise CheckFailed("the centroids must be re-normalised to unit length before measuring their distances")
    if not _close(got, -4.0):
        raise CheckFailed(f"wrong value when x and y differ within a pair (got {got:.4f}): centroid of each pair, re-normalised")
    # three pairs: μ1 = μ2 = e1, μ3 = e2 → squared distances 0, 2, 2 (each twice among i ≠ j)
    x = torch.stack([e[0], e[0], e[1]])
    got = float(_scalar_tensor(fn, x, x))
    if _close(got, -8 / 3):
        raise CheckFailed("the log is taken of the mean of the exponentials, not the mean of the logs")
    if not _close(got, math.log((2 + 4 * math.exp(-4)) / 6)):
        raise CheckFailed(f"wrong value when two centroids coincide (got {got:.4f})")


# --- 06: the cone effect ------------------------------------------------------------------------------------

def _cone_basics(fn):
    out = _call(fn, np.ones((5, 3)))
    if np.ndim(out) != 0:
        raise CheckFailed(f"return one number, got something of shape {np.shape(out)}")
    if _close(out, 0.6):  # columns of ones((5, 3)) normalised: rows (1/√5, 1/√5, 1/√5), dot 3/5
        raise CheckFailed("normalise each embedding (each row, axis=1), not each dimension (column)")
    if not _close(out, 1.0):
        raise CheckFailed(f"embeddings that all point the same way have mean cosine 1 (got {float(out):.4f})")
    if not _close(_call(fn, np.array([[-1.0, 0.0], [3.0, 0.0]])), -1.0):
        raise CheckFailed("two opposite embeddings have cosine -1")


def _cone_values(fn):
    got = float(_call(fn, np.eye(3)))
    if _close(got, 1 / 3):
        raise CheckFailed("an embedding's cosine with itself (i = j) is not part of the mean")
    if not _close(got, 0.0):
        raise CheckFailed(f"orthogonal embeddings have mean cosine 0 (got {got:.4f})")
    if _close(_call(fn, np.array([[2.0, 0.0], [1.0, 1.0]])), 2.0):
        raise CheckFailed("that is a dot product: divide by both lengths to get a cosine")
    got = float(_call(fn, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])))  # cosines 0, 1/√2, 1/√2
    if not _close(got, math.sqrt(2) / 3):
        raise CheckFailed(f"wrong value on three 2-D embeddings (got {got:.4f}): average over the pairs i ≠ j")


def _cone_scale(fn):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(30, 8)) + 0.5
    if not _close(_call(fn, rng.uniform(0.1, 10, size=(30, 1)) * z), _call(fn, z)):
        raise CheckFailed("scaling single embeddings changed the result: a cosine depends on directions only")


CHECKS: dict[str, dict[str, Callable]] = {
    "centroid_gap": {"basics": _gap_basics, "values": _gap_values, "scale": _gap_scale},
    "reconstruction_loss": {"basics": _rec_basics, "values": _rec_values, "gradient": _rec_gradient},
    "rank1": {"basics": _rank1_basics, "values": _rank1_values, "several matches": _rank1_several},
    "occlude_band": {"basics": _band_basics, "values": _band_values, "edges": _band_edges},
    "atp_loss": {"values": _atp_values, "gradient": _atp_gradient},
    "cu_loss": {"values": _cu_values, "gradient": _atp_gradient},
    "mean_pairwise_cosine": {"basics": _cone_basics, "values": _cone_values, "scale": _cone_scale},
}


def check(fn, exercise: str, stage: str) -> None:
    """Run one graded stage of an exercise on the student's ``fn``; prints a tick or raises ``CheckFailed``."""
    if exercise not in CHECKS:
        raise ValueError(f"unknown exercise {exercise!r}; expected one of {sorted(CHECKS)}")
    if stage not in CHECKS[exercise]:
        raise ValueError(f"unknown stage {stage!r} of {exercise}; expected one of {list(CHECKS[exercise])}")
    try:
        CHECKS[exercise][stage](fn)
    except CheckFailed as exc:
        # raised afresh here, without the checks' own frames: their source lines hold the expected values and
        # the other hints; in a notebook the kernel shows the message alone (no file, no path, no source line)
        _show_message_only()
        raise CheckFailed(f"{exercise} — {stage}: {exc}") from None
    print(f"{exercise} — {stage}: passed ✓")


def _message_only(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler for ``CheckFailed``: the error's name and message, nothing of the
    traceback (which would show this file's path on the instructor's machine and its source lines)."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)  # still an error output: nbgrader counts the check as failed
    return stb


def _show_message_only() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # outside IPython: a plain traceback, as for any exception
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((CheckFailed,), _message_only)
