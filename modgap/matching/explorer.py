"""An ipywidgets explorer for occlusion: pick a method and a probe, move and resize the occluder, and see
the match result and where the method looks. A front end to :mod:`modgap.data.occluders` and
:mod:`modgap.matching.occlusion`; the same figure is available without widgets (:func:`explorer_figure`) for
papermill runs and HTML reports.
"""
from __future__ import annotations

import numpy as np
import torch

from modgap.data.occluders import occlude_images, occlude_spectra
from modgap.matching.occlusion import sensitivity_map
from modgap.metrics.identification import similarity


def _occlude_at(x: torch.Tensor, size: float, position):
    """Hide a band (spectra) or square (images) of relative ``size`` with the operators of
    ``modgap.data.occluders``. ``position`` ∈ [0, 1] places the band; for images it is ``(row, column)``, each
    in [0, 1] (0: top / left edge, 1: bottom / right edge), or one number for both."""
    if x.dim() == 3:
        L = x.shape[2]
        return occlude_spectra(x, size, "band", start=round(float(position) * (L - round(size * L))))
    H, W = x.shape[2:]
    row, col = (position, position) if np.isscalar(position) else position
    k = min(round(np.sqrt(size * H * W)), H, W)  # the square's side, as occlude_images computes it
    return occlude_images(x, size, "square", position=(round(row * (H - k)), round(col * (W - k))))


def explorer_figure(task, model, gallery_feats: np.ndarray, probe_index: int = 0, size: float = 0.2,
                    position=0.5, heat: bool = True):
    """Figure for one probe: the occluded probe with the hidden region outlined, the three gallery items the method
    ranks first, the true match beside them (with its rank and similarity), and (``heat``) the method's
    occlusion-sensitivity map for this probe. ``position``: see ``_occlude_at``.

    Returns ``(fig, info)``; ``info``: ``rank`` of the true match among the ``gallery`` items (1 = identified),
    ``gallery`` size, ``top3`` gallery indices and ``top3_sim`` their cosine similarities, ``true_sim``, and
    ``true`` / ``top3_ids`` the identities."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    probe = task.probe[probe_index:probe_index + 1]
    occluded, mask = _occlude_at(probe, size, position)
    f = model.embed_all(occluded, "a")
    sim = similarity(f, gallery_feats)[0]
    order = np.argsort(-sim, kind="stable")
    true_id = task.probe_ids[probe_index]
    rank = int(np.flatnonzero(task.gallery_ids[order] == true_id)[0]) + 1
    true_j = int(order[rank - 1])
    info = {"rank": rank, "gallery": len(order), "top3": [int(j) for j in order[:3]],
            "top3_sim": [float(sim[j]) for j in order[:3]], "true_sim": float(sim[true_j]), "true": int(true_id),
            "top3_ids": [int(task.gallery_ids[j]) for j in order[:3]]}
    true_feat = gallery_feats[true_j:true_j + 1]
    fig, axes = plt.subplots(1, 6 if task.dim == 2 else 2, figsize=(13, 2.6))
    if task.dim == 1:
        x = np.arange(probe.shape[2])
        axes[0].plot(x, occluded[0, 0].numpy(), lw=0.8)
        axes[0].fill_between(x, 0, 1, where=mask[0, 0].numpy(), color="r", alpha=0.2, label="hidden")
        axes[0].set(title=f"occluded probe — true match at rank {rank} of {len(order)}", yticks=[])
        if heat:
            m = sensitivity_map(lambda z: model.embed_all(z, "a"), probe, true_feat, width=max(4, len(x) // 40),
                                stride=max(2, len(x) // 80))
            axes[1].plot(x, m, color="C3")
            axes[1].set(title="similarity drop when each region is hidden")
    else:
        axes[0].imshow(occluded[0, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        hidden = mask[0, 0].numpy()
        if hidden.any():  # the occluder is 0 on a black background: tint it and outline it so it can be seen
            axes[0].imshow(np.ma.masked_where(~hidden, hidden), cmap="autumn", alpha=0.45, vmin=0, vmax=1)
            rows, cols = np.flatnonzero(hidden.any(1)), np.flatnonzero(hidden.any(0))
            axes[0].add_patch(Rectangle((cols[0] - 0.5, rows[0] - 0.5), len(cols), len(rows), fill=False,
                                        edgecolor="red", lw=1.5))
        axes[0].set_title("probe (occluded)", fontsize=9)
        for k, (ax, j) in enumerate(zip(axes[1:4], order[:3])):
            ax.imshow(task.gallery[j, 0].numpy(), cmap="gray")
            ax.set_title(f"rank {k + 1}: sim {sim[j]:.2f}" + (" ✓" if j == true_j else ""), fontsize=9,
                         color="green" if j == true_j else "black")
        axes[4].imshow(task.gallery[true_j, 0].numpy(), cmap="gray")
        axes[4].set_title(f"true match: rank {rank}, sim {sim[true_j]:.2f}", fontsize=9, color="green")
        if heat:
            m = sensitivity_map(lambda z: model.embed_all(z, "a"), probe, true_feat, width=6, stride=2)
            axes[5].imshow(m, cmap="magma")
            axes[5].set_title("where it looks", fontsize=9)
        for ax in axes:
            ax.axis("off")
    return fig, info


def match_summary(info: dict) -> str:
    """One sentence on a probe's result: where its true match ranks and how close the race was."""
    rank, n, top, true = info["rank"], info["gallery"], info["top3_sim"], info["true_sim"]
    if rank == 1:
        margin = f" (similarity {true:.2f}, {true - top[1]:.2f} above the next item)" if len(top) > 1 else ""
        return f"true match ranked <b>1</b> of {n}: identified{margin}"
    return (f"true match ranked <b>{rank}</b> of {n}: {rank - 1} other gallery item(s) look more like the probe "
            f"to this method (best {top[0]:.2f}, true match {true:.2f}, short by {top[0] - true:.2f}); "
            f"rank 1 would be an identification")


def occlusion_explorer(task, models: dict, gallery_feats: dict, heat: bool = True):
    """An ipywidgets VBox: method dropdown, probe / size / position sliders, live figure and match result."""
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    method = W.Dropdown(options=list(models), description="method")
    probe = W.IntSlider(0, 0, len(task.probe) - 1, description="probe")
    size = W.FloatSlider(value=0.2, min=0.0, max=0.6, step=0.05, description="size")
    # images: the square moves along each axis on its own; spectra: the band along the wavenumber axis
    places = ([W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description=d) for d in ("row", "column")]
              if task.dim == 2 else [W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="position")])
    result = W.HTML()
    out = W.Output()

    def render(*_):
        where = tuple(p.value for p in places) if task.dim == 2 else places[0].value
        with out:
            out.clear_output(wait=True)
            fig, info = explorer_figure(task, models[method.value], gallery_feats[method.value], probe.value,
                                        size.value, where, heat)
            display(fig)
            plt.close(fig)
        result.value = f"<b>{method.value}</b>: {match_summary(info)}"

    for w in (method, probe, size, *places):
        w.observe(render, names="value")
    render()
    return W.VBox([W.HBox([method, probe]), W.HBox([size, *places]), result, out])
