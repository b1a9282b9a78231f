"""The upload page in a real browser: a file is checked in a worker thread while a progress bar
shows, and the result appears when it is done (issue 14, part 5)."""

from __future__ import annotations

from tests.browser import streamlit_page as sp
from tests.integration.test_import_case_epop import template_rows, to_csv


def test_a_checked_upload_shows_its_result_after_the_worker_finishes(live_server, new_context, tmp_path):
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "admin")
    sp.go_to(page, "Upload data")
    page.get_by_text("a provider case extract", exact=False).first.click()
    sp.wait_for_run(page)
    rows = template_rows()
    rows[0]["referral_ref"] = "GM\x0000001"  # refused row by row, not with a stack trace
    upload = tmp_path / "extract.csv"
    upload.write_bytes(to_csv(rows))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    sp.wait_for_run(page)
    page.get_by_role("button", name="Check file").click()
    # The problem list is a data grid (drawn on a canvas); its summary is text.
    page.get_by_text("NOT imported: 1 problems on 1 rows", exact=False).first.wait_for(timeout=60_000)
    assert not page.get_by_text("Traceback", exact=False).count()
