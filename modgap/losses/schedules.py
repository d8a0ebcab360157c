"""The loss-weight schedules of Grassucci et al. (ICLR 2026), as functions of training progress p ∈ [0, 1].

    α(p) = 1                      for p < 0.5,   then linearly to 2 at p = 1
    β(p) = 1                      for p < 0.2,   then linearly to 0 at p = 0.7,   then 0

Early on, centroid uniformity spreads the pairs; later the alignment weight grows to close the gap.
"""
from __future__ import annotations


def _check(p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"training progress must be in [0, 1], got {p}")
    return float(p)


def alpha_schedule(p: float) -> float:
    p = _check(p)
    return 1.0 if p < 0.5 else 1.0 + (p - 0.5) / 0.5


def beta_schedule(p: float) -> float:
    p = _check(p)
    if p < 0.2:
        return 1.0
    if p < 0.7:
        return 1.0 - (p - 0.2) / 0.5
    return 0.0
