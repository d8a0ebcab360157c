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


#: how a verdict is drawn in ``family_forests``
VERDICT_COLORS = {"reproduced": "tab:green", "not reproduced": "tab:red", "inconclusive": "0.55",
                  "too few seeds": "0.8"}


def family_forests(table, ncols: int = 4, width: float = 3.6):
    """One forest plot per claim family of a ledger ``table`` (rows with ``id``, ``family``, ``value``, ``low``,
    ``high``, ``test``, ``margin`` and ``verdict_adjusted``, as ``modgap.tooling.ledger.with_verdicts`` gives):
    each claim a row labelled by what its id adds to its family's, coloured by its Holm-adjusted verdict, with the
    claim's test drawn as a dashed line at the margin (``>``, ``<``) or a shaded band of ±margin (``within``).
    Returns the figure."""
    import math

    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    families = list(dict.fromkeys(table.family))
    nrows = max(1, math.ceil(len(families) / ncols))
    heights = [max(len(table[table.family == f]) for f in families[r * ncols:(r + 1) * ncols]) for r in range(nrows)]
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, sum(0.8 + 0.22 * h for h in heights)),
                             gridspec_kw={"height_ratios": [0.8 + 0.22 * h for h in heights]}, squeeze=False)
    for ax, fam in zip(axes.flat, families):
        g = table[table.family == fam]
        ys = list(range(len(g)))[::-1]
        for y, r in zip(ys, g.itertuples()):
            color = VERDICT_COLORS.get(r.verdict_adjusted, "k")
            ax.plot([r.low, r.high], [y, y], color=color, lw=2)
            ax.plot([r.value], [y], "o", color=color, ms=4)
        tests = list(dict.fromkeys(zip(g.test, g.margin.astype(float))))
        if len(tests) == 1:  # one test for the family: one line (or band) across the panel
            test, margin = tests[0]
            if test == "within":
                ax.axvspan(-margin, margin, color="C0", alpha=0.12, lw=0)
            else:
                ax.axvline(margin, color="C3", lw=0.8, ls="--")
            ax.set_title(f"{fam} (within ±{margin:g})" if test == "within" else f"{fam} ({test} {margin:g})", fontsize=8)
        else:  # claims tested differently: each row gets its own mark
            for y, r in zip(ys, g.itertuples()):
                if r.test == "within":
                    ax.fill_between([-r.margin, r.margin], y - 0.35, y + 0.35, color="C0", alpha=0.12, lw=0)
                else:
                    ax.plot([r.margin, r.margin], [y - 0.35, y + 0.35], color="C3", lw=0.8, ls="--")
            ax.set_title(f"{fam} (tests differ by row)", fontsize=8)
        labels = [i[len(fam) + 1:] if i.startswith(fam + ".") else i for i in g.id]
        ax.set_yticks(ys, [lbl or "—" for lbl in labels], fontsize=7)
        ax.set_ylim(-0.7, len(g) - 0.3)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(families):]:
        ax.axis("off")
    fig.legend([Line2D([], [], color=c, lw=2, marker="o", ms=4) for c in VERDICT_COLORS.values()], list(VERDICT_COLORS),
               loc="lower center", ncol=len(VERDICT_COLORS), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
