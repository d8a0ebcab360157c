"""Seeding: one helper for a notebook's start, and one for building a model reproducibly without side effects.

Python's hash seed cannot be changed from inside a running interpreter; nothing here depends on it
(set ``PYTHONHASHSEED`` before starting Python if you need set-iteration order to repeat).
"""
from __future__ import annotations

import contextlib
import random

import numpy as np

#: How the data of a run's model seeds are drawn (the ``data_draw`` parameter of 02–05 and 08). ``"per-seed"``: model
#: seed s trains and is tested on data drawn by seed s (which images, the renderings' noise, the simulated spectra's
#: noise — Raman–IR keeps the same 106 molecules at every seed —, the captions, the test set), so the seed level of
#: the bootstrap holds the data's variation as well as the training's (Bouthillier et al., "Accounting for variance
#: in machine learning benchmarks", 2021); methods stay paired, sharing the draw of their seed. ``"fixed"``: every
#: model seed sees the draw of the run's own ``seed`` (the behaviour before 2026-11-29; ``results/held_out.md``, "Data
#: drawn per seed", says what the change did).
DATA_DRAWS = ("per-seed", "fixed")


def data_seed(model_seed: int, run_seed: int, data_draw: str = "per-seed") -> int:
    """The seed that draws the data model seed ``model_seed`` of a run (whose own seed is ``run_seed``) sees."""
    if data_draw not in DATA_DRAWS:
        raise ValueError(f"data_draw must be one of {DATA_DRAWS}, got {data_draw!r}")
    return model_seed if data_draw == "per-seed" else run_seed


def _check_seed(seed) -> int:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} ({seed!r})")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    return seed


def seed_everything(seed: int, deterministic: bool = False) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch (CPU and every CUDA device); return a NumPy Generator.

    With ``deterministic=True`` PyTorch is asked for deterministic kernels as well (slower on GPU).
    """
    seed = _check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # the data builders work without torch
        pass
    else:
        torch.manual_seed(seed)  # also seeds every CUDA device
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


@contextlib.contextmanager
def seeded(seed: int):
    """Run the block with torch's CPU generator seeded from ``seed``, and restore the generator afterwards:

        with seeded(cfg.seed):
            model = Matcher(cfg)      # the same initial weights for the same seed, whatever ran before

    Models are built on the CPU and moved afterwards, so only the CPU generator is forked.
    """
    import torch

    seed = _check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator only: CUDA generators are left alone
        yield
