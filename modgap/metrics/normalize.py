"""L2 normalisation of rows, the one NumPy version every metric and study here uses.

    x̂_i = x_i / max(‖x_i‖₂, ε)

(ε keeps an all-zero row at zero instead of dividing by zero.) Inputs are cast to float64, so scores
computed from float32 embeddings do not depend on float32 rounding. In torch code use
``torch.nn.functional.normalize``, which is the same formula.
"""
from __future__ import annotations

import numpy as np


def l2_normalize(x, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``x`` (N, D) scaled to unit length, as float64."""
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)
