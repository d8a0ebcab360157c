"""A forest plot: one row per comparison, its estimate as a dot and its interval as a line, and a line at
the value of no effect (0 for differences), so which intervals exclude it is seen at a glance."""
from __future__ import annotations


def forest_plot(ax, labels: list[str], estimates, zero: float = 0.0, xlabel: str = "difference", title: str = ""):
    """Draw ``estimates`` (``modgap.metrics.uncertainty.Estimate``) labelled ``labels`` on ``ax``, top to bottom;
    intervals that exclude ``zero`` are drawn dark, the others grey."""
    ys = list(range(len(labels)))[::-1]
    for y, e in zip(ys, estimates):
        color = "k" if e.excludes(zero) else "0.6"
        ax.plot([e.low, e.high], [y, y], color=color, lw=2)
        ax.plot([e.value], [y], "o", color=color, ms=5)
    ax.axvline(zero, color="C3", lw=0.8, ls="--")
    ax.set(yticks=ys, yticklabels=labels, xlabel=xlabel, title=title, ylim=(-0.7, len(labels) - 0.3))
    return ax
