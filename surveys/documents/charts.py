"""Server-side charts as small PNGs: a radar of the dimensions and bars per rater group.

Charts are drawn on a ``matplotlib.figure.Figure`` with the Agg canvas,
never through pyplot, so nothing global (figure registry, rcParams) changes
and charts can be drawn from any thread.  Every text uses Noto Sans CJK SC,
the OpenType font shipped in the ``mplfonts`` package, loaded by file through
``FontProperties(fname=...)``, so Chinese renders without relying on fonts
installed on the server.  Labels and titles arrive already translated: the
caller is the edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from io import BytesIO

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image

FONT_FILE = "NotoSansCJKsc-Regular.otf"
DPI = 100
RADAR_SIZE = (6, 6)  # inches at DPI: 600 x 600 pixels
BARS_SIZE = (6, 4)  # 600 x 400 pixels
PALETTE_COLOURS = 64
COLOUR = "#c0392b"
AVERAGE_COLOUR = "#7f8c8d"


@cache
def cjk_font_file() -> str:
    """Path of the CJK font inside the installed mplfonts package."""
    return str(resources.files("mplfonts") / "fonts" / FONT_FILE)


def cjk_font(size: float) -> FontProperties:
    """The CJK font at a size, for one text element."""
    return FontProperties(fname=cjk_font_file(), size=size)


def _png(figure: Figure) -> bytes:
    """The figure as a small PNG: a palette of 64 colours is plenty for flat charts and
    makes the file a third of the size (a radar is about 25 KB instead of 75 KB)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    palette = image.convert("RGB").quantize(colors=PALETTE_COLOURS)
    buffer = BytesIO()
    palette.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _check_lengths(labels: Sequence[str], *series: Sequence[float] | None) -> None:
    """Every series must have one value per label."""
    for values in series:
        if values is not None and len(values) != len(labels):
            raise ValueError("one value per label is needed")


def radar_png(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    maximum: float = 100,
    average: list[float] | None = None,
    value_label: str | None = None,
    average_label: str | None = None,
) -> bytes:
    """A radar (spider) chart of one cadre's dimensions, optionally over an average.

    ``value_label`` and ``average_label`` name the two lines in a legend; without
    them there is no legend.  Needs at least three labels: fewer make no polygon.
    """
    if len(labels) < 3:
        raise ValueError("a radar chart needs at least three labels")
    _check_lengths(labels, values, average)
    figure = Figure(figsize=RADAR_SIZE, dpi=DPI)
    axes = figure.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False)
    closed = np.append(angles, angles[0])
    axes.set_theta_offset(np.pi / 2)
    axes.set_theta_direction(-1)
    if average is not None:
        dashed = {"color": AVERAGE_COLOUR, "linestyle": "--", "linewidth": 1.2}
        axes.plot(closed, [*average, average[0]], label=average_label, **dashed)
    axes.plot(closed, [*values, values[0]], color=COLOUR, linewidth=2, label=value_label)
    axes.fill(closed, [*values, values[0]], color=COLOUR, alpha=0.2)
    axes.set_ylim(0, maximum)
    ticks = np.linspace(0, maximum, 5)[1:]
    axes.set_yticks(ticks, [f"{tick:g}" for tick in ticks], fontproperties=cjk_font(8))
    axes.set_xticks(angles, labels, fontproperties=cjk_font(11))
    axes.tick_params(axis="x", pad=8)
    axes.set_title(title, fontproperties=cjk_font(14), pad=20)
    if value_label or average_label:
        axes.legend(loc="lower right", bbox_to_anchor=(1.1, -0.1), prop=cjk_font(9))
    figure.tight_layout()
    return _png(figure)


def bars_png(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    maximum: float = 100,
    notes: list[str] | None = None,
) -> bytes:
    """Horizontal bars, e.g. the score of each rater group shown for a cadre.

    Each bar is annotated with its value (two decimals) or, when given, the
    matching text of ``notes`` (such as "85.25 · 12 responses", translated).
    """
    _check_lengths(labels, values, notes)
    figure = Figure(figsize=BARS_SIZE, dpi=DPI)
    axes = figure.add_subplot()
    positions = np.arange(len(labels))
    axes.barh(positions, values, color=COLOUR, height=0.6)
    axes.set_yticks(positions, labels, fontproperties=cjk_font(11))
    axes.invert_yaxis()
    axes.set_xlim(0, maximum * 1.15)
    ticks = np.linspace(0, maximum, 5)
    axes.set_xticks(ticks, [f"{tick:g}" for tick in ticks], fontproperties=cjk_font(9))
    for position, value, text in zip(
        positions, values, notes or [f"{value:.2f}" for value in values], strict=True
    ):
        axes.text(value + maximum * 0.01, position, text, va="center", fontproperties=cjk_font(9))
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(title, fontproperties=cjk_font(13))
    figure.tight_layout()
    return _png(figure)
