"""Making Data Count icons, drawn by the project in the MDC style, for screens and packs alike.

A variation icon is a circle ringed in the signal's colour (grey common cause, blue
improvement, orange concern, purple neutral) holding a small run of points and, for a special
cause, the letter H (higher values) or L (lower values). An assurance icon is a circle holding
P (consistently pass, blue), F (consistently fail, orange) or ? (hit and miss, grey), with the
target drawn as a red line across it. Colour is never the only cue: the letters and the shape
of the points carry the meaning, and every icon has a text equivalent
(``metrics.spc.VARIATION_ICONS`` / ``ASSURANCE_ICONS``) to use as alt text.

Icons are PNG bytes (Pillow), so the same picture goes into Streamlit (``st.image``), PowerPoint
(``add_picture``) and PDF (``fpdf.image``).
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from metrics.spc import ASSURANCE_ICONS, SPC_COLOURS, VARIATION_ICONS

_SCALE = 4  # drawn large, scaled down: smooth edges without anti-aliasing support in ImageDraw
_TEXT = "#0b0c0c"

#: Ring colour of each variation icon family.
_FAMILY_COLOUR = {"common": SPC_COLOURS["common"], "improvement": SPC_COLOURS["improvement"],
                  "concern": SPC_COLOURS["concern"], "neutral": SPC_COLOURS["neutral"], "no": "#b1b4b6"}
#: Assurance icon: (ring colour, letter).
_ASSURANCE = {"consistently_pass": (SPC_COLOURS["improvement"], "P"),
              "consistently_fail": (SPC_COLOURS["concern"], "F"),
              "inconsistent": (SPC_COLOURS["common"], "?"),
              "none": ("#b1b4b6", "–")}


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _canvas(size: int) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    big = size * _SCALE
    image = Image.new("RGBA", (big, big), (255, 255, 255, 0))
    return image, ImageDraw.Draw(image), big


def _ring(draw: ImageDraw.ImageDraw, big: int, colour: str) -> None:
    width = max(2, big // 12)
    draw.ellipse((width // 2, width // 2, big - width // 2 - 1, big - width // 2 - 1), fill="#ffffff",
                 outline=colour, width=width)


def _png(image: Image.Image, size: int) -> bytes:
    buffer = io.BytesIO()
    image.resize((size, size), Image.LANCZOS).save(buffer, format="PNG")
    return buffer.getvalue()


def _letter(draw: ImageDraw.ImageDraw, big: int, letter: str, colour: str, *, y: float) -> None:
    font = _font(int(big * 0.34))
    box = draw.textbbox((0, 0), letter, font=font)
    draw.text(((big - (box[2] - box[0])) / 2 - box[0], big * y - (box[3] - box[1]) / 2 - box[1]), letter,
              fill=colour, font=font)


@lru_cache(maxsize=64)
def variation_icon_png(name: str, size: int = 64) -> bytes:
    """The variation icon ``name`` (a key of ``VARIATION_ICONS``) as PNG bytes."""
    if name not in VARIATION_ICONS:
        raise ValueError(f"unknown variation icon {name!r}")
    family, _, side = name.partition("_")
    side = side if side in ("high", "low") else ""
    colour = _FAMILY_COLOUR["common" if family == "common" else family]
    image, draw, big = _canvas(size)
    _ring(draw, big, colour)
    # A run of seven points: flat for common cause, stepping up or down for a special cause.
    heights = [0.5] * 7
    if side == "high":
        heights = [0.62, 0.6, 0.62, 0.6, 0.42, 0.38, 0.36]
    elif side == "low":
        heights = [0.38, 0.4, 0.38, 0.4, 0.58, 0.62, 0.64]
    elif family == "common":
        heights = [0.5, 0.44, 0.56, 0.47, 0.53, 0.45, 0.52]
    radius = big * 0.035
    xs = [big * (0.22 + 0.093 * i) for i in range(7)]
    y_offset = 0.12 if side else 0.0
    points = [(x, big * (h + y_offset)) for x, h in zip(xs, heights)]
    if family != "no":
        draw.line(points, fill=_FAMILY_COLOUR["common"], width=max(1, big // 40))
        for i, (x, y) in enumerate(points):
            special = side and i >= 4
            fill = colour if special else _FAMILY_COLOUR["common"]
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    # Letters in near-black: the MDC colours themselves are under 3:1 on white (WCAG 2.2 AA).
    if side:
        _letter(draw, big, "H" if side == "high" else "L", _TEXT, y=0.3)
    elif family == "no":
        _letter(draw, big, "–", _TEXT, y=0.5)
    return _png(image, size)


@lru_cache(maxsize=16)
def assurance_icon_png(name: str, size: int = 64) -> bytes:
    """The assurance icon ``name`` (a key of ``ASSURANCE_ICONS``) as PNG bytes."""
    if name not in ASSURANCE_ICONS:
        raise ValueError(f"unknown assurance icon {name!r}")
    colour, letter = _ASSURANCE[name]
    image, draw, big = _canvas(size)
    _ring(draw, big, colour)
    if name != "none":
        y = big * (0.7 if name == "consistently_pass" else 0.3 if name == "consistently_fail" else 0.5)
        draw.line((big * 0.18, y, big * 0.82, y), fill=SPC_COLOURS["target"], width=max(2, big // 28))
    _letter(draw, big, letter, _TEXT, y=0.5 if name == "none" else
            (0.4 if name == "consistently_pass" else 0.62 if name == "consistently_fail" else 0.5))
    return _png(image, size)
