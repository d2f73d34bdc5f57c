"""Charts: small PNGs of the right size that render Chinese with the bundled CJK font.

pytest turns warnings into errors, so a missing glyph (matplotlib warns
"Glyph ... missing from font(s)") fails these tests outright.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from io import BytesIO
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from surveys.documents.charts import COLOUR, FONT_FILE, bars_png, cjk_font_file, radar_png

DIMENSIONS = [
    "德（政治素质）",
    "能（业务能力）",
    "勤（工作作风）",
    "绩（工作实绩）",
    "廉（廉洁自律）",
]


def opened(png: bytes) -> Image.Image:
    image = Image.open(BytesIO(png))
    image.load()
    return image


def has_colour(image: Image.Image, hex_colour: str) -> bool:
    wanted = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return any(
        all(abs(a - b) <= 6 for a, b in zip(colour[:3], wanted, strict=True))
        for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 16)
    )


def test_the_font_is_the_bundled_noto_sans_cjk():
    path = Path(cjk_font_file())
    assert path.name == FONT_FILE and path.is_file()
    assert path.parent.parent.name == "mplfonts"


def test_radar_png_is_small_square_and_renders_chinese():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = radar_png(
            DIMENSIONS,
            [85.5, 78, 90, 88.25, 70],
            title="王伟 · 2026年度考核",
            average=[80, 80, 82, 84, 79],
            value_label="本人",
            average_label="单位平均",
        )
    assert [str(w.message) for w in caught] == []
    image = opened(png)
    assert image.format == "PNG" and image.size == (600, 600)
    assert len(png) < 80_000
    assert has_colour(image, COLOUR)


def test_radar_values_change_the_picture():
    first = radar_png(DIMENSIONS, [80] * 5, title="甲")
    second = radar_png(DIMENSIONS, [80, 80, 80, 80, 20], title="甲")
    assert first != second


def test_bars_png_for_a_group_breakdown():
    png = bars_png(
        ["上级", "同级", "下级", "其他测评人"],
        [88.5, 80, 92.25, 75],
        title="各测评组得分",
        notes=["88.50 · 3人", "80.00 · 5人", "92.25 · 12人", "75.00 · 4人"],
    )
    image = opened(png)
    assert image.size == (600, 400) and len(png) < 80_000
    assert has_colour(image, COLOUR)


def test_mismatched_or_too_few_values_are_refused():
    with pytest.raises(ValueError, match="one value per label"):
        radar_png(DIMENSIONS, [1, 2, 3], title="x")
    with pytest.raises(ValueError, match="at least three"):
        radar_png(["德", "能"], [1, 2], title="x")
    with pytest.raises(ValueError, match="one value per label"):
        bars_png(["上级"], [1], title="x", notes=["a", "b"])


def test_the_default_font_would_have_failed():
    """The control: Chinese in matplotlib's default font warns of missing glyphs."""
    figure = Figure(figsize=(2, 1))
    figure.text(0.1, 0.5, "德能勤绩廉")
    with pytest.warns(UserWarning, match="missing from font"):
        FigureCanvasAgg(figure).draw()


def test_charts_leave_pyplot_alone():
    code = (
        "import sys; from surveys.documents.charts import radar_png; "
        "radar_png(['德', '能', '勤'], [1, 2, 3], title='t'); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
