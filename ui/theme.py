"""Accessible colours (Government Analysis Function palette) and SPC icon colours."""

#: Analysis Function categorical palette: adjacent colours keep ≥ 3:1 contrast.
CATEGORICAL = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
#: Making Data Count colours (NHSRplotthedots).
SPC_COLOURS = {
    "common": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "target": "#de1b1b",
}
#: Status words are always shown with the colour: colour is never the only cue.
STATUS_COLOURS = {
    "met": "#28A197",
    "below target": "#F46A25",
    "below trigger": "#801650",
    "no data": "#3D3D3D",
}
STATUS_SYMBOLS = {"met": "✔", "below target": "▼", "below trigger": "▼▼", "no data": "–"}
BAND_SYMBOLS = {"below": "▼ below band", "within": "● within band", "above": "▲ above band", None: "– no data"}

#: Chart text and background (.streamlit/config.toml's textColor and backgroundColor): 19.8:1.
TEXT = "#0B0C0C"
BACKGROUND = "#FFFFFF"
WHITE = "#FFFFFF"


def _channels(colour: str) -> tuple[float, float, float]:
    """An ``#RRGGBB`` or ``rgb(r, g, b)``/``rgba(…)`` colour as 0–1 channels."""
    text = colour.strip()
    if text.startswith("#"):
        text = text[1:]
        if len(text) == 3:
            text = "".join(c * 2 for c in text)
        return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))
    numbers = text[text.index("(") + 1:text.index(")")].split(",")
    return tuple(float(n) / 255 for n in numbers[:3])


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_on(fill: str) -> str:
    """The text colour (near-black or white) that reads best on ``fill``."""
    return TEXT if contrast(TEXT, fill) >= contrast(WHITE, fill) else WHITE


def tint(colour: str, share: float) -> str:
    """``colour`` mixed with white: ``share`` of the colour, the rest white."""
    channels = [round(255 * (share * c + (1 - share))) for c in _channels(colour)]
    return "#" + "".join(f"{c:02X}" for c in channels)
