"""Upload data: check a file in full before anything is written, then import it as one batch."""

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from data_access.batches import import_history
from data_access.cli_import import IMPORT_KINDS
from data_access.importers.problems import problems_csv
from data_access.scoping import upload_kinds
from data_access.settings import ASSETS_DIR
from ui import upload_jobs, url_state
from ui.context import page_context
from ui.tables import table

ctx = page_context()
st.title("Upload data")
st.write(
    "Every file is checked in full first: you see every problem (row, column, value and reason) "
    "before anything is written. A file with any problem is not imported at all; a clean file "
    "is imported as one batch, which an administrator can undo."
)
if ctx.scope.role == "provider":
    st.info("You can upload your own organisation's Refer and Monitor report and case extract. Every row must be "
            "for one of your referrals and contracts: a file with any row for another organisation is refused "
            "entirely. A case extract can name only referrals already held for you (import your Refer and "
            "Monitor report first).")
kinds = upload_kinds(ctx.scope)

url_state.choice("upload_kind", "kind", kinds, kinds[0] if kinds else None)
kind = st.radio("What are you uploading?", kinds, format_func=IMPORT_KINDS.get, key="upload_kind")
uploaded = st.file_uploader("File (CSV or Excel .xlsx)", type=["csv", "xlsx"], key="upload_file")

templates = {"case-extract": "case_extract.csv", "epop-plan": "epop_plan.xlsx"}
if kind in templates and (ASSETS_DIR / "templates" / templates[kind]).exists():
    template = ASSETS_DIR / "templates" / templates[kind]
    st.download_button(f"Download the {template.suffix[1:].upper()} template", template.read_bytes(),
                       file_name=template.name, key="upload_template")
    st.caption("Each column is described in assets/templates/README.md.")


JOB = "upload_job"


@st.fragment(run_every=1.0)
def _progress() -> None:
    """Redraw the running job's bar each second; rerun the page once it has finished."""
    job = st.session_state.get(JOB)
    if job is None:
        return
    if job.finished:
        st.rerun()
    st.progress(job.fraction, text=job.text)


def _show(job) -> None:
    if job.error:
        st.error(job.error)
        return
    result = job.result
    if result.ok:
        st.success(result.summary())
    else:
        st.error(result.summary())
        problems = pd.read_csv(pd.io.common.StringIO(problems_csv(result.problems)), dtype=str)
        table(problems, key="upload_problem_list")
        st.download_button("Download the problem list (CSV)", problems_csv(result.problems).encode("utf-8-sig"),
                           file_name=f"{Path(job.file_name).stem}-problems.csv", key="upload_problems")
    if job.write:
        for notice in result.notices:
            st.info(notice)


job = st.session_state.get(JOB)
if job is not None and job.finished:  # collected once, on the first run after it ended
    st.session_state.pop(JOB)
    st.session_state["upload_last_job"] = job
    if job.error is None and not job.write:
        st.session_state["upload_checked"] = (job.kind, job.result.sha256, job.result.ok)
    elif job.error is None:
        st.session_state.pop("upload_checked", None)
        st.cache_data.clear()
if (shown := st.session_state.get("upload_last_job")) is not None:
    _show(shown)
running = st.session_state.get(JOB) is not None

if uploaded is not None:
    data = uploaded.getvalue()
    if st.button("Check file", key="upload_check", disabled=running):
        st.session_state.pop("upload_last_job", None)
        st.session_state[JOB] = upload_jobs.start(kind, ctx.engine, data, user=ctx.user.username, scope=ctx.scope,
                                                  write=False, file_name=uploaded.name)
        st.rerun()
    checked = st.session_state.get("upload_checked")
    if checked and checked[0] == kind and checked[1] == hashlib.sha256(data).hexdigest() and checked[2]:
        if st.button("Import this file", type="primary", key="upload_confirm", disabled=running):
            st.session_state.pop("upload_last_job", None)
            st.session_state[JOB] = upload_jobs.start(kind, ctx.engine, data, user=ctx.user.username, scope=ctx.scope,
                                                      write=True, file_name=uploaded.name)
            st.rerun()
_progress()

st.subheader("Import history")
history = pd.DataFrame([b.__dict__ for b in import_history(ctx.engine, scope=ctx.scope, limit=50)])
if history.empty:
    st.info("No files have been imported yet.")
else:
    table(history.drop(columns=["sha256"]), key="upload_history")
