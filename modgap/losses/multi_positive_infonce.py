"""Multi-positive InfoNCE: cross-modal matching with several true matches per batch (measurements of one
molecule), used by every method of the matching track.

    logits_ij = f̂a_i · f̂b_j / τ,   P_ij = 1[id_i = id_j]
    L = −½ mean_i log Σ_{j∈P_i} softmax_j(logits_ij) − ½ mean_j log Σ_{i∈P_j} softmax_i(logits_ij)

With one true match per row (unique identities in the batch) this is exactly symmetric InfoNCE.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def multi_positive_info_nce(fa: torch.Tensor, fb: torch.Tensor, ids: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """L for raw features ``fa``, ``fb`` (B, D) of pairs with identities ``ids`` (B,)."""
    fa, fb = F.normalize(fa, dim=1), F.normalize(fb, dim=1)
    logits = fa @ fb.T / temperature  # (B, B)
    pos = ids[:, None] == ids[None, :]
    neg_inf = torch.finfo(logits.dtype).min
    row = torch.logsumexp(logits.masked_fill(~pos, neg_inf), 1) - torch.logsumexp(logits, 1)
    col = torch.logsumexp(logits.masked_fill(~pos, neg_inf), 0) - torch.logsumexp(logits, 0)
    return -0.5 * (row.mean() + col.mean())
