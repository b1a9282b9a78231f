"""The upload page: reachable by commissioners and admins only, explains itself, shows history."""

from tests.app.conftest import signed_in_app
from ui.navigation import pages_for


def test_upload_page_is_for_commissioners_and_admins_only():
    titles = {role: {s.title for specs in pages_for(role).values() for s in specs}
              for role in ("commissioner", "admin", "provider", "epop_spoc", "epop_national")}
    assert "Upload data" in titles["commissioner"] and "Upload data" in titles["admin"]
    assert not any("Upload data" in titles[r] for r in ("provider", "epop_spoc", "epop_national"))


def test_upload_page_renders_with_the_import_history(app_env):
    at = signed_in_app("admin", "app_pages/upload.py").run()
    assert not at.exception
    assert "Upload data" in [t.value for t in at.title]
    assert len(at.radio) == 1 and len(at.radio[0].options) == 3
    # The demo seed is recorded as a batch, so the history is not empty.
    assert any(df.value.shape[0] >= 1 for df in at.dataframe)
