"""Accessibility statement (the GOV.UK pattern), visible to every signed-in role. The text is
assets/accessibility_statement.md; the contact comes from the deployment's settings
(DASHBOARD_ACCESSIBILITY_CONTACT)."""

import streamlit as st

from data_access.settings import PROJECT_ROOT
from ui.context import page_context

STATEMENT = PROJECT_ROOT / "assets" / "accessibility_statement.md"
ASK = "If you need information on this service in a different format, or have a problem using it, "

ctx = page_context()
contact = ctx.settings.accessibility_contact
contact_text = ASK + (f"contact: {contact}" if contact else
                      "tell your organisation's dashboard administrator (the person who set up your account), "
                      "who passes it to the Greater Manchester probation commissioning team.")
st.title("Accessibility statement")
st.markdown(STATEMENT.read_text(encoding="utf-8").replace("{contact}", contact_text))
