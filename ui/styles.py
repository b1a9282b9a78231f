"""The app's own style sheet, injected once a run by app.py (a style-only ``st.html`` takes no
room on the page): the print styles (``ui.printing``) and the few screen fixes below.

- Date fields: Streamlit's date input splits day, month and year into react-aria segments
  about 18 by 20 pixels, below WCAG 2.2's 24-pixel target size (2.5.8); each segment is made at
  least 24 by 24 pixels, which the field's height allows.
"""

from __future__ import annotations

import streamlit as st

from ui.printing import PRINT_CSS

SCREEN_CSS = """<style>
[data-testid="stDateInputField"] [role="spinbutton"] { display: inline-flex; align-items: center;
  justify-content: center; min-width: 24px; min-height: 24px; }
</style>"""


def inject_styles() -> None:
    st.html(PRINT_CSS + SCREEN_CSS)
