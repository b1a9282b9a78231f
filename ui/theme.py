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
