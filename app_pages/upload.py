"""Upload data: check a file in full before anything is written, then import it as one batch."""

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from data_access.batches import import_history
from data_access.cli_import import IMPORT_KINDS, run_import
from data_access.importers.problems import problems_csv
from data_access.settings import ASSETS_DIR
from ui.context import page_context

ctx = page_context()
st.title("Upload data")
st.write(
    "Every file is checked in full first: you see every problem (row, column, value and reason) "
    "before anything is written. A file with any problem is not imported at all; a clean file "
    "is imported as one batch, which an administrator can undo."
)

kind = st.radio("What are you uploading?", list(IMPORT_KINDS), format_func=IMPORT_KINDS.get, key="upload_kind")
uploaded = st.file_uploader("File (CSV or Excel .xlsx)", type=["csv", "xlsx"], key="upload_file")

templates = {"case-extract": "case_extract.csv", "epop-plan": "epop_plan.xlsx"}
if kind in templates and (ASSETS_DIR / "templates" / templates[kind]).exists():
    template = ASSETS_DIR / "templates" / templates[kind]
    st.download_button(f"Download the {template.suffix[1:].upper()} template", template.read_bytes(),
                       file_name=template.name, key="upload_template")
    st.caption("Each column is described in assets/templates/README.md.")


def _progress_bar():
    bar = st.progress(0.0, text="Reading…")

    def report(rows: int, phase: str) -> None:
        bar.progress(0.5 if phase != "done" else 1.0, text=f"{phase}: {rows:,} rows")

    return bar, report


if uploaded is not None:
    data = uploaded.getvalue()
    if st.button("Check file", key="upload_check"):
        bar, report = _progress_bar()
        result = run_import(kind, ctx.engine, data, user=ctx.user.username, progress=report, write=False,
                            file_name=uploaded.name)
        bar.empty()
        st.session_state["upload_checked"] = (kind, result.sha256, result.ok)
        if result.ok:
            st.success(result.summary())
        else:
            st.error(result.summary())
            problems = pd.read_csv(pd.io.common.StringIO(problems_csv(result.problems)), dtype=str)
            st.dataframe(problems, hide_index=True)
            st.download_button("Download the problem list (CSV)", problems_csv(result.problems).encode("utf-8-sig"),
                               file_name=f"{Path(uploaded.name).stem}-problems.csv", key="upload_problems")
    checked = st.session_state.get("upload_checked")
    if checked and checked[0] == kind and checked[1] == hashlib.sha256(data).hexdigest() and checked[2]:
        if st.button("Import this file", type="primary", key="upload_confirm"):
            bar, report = _progress_bar()
            result = run_import(kind, ctx.engine, data, user=ctx.user.username, progress=report, write=True,
                                file_name=uploaded.name)
            bar.empty()
            (st.success if result.written else st.error)(result.summary())
            for notice in result.notices:
                st.info(notice)
            st.session_state.pop("upload_checked", None)
            st.cache_data.clear()

st.subheader("Import history")
history = pd.DataFrame([b.__dict__ for b in import_history(ctx.engine, limit=50)])
if history.empty:
    st.info("No files have been imported yet.")
else:
    st.dataframe(history.drop(columns=["sha256"]), hide_index=True)
