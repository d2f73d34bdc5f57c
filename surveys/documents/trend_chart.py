"""A person's trend over campaigns as a small PNG: the composite and each dimension.

Drawn the way ``surveys.documents.charts`` draws (a ``Figure`` on the Agg
canvas, never pyplot, the CJK font loaded by file).  A withheld figure is a
gap in its line (None), never a zero: the chart shows what the profile
shows and no more.  Labels arrive translated; the caller is the edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from surveys.documents.charts import COLOUR, DPI, _png, cjk_font

TREND_SIZE = (7, 4)  # 700 x 400 pixels
DIMENSION_STYLE = {"linewidth": 1.2, "linestyle": "--", "marker": "o", "markersize": 3}


def trend_png(
    campaigns: Sequence[str],
    composite: Sequence[float | None],
    dimensions: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    composite_label: str,
    maximum: float = 100,
) -> bytes:
    """Lines over campaigns (oldest first): the composite bold, each dimension dashed.

    ``dimensions`` maps a dimension's title to one value per campaign; None
    leaves a gap.  Needs at least one campaign.
    """
    if not campaigns:
        raise ValueError("a trend needs at least one campaign")
    series = [composite, *dimensions.values()]
    if any(len(values) != len(campaigns) for values in series):
        raise ValueError("one value per campaign is needed")
    figure = Figure(figsize=TREND_SIZE, dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(campaigns)))

    def line(values: Sequence[float | None], **style) -> None:
        ys = [float("nan") if value is None else value for value in values]
        axes.plot(positions, ys, **style)

    for name, values in dimensions.items():
        line(values, label=name, **DIMENSION_STYLE)
    line(composite, label=composite_label, color=COLOUR, linewidth=2.5, marker="o")
    axes.set_xticks(positions)
    axes.set_xticklabels(list(campaigns), fontproperties=cjk_font(8))
    axes.set_xlim(-0.5, len(campaigns) - 0.5)
    axes.set_ylim(0, maximum)
    for label in axes.get_yticklabels():
        label.set_fontproperties(cjk_font(8))
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(title, fontproperties=cjk_font(12))
    axes.legend(prop=cjk_font(8), loc="lower left", ncols=3, framealpha=0.8)
    figure.tight_layout()
    return _png(figure)
