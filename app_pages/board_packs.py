"""Board packs: choose the pack, the period and the scope; build it with a progress bar; download.

Thin: the pack is gathered and rendered by ``reports.build`` under the signed-in user's scope
(a provider can only build packs of its own contracts; EPOP reports go through
``data_access.epop``'s read rules).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access.lookups import contract_options
from data_access.scoping import ReferralFilters
from metrics.periods import PartMonthPeriod
from reports.build import KINDS, MIME_TYPES, build, file_name
from reports.pack_data import period_for
from ui import url_state
from ui.context import page_context

#: session_state keys (UI state only).
PACK_KIND = "packs_kind"
PACK_FORMAT = "packs_format"
PACK_FROM = "packs_from"
PACK_TO = "packs_to"
PACK_CONTRACT = "packs_contract"
PACK_REGION = "packs_region"
NATIONAL_ONLY = "National summary only"
REGIONS = tuple("ABCDEFGHIJKL")
FORMATS = {"pptx": "PowerPoint (editable charts)", "pdf": "PDF", "xlsx": "Excel (every table)"}
KINDS_BY_ROLE = {
    "commissioner": ("board", "contract", "epop"),
    "admin": ("board", "contract", "epop"),
    "provider": ("contract",),
    "epop_spoc": ("epop",),
    "epop_national": ("epop",),
}

ctx = page_context()
st.title("Board packs")
st.caption("Packs print their filters, the data's 'as of' date and suppression notes; small numbers are shown as [c].")

kinds = KINDS_BY_ROLE.get(ctx.user.role, ())
if not kinds:
    st.info("Your role has no packs to build.")
    st.stop()
url_state.choice(PACK_KIND, "pack", list(kinds), kinds[0])  # ?pack=board&format=pdf
kind = st.selectbox("Pack", kinds, format_func=KINDS.get, key=PACK_KIND)
url_state.choice(PACK_FORMAT, "format", list(FORMATS), next(iter(FORMATS)))
fmt = st.radio("Format", list(FORMATS), format_func=FORMATS.get, horizontal=True, key=PACK_FORMAT)
left, right = st.columns(2)
start = left.date_input("From", value=ctx.period.start, key=PACK_FROM, format="DD/MM/YYYY")
end = right.date_input("To", value=ctx.period.end, key=PACK_TO, format="DD/MM/YYYY")
if end < start:
    st.error("'To' is before 'From'.")
    st.stop()
try:
    period = period_for(start, end)
except PartMonthPeriod as exc:  # docs/DISCLOSURE.md "Custom periods": whole months only
    st.error(str(exc))
    st.stop()

options: dict = {}
if kind == "board":
    options["filters"] = ctx.filters
    st.caption("Scope: the sidebar filters (geography, hub, contract, complexity).")
elif kind == "contract":
    contracts = contract_options(ctx.engine, ctx.scope)
    contracts = contracts[contracts["reference"].str.startswith("GMIRS")] if len(contracts) else contracts
    if contracts.empty:
        st.info("No contracts are available to you.")
        st.stop()
    reference = st.selectbox("Contract", list(contracts["reference"]), key=PACK_CONTRACT)
    contract_id = int(contracts.loc[contracts["reference"] == reference, "contract_id"].iloc[0])
    options["filters"] = ReferralFilters(contract_id=contract_id)
else:
    if ctx.user.role == "epop_spoc":
        region = ctx.user.region_code
        st.caption(f"Region: {region} (your region), with the national summary of all 13 plans.")
    else:
        choice = st.selectbox("Region", [NATIONAL_ONLY, *REGIONS], key=PACK_REGION)
        region = None if choice == NATIONAL_ONLY else choice
    options.update(epop_user=ctx.user, region_code=region)

if st.button("Build the pack", type="primary"):
    bar = st.progress(0.0, text="Starting")
    try:
        pack, content = build(ctx.engine, kind, fmt, period=period, scope=ctx.scope, settings=ctx.settings,
                              progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message),
                              **options)
    except (PermissionError, LookupError, ValueError) as exc:
        bar.empty()
        st.error(str(exc))
        st.stop()
    st.success(f"{pack.full_title} · {pack.context_line}")
    if pack.coverage_note:
        st.warning(pack.coverage_note)
    st.caption(pack.suppression_note)
    st.download_button(f"Download {file_name(pack, fmt)}", content, file_name=file_name(pack, fmt),
                       mime=MIME_TYPES[fmt], on_click="ignore", key="packs_download", type="primary")
    st.caption(f"Built {dt.datetime.now():%H:%M} · {len(content):,} bytes")
