"""Reconciliation: where the case extract and the Refer and Monitor report disagree, for the
provider's own referrals (commissioners: the view the filters choose). Counts by kind of
disagreement, then the list, downloadable as CSV (``metrics.reconciliation``)."""

import streamlit as st

from metrics import panels
from metrics.reconciliation import KINDS
from ui import url_state
from ui.context import page_context
from ui.filters import area_labels
from ui.panel_data import panel_data, show
from ui.tables import table

ctx = page_context()
st.title("Reconciliation: case extract and Refer and Monitor")
st.write("Referrals where a provider's case extract and its Refer and Monitor performance report disagree: a "
         "referral held by one and not the other, a first assessment or first session on different dates, a "
         "different end state, or appointments outside Refer and Monitor's referral and end dates.")

labels = area_labels(ctx.filters, ctx.period)
own = ctx.scope.role == "provider"
view = "your organisation's referrals" if own else ("the referrals" if labels else "every referral in Greater Manchester")
if labels:
    view += " filtered to " + "; ".join(f"{name}: {value}" for name, value in labels.items())
st.caption(f"View: {view}, whatever their dates (the period does not apply).")

result = panel_data(ctx, panels.reconciliation)
st.subheader("Referrals by kind of disagreement")
table(result.extra["counts"], key="rec_counts",
             column_config={"disagreement": "Kind of disagreement", "referrals": "Referrals"})

CODE = {label: code for code, label in KINDS.items()}  # ?kind=assessment_date, not the words
url_state.choice("rec_kind", "kind", ["all", *KINDS.values()], "all", omit=("all",), text=lambda k: CODE.get(k, k))
choice = st.selectbox("List", ["all", *KINDS.values()], format_func=lambda k: "Every kind" if k == "all" else k,
                      key="rec_kind")
listing = result.data if choice == "all" else result.data[result.data["disagreement"] == choice]
shown = panels.Panel(result.title, listing.reset_index(drop=True), result.unit, result.notes)
show(ctx, shown, "reconciliation", table=True, empty_message="No referral in this view has this kind of disagreement.",
     column_config={"referral_ref": "Referral", "disagreement": "Disagreement", "refer_and_monitor": "Refer and Monitor says",
                    "case_extract": "Case extract says"})
