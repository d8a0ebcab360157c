"""Where the gap comes from (Liang et al., NeurIPS 2022): the cone effect and the embedding shift.

- **Cone effect.** A randomly initialised network maps all inputs into a narrow cone: the mean
  pairwise cosine of its outputs is high, and grows with depth when there is a nonlinearity (a
  purely linear stack is just one random matrix). Two towers with different random weights start
  in two different cones — a gap at initialisation.
- **Shift experiment.** With the unit gap direction g = Δ/‖Δ‖, Δ = mean(x̂) − mean(ŷ), move the two
  modalities towards or away from each other and renormalise:
  x ← normalize(x − ½λg),  y ← normalize(y + ½λg);
  then evaluate the contrastive loss as a function of the resulting gap.
"""
from __future__ import annotations

import numpy as np
import torch

from modgap.metrics.gap import mean_pairwise_cosine  # noqa: F401  (the cone: one implementation, in metrics)
from modgap.metrics.normalize import l2_normalize


@torch.no_grad()
def cone_by_depth(inputs: torch.Tensor, depths=(1, 2, 4, 8), nonlinear: bool = True, width: int = 128,
                  seed: int = 0, bias: bool = False) -> list[float]:
    """Mean pairwise output cosine of random-init MLPs of each depth on ``inputs`` (N, ...).

    Without biases a linear stack is one random matrix and (nearly) preserves angles, so only the
    nonlinearity can narrow the cone. With PyTorch's default biases, a deep *linear* stack narrows
    too: each layer shrinks the signal and adds the same bias vector to every input.
    """
    from modgap.models import MLP
    from modgap.seed import seeded

    out = []
    for d in depths:
        with seeded(seed):
            net = MLP(inputs[0].numel(), width, d, nonlinear, bias=bias)
        out.append(mean_pairwise_cosine(net(inputs.float())))
    return out


def unit_gap_direction(x, y) -> np.ndarray:
    """g = Δ/‖Δ‖ with Δ = mean(x̂) − mean(ŷ)."""
    x, y = l2_normalize(x), l2_normalize(y)
    d = x.mean(0) - y.mean(0)
    n = np.linalg.norm(d)
    if n == 0:
        raise ValueError("the two modalities have the same centre: no gap direction")
    return d / n


def shift_along_gap(x, y, lam: float, g: np.ndarray | None = None):
    """x ← normalize(x̂ − ½λg), y ← normalize(ŷ + ½λg); λ > 0 closes the gap, λ < 0 widens it."""
    x, y = l2_normalize(x), l2_normalize(y)
    g = unit_gap_direction(x, y) if g is None else g
    return l2_normalize(x - 0.5 * lam * g), l2_normalize(y + 0.5 * lam * g)


def shift_loss_curve(x, y, lams, temperature: float, g: np.ndarray | None = None, counts=None) -> np.ndarray:
    """InfoNCE of the pairs (x, y) after ``shift_along_gap`` by each λ in ``lams``, without re-embedding:
    with a = λ/2 and unit rows, (x − ag)·(y + ag) = x·y + a(x·g) − a(g·y) − a² and ‖x − ag‖² = 1 − 2a(x·g) + a²,
    so each λ costs O(N²), not a new embedding. ``counts`` (B, N) — how often each pair is drawn in each of B
    bootstrap draws — evaluates the loss on resampled pairs (a pair's x and y together; the gap direction g stays
    the one of all pairs): a drawn query's log-sum-exp runs over the drawn items with their multiplicity,
    log Σ_j c_j exp(ℓ_ij). Returns (len(lams),) or, with counts, (B, len(lams))."""
    x, y = l2_normalize(x), l2_normalize(y)
    g = unit_gap_direction(x, y) if g is None else g
    n = len(x)
    c = np.ones((1, n)) if counts is None else np.asarray(counts, np.float64)  # (B, N)
    s, gx, gy = x @ y.T, x @ g, y @ g  # (N, N), (N,), (N,)
    out = np.empty((len(c), len(lams)))
    for j, lam in enumerate(lams):
        a = lam / 2
        nx, ny = np.sqrt(1 - 2 * a * gx + a * a), np.sqrt(1 + 2 * a * gy + a * a)
        logits = (s + a * gx[:, None] - a * gy[None, :] - a * a) / (nx[:, None] * ny[None, :]) / temperature
        m = logits.max()
        e = np.exp(logits - m)  # (N, N), stabilised by one constant
        rows = np.log(e @ c.T) + m  # (N, B): query x_i against the drawn y's
        cols = np.log(e.T @ c.T) + m  # (N, B): query y_j against the drawn x's
        d = np.diag(logits)[:, None]
        out[:, j] = 0.5 * (((rows - d) * c.T).sum(0) + ((cols - d) * c.T).sum(0)) / c.sum(1)
    return out[0] if counts is None else out
