"""Text from the data shown as text: Streamlit renders titles, captions and st.markdown as
Markdown, so an imported plan title such as ``![x](http://…)`` or ``[link](javascript:…)``
would become an image or a link (issue 14). :func:`plain` escapes every character Markdown (and
Streamlit's ``:colour[…]``, ``:material/…:`` and ``$…$`` extensions) could act on."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&])")


def plain(text) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it exactly as written, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
