"""The upload page: reachable by commissioners and admins only, explains itself, shows history."""

from data_access.scoping import analyst_scope
from tests.app.conftest import signed_in_app
from ui.navigation import pages_for


def test_upload_page_is_for_commissioners_admins_and_providers_only():
    titles = {role: {s.title for specs in pages_for(role).values() for s in specs}
              for role in ("commissioner", "admin", "provider", "epop_spoc", "epop_national")}
    assert all("Upload data" in titles[r] for r in ("commissioner", "admin", "provider"))
    assert not any("Upload data" in titles[r] for r in ("epop_spoc", "epop_national"))


def test_upload_page_renders_with_the_import_history(app_env):
    at = signed_in_app("admin", "app_pages/upload.py").run()
    assert not at.exception
    assert "Upload data" in [t.value for t in at.title]
    assert len(at.radio) == 1 and len(at.radio[0].options) == 3
    # The demo seed is recorded as a batch, so the history is not empty.
    assert any(df.value.shape[0] >= 1 for df in at.dataframe)


def test_an_upload_runs_in_a_worker_thread_with_progress(app_env, monkeypatch):
    """The page's run returns at once; the job reports progress and its result when done."""
    import threading
    import time

    from data_access.db import make_engine
    from tests.integration.test_import_case_epop import template_rows, to_csv
    from ui import upload_jobs

    release = threading.Event()
    seen_threads = []
    real = upload_jobs.run_import

    def slow_import(*args, progress=None, **kwargs):
        seen_threads.append(threading.current_thread().name)
        progress(3, "checking")
        release.wait(10)
        return real(*args, progress=progress, **kwargs)

    monkeypatch.setattr(upload_jobs, "run_import", slow_import)
    job = upload_jobs.start("case-extract", make_engine(app_env), to_csv(template_rows()), user="admin",
                            scope=analyst_scope(), write=False, file_name="extract.csv")
    deadline = time.monotonic() + 10
    while job.rows == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not job.finished and job.phase == "checking" and 0 < job.fraction < 1
    assert seen_threads and seen_threads[0] != threading.current_thread().name
    release.set()
    while not job.finished and time.monotonic() < deadline + 20:
        time.sleep(0.05)
    assert job.finished and job.error is None and job.result is not None and job.fraction == 1.0


def test_a_failing_import_job_reports_a_sentence_not_a_trace(app_env, monkeypatch):
    import time

    from data_access.db import make_engine
    from ui import upload_jobs

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(upload_jobs, "run_import", broken)
    job = upload_jobs.start("epop-plan", make_engine(app_env), b"x", user="admin", scope=analyst_scope(), write=False,
                            file_name="p.csv")
    deadline = time.monotonic() + 10
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.finished and "nothing was written" in job.error and "boom" not in job.error
