"""An ipywidgets explorer for 09: choose a model and a closer, slide how far the gap is closed, and watch the PCA
picture, the gap, R@1 both ways and the mixed-index nDCG@10 move together. A front end to
:mod:`modgap.contrastive.post_hoc` and :mod:`modgap.metrics.mixed_search`; the same figure without widgets is
:func:`gap_figure` (papermill runs, the book).

Strength s ∈ [0, 1] scales each closer: the **shift** moves both modalities by s·λ along the gap direction
(λ = the train pairs' gap, Liang et al.), **mean-centring** subtracts s times each modality's train mean before
renormalising (GR-CLIP at s = 1). Both are fitted on the train pairs and shown on the held-out ones.
"""
from __future__ import annotations

import numpy as np

from modgap.contrastive.anatomy import shift_along_gap, unit_gap_direction
from modgap.metrics.gap import centroid_gap
from modgap.metrics.mixed_search import mixed_search
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.retrieval import recall_at_k

CLOSERS = ("shift", "mean-centring")


def closed(x_train, y_train, x, y, closer: str, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Held-out pairs (x, y) with ``closer`` fitted on the train pairs at ``strength`` (0: as they are)."""
    if closer not in CLOSERS:
        raise ValueError(f"closer must be one of {CLOSERS}, got {closer!r}")
    if not 0 <= strength <= 1:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    if closer == "shift":
        return shift_along_gap(x, y, strength * centroid_gap(x_train, y_train), unit_gap_direction(x_train, y_train))
    mx, my = l2_normalize(x_train).mean(0), l2_normalize(y_train).mean(0)
    return l2_normalize(l2_normalize(x) - strength * mx), l2_normalize(l2_normalize(y) - strength * my)


def numbers(x, y) -> dict:
    """What the explorer shows beside the picture: the gap, R@1 both ways and the mixed-index nDCG@10."""
    r = recall_at_k(x, y, (1,))
    return {"gap": centroid_gap(x, y), "R@1 x→y": r["R@1 x→y"], "R@1 y→x": r["R@1 y→x"],
            "mixed nDCG@10": mixed_search(x, y)["nDCG@10"]}


def gap_figure(x_train, y_train, x, y, closer: str = "shift", strength: float = 0.0, max_lines: int = 60):
    """The held-out pairs after the closer, in the PCA axes of the raw held-out pairs (fixed, so the picture moves
    as the slider does), true pairs joined; returns ``(fig, numbers)``."""
    import matplotlib.pyplot as plt

    raw = np.concatenate([l2_normalize(x), l2_normalize(y)])
    centre = raw.mean(0)
    axes_ = np.linalg.svd(raw - centre, full_matrices=False)[2][:2].T  # (D, 2), from the raw pairs only
    a, b = closed(x_train, y_train, x, y, closer, strength)
    pa, pb = (a - centre) @ axes_, (b - centre) @ axes_
    info = numbers(a, b)
    fig, ax = plt.subplots(figsize=(4.6, 4.0), layout="constrained")
    for i in range(min(max_lines, len(pa))):
        ax.plot([pa[i, 0], pb[i, 0]], [pa[i, 1], pb[i, 1]], color="0.8", lw=0.5, zorder=0)
    ax.scatter(*pa.T, s=8, color="C0", label="images")
    ax.scatter(*pb.T, s=8, color="C1", label="captions")
    lim = np.abs((raw - centre) @ axes_).max() * 1.15
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="PC 1 (raw)", ylabel="PC 2 (raw)",
           title=f"{closer} at strength {strength:.2f}: gap {info['gap']:.2f}")
    ax.legend(fontsize=8, loc="lower right")
    return fig, info


def summary(info: dict, raw: dict) -> str:
    """One line: each number now, and how it moved from the raw pairs."""
    parts = [f"gap <b>{info['gap']:.3f}</b> (raw {raw['gap']:.3f})"]
    for k in ("R@1 x→y", "R@1 y→x", "mixed nDCG@10"):
        parts.append(f"{k} <b>{100 * info[k]:.1f}%</b> ({100 * (info[k] - raw[k]):+.1f} points)")
    return "; ".join(parts)


def gap_explorer(pairs: dict, train_fraction: float = 0.5, seed: int = 0):
    """An ipywidgets VBox: model and closer dropdowns, a strength slider, the live figure and its numbers.
    ``pairs``: name -> (x, y) unit embeddings of all pairs; each is split into train and held-out pairs once."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    splits = {}
    for name, (x, y) in pairs.items():
        perm = np.random.default_rng(seed).permutation(len(x))
        n_tr = round(train_fraction * len(x))
        tr, te = perm[:n_tr], perm[n_tr:]
        splits[name] = (x[tr], y[tr], x[te], y[te])
    model = W.Dropdown(options=list(pairs), description="model")
    closer = W.Dropdown(options=list(CLOSERS), description="closer")
    strength = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="strength")
    result = W.HTML()
    out = W.Output()

    def render(*_):
        xt, yt, xs, ys = splits[model.value]
        with out:
            out.clear_output(wait=True)
            fig, info = gap_figure(xt, yt, xs, ys, closer.value, strength.value)
            display(fig)
            plt.close(fig)
        result.value = f"<b>{model.value}</b>, {closer.value}: " + summary(info, numbers(xs, ys))

    for w in (model, closer, strength):
        w.observe(render, names="value")
    render()
    return W.VBox([W.HBox([model, closer, strength]), result, out])
