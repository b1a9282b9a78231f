"""The upload page as the demo provider: its own case extract is accepted; a file with one row
for another provider's referral is refused whole, the row reported and nothing written. Then
the Reconciliation page for the same provider. (This module writes to its own demo database.)"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select, text

from data_access.db import make_engine
from data_access.importers.ownership import NOT_YOUR_REFERRAL
from data_access.models import Referral, User
from tests.app.conftest import signed_in_app
from tests.integration.test_import_case_epop import to_csv


@pytest.fixture(scope="module")
def refs(demo_db_url):
    """An open referral of the demo provider's with its London received date, and another
    provider's referral."""
    engine = make_engine(demo_db_url)
    with engine.connect() as conn:
        own = conn.scalar(select(User.provider_id).where(User.username == "provider"))
        mine = conn.execute(select(Referral.referral_ref, Referral.received_on).where(
            Referral.provider_id == own, Referral.concluded_on.is_(None), Referral.first_session_on.is_(None),
            Referral.received_on.is_not(None)).order_by(Referral.id).limit(1)).one()
        other = conn.scalar(select(Referral.referral_ref).where(Referral.provider_id != own).limit(1))
    engine.dispose()
    return mine[0], mine[1], other


def counts(url) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = (conn.execute(text("SELECT COUNT(*) FROM appointments")).scalar(),
               conn.execute(text("SELECT COUNT(*) FROM import_batches")).scalar())
    engine.dispose()
    return out


def finish(at, timeout: float = 120):
    """Wait for the page's import job (a worker thread), then rerun the page to show its result."""
    deadline = time.monotonic() + timeout
    while "upload_job" in at.session_state and not at.session_state["upload_job"].finished:
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.1)
    return at.run()


def extract(ref: str, day: dt.date) -> list[dict]:
    return [{"record_type": "appointment", "referral_ref": ref, "event_kind": "delivery",
             "date": f"{day + dt.timedelta(days=3):%Y-%m-%d}T10:00:00+00:00", "attended": "YES"}]


def upload(at, name: str, data: bytes):
    at.radio(key="upload_kind").set_value("case-extract").run()
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    at.button(key="upload_check").click().run()
    return finish(at)


def test_the_provider_may_upload_only_its_own_kinds(app_env):
    at = signed_in_app("provider", "app_pages/upload.py").run()
    assert not at.exception
    assert at.radio(key="upload_kind").options == [
        "a Refer and Monitor performance report (CSV or .xlsx, any layout since 2022: 24 to 27 columns)",
        "a provider case extract (the dashboard's CSV or Excel template)"]
    assert any("Every row must be for one of your referrals" in i.value for i in at.info)


def test_a_file_with_one_row_of_another_provider_is_refused_whole(app_env, refs):
    mine, received, other = refs
    rows = extract(mine, received) + [{**extract(mine, received)[0], "referral_ref": other}]
    before = counts(app_env)
    at = upload(signed_in_app("provider", "app_pages/upload.py").run(), "mixed.csv", to_csv(rows))
    assert not at.exception
    assert "NOT imported: 1 problems on 1 rows; nothing was written" in at.error[0].value
    problems = next(df.value for df in at.dataframe if "problem" in df.value.columns)
    assert problems.astype(str).values.tolist() == [["3", "referral_ref", other, NOT_YOUR_REFERRAL]]
    assert not [b for b in at.button if b.key == "upload_confirm"]  # nothing to import
    assert counts(app_env) == before  # nothing written


def test_the_providers_own_case_extract_is_checked_then_imported(app_env, refs):
    mine, received, _ = refs
    appointments, batches = counts(app_env)
    at = upload(signed_in_app("provider", "app_pages/upload.py").run(), "mine.csv", to_csv(extract(mine, received)))
    assert not at.exception and at.success, [e.value for e in at.error]
    at.button(key="upload_confirm").click().run()
    at = finish(at)
    assert not at.exception and at.success
    assert counts(app_env) == (appointments + 1, batches + 1)
    # The import history shows the provider its own batches only (not the demo seed's).
    history = at.dataframe[-1].value
    assert history["imported_by"].tolist() == ["provider"] and history["file_name"].tolist() == ["mine.csv"]


def test_the_reconciliation_page_for_the_provider(app_env, refs):
    from data_access.cli_import import run_import
    from data_access.scoping import AccessScope

    mine, received, _ = refs
    # The session the upload test imports (again here, so this test stands alone: unchanged if held).
    engine = make_engine(app_env)
    with engine.connect() as conn:
        own = conn.scalar(select(User.provider_id).where(User.username == "provider"))
    scope = AccessScope(username="provider", role="provider", provider_id=own)
    assert run_import("case-extract", engine, to_csv(extract(mine, received)), user="provider", scope=scope).ok
    engine.dispose()
    at = signed_in_app("provider", "app_pages/reconciliation.py").run()
    assert not at.exception
    assert any("your organisation's referrals" in c.value for c in at.caption)
    counts_table = next(df.value for df in at.dataframe if list(df.value.columns) == ["disagreement", "referrals"])
    assert len(counts_table) == 7
    listing = next(df.value for df in at.dataframe if "case_extract" in df.value.columns)
    # The session attended 3 days after a referral R&M holds with no session.
    row = listing[(listing["referral_ref"] == mine) & (listing["disagreement"] == "First attended session on a different date")]
    assert row[["refer_and_monitor", "case_extract"]].values.tolist() == [["not recorded", str(received + dt.timedelta(days=3))]]
    assert counts_table.loc[counts_table["disagreement"] == "First attended session on a different date",
                            "referrals"].iloc[0] == (listing["disagreement"] == "First attended session on a different date").sum()
    at.selectbox(key="rec_kind").select("First attended session on a different date").run()
    assert at.query_params["kind"] in ("session_date", ["session_date"])  # a code, not the words
    assert set(next(df.value for df in at.dataframe if "case_extract" in df.value.columns)["disagreement"]) == {
        "First attended session on a different date"}


def test_a_refer_and_monitor_report_with_another_organisations_row_is_refused_whole(app_env):
    from data_access.importers.ram import REQUIRED_COLUMNS

    def row(ref, number, organisation, contract):
        values = dict.fromkeys(REQUIRED_COLUMNS, "")
        values.update(referral_ref=ref, referral_id=f"00000000-0000-4000-8000-00000000000{number}",
                      contract_ref=contract, organisation_id=organisation, service_user_crn="X123456",
                      date_referral_received="2026-03-02T10:00:00Z", saa_attended_on_time="false")
        return values

    rows = [row("GM9000001", 1, "ORG-NWP", "GMIRS-WSS-LOT1"), row("GM9000002", 2, "ORG-CMC", "GMIRS-WSS-LOT2")]
    data = ("\r\n".join([",".join(REQUIRED_COLUMNS)] + [",".join(r[c] for c in REQUIRED_COLUMNS) for r in rows])
            + "\r\n").encode()
    before = counts(app_env)
    at = signed_in_app("provider", "app_pages/upload.py").run()
    at.file_uploader[0].set_value(("ram.csv", data, "text/csv")).run()  # the first kind: the R&M report
    at.button(key="upload_check").click().run()
    at = finish(at)
    assert not at.exception and "NOT imported: 2 problems on 1 rows" in at.error[0].value
    problems = next(df.value for df in at.dataframe if "problem" in df.value.columns)
    assert problems[["row", "column", "value"]].astype(str).values.tolist() == [
        ["3", "contract_ref", "GMIRS-WSS-LOT2"], ["3", "organisation_id", "ORG-CMC"]]
    assert counts(app_env) == before
