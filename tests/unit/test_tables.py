"""ui.tables: the one helper every table goes through (headings in words, formats, empty cells,
mixed columns as text, a formula-safe CSV)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from metrics.labels import COLUMN_LABELS, column_label
from ui import tables


def test_headings_come_from_the_metrics_labels_or_read_as_words():
    assert column_label("referral_ref") == "Referral"
    assert column_label("working_days_left") == "Working days left"
    assert column_label("ci_lower") == "95% interval, lower"
    assert column_label("some_new_column") == "Some new column"  # no entry: its words
    assert column_label("Plan status") == "Plan status"  # already words
    assert all("_" not in label for label in COLUMN_LABELS.values())


def test_mixed_columns_become_text_and_empty_cells_empty():
    frame = pd.DataFrame({"referrals": [1234, "[c]", None], "rate": [12.5, None, float("nan")],
                          "note": ["None", "nan", "kept"], "flag": [True, False, True]})
    shown = tables.displayable(frame)
    assert list(shown["referrals"]) == ["1,234", "[c]", "–"]  # counts with separators beside [c]
    assert shown["rate"].isna().sum() == 2  # numbers stay numbers; empty shown by the placeholder
    assert shown["note"].isna().tolist() == [True, True, False] and shown["note"].iloc[2] == "kept"
    assert list(shown["flag"]) == ["yes", "no", "yes"]
    assert frame["referrals"].iloc[0] == 1234  # the panel's data is not changed


def test_each_column_gets_a_heading_and_a_format_by_its_data():
    frame = pd.DataFrame({
        "referrals": [1200, 34], "share": [12.345, 50.0], "clock_started": [dt.date(2026, 4, 1), None],
        "imported_at": pd.to_datetime(["2026-04-01 09:30", "2026-04-02 10:00"]),
        "last_import": pd.to_datetime(["2026-04-01", "2026-04-02"]), "spend": [1234.56, 99.4],
        "value_pct": [1.0, 2.0], "borough": ["Bolton", "Bury"]})
    config = tables.column_config_for(frame, labels={"borough": "Area"})
    assert config["referrals"]["label"] == "Referrals" and config["referrals"]["type_config"]["format"] == "localized"
    assert config["share"]["label"] == "Share (%)" and config["share"]["type_config"]["format"] == "%.1f"
    assert config["clock_started"]["type_config"]["type"] == "date"
    assert config["clock_started"]["type_config"]["format"] == "D MMM YYYY"  # 1 Apr 2026
    assert config["imported_at"]["type_config"]["type"] == "datetime"
    assert config["last_import"]["type_config"]["type"] == "date"  # midnight times are dates
    assert config["spend"]["label"] == "Spend (£)" and config["spend"]["type_config"]["format"] == "localized"
    assert config["value_pct"] is None  # a working the table leaves out
    assert config["borough"]["label"] == "Area"  # the caller's heading wins


def test_the_csv_has_the_table_s_headings_and_no_live_formulas():
    frame = pd.DataFrame({"referral_ref": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "R-1"], "value_pct": [1, 2, 3, 4],
                          "referrals": [1, -2, 3, 4]})
    out = pd.read_csv(io.BytesIO(tables.safe_csv_bytes(tables.headed(frame))), encoding="utf-8-sig", dtype=str)
    assert list(out.columns) == ["Referral", "Referrals"]
    assert list(out["Referral"]) == ["'=HYPERLINK(\"http://x\")", "'+1", "'@SUM(A1)", "R-1"]
    assert list(out["Referrals"]) == ["1", "-2", "3", "4"]  # numbers stay numbers


def _script():
    import datetime as dt

    import pandas as pd

    from ui.tables import table

    table(pd.DataFrame({"referral_ref": ["=1+1", "B2"], "working_days_left": [1234, None],
                        "deadline": [dt.date(2026, 4, 1), None], "referrals": [5, "[c]"]}), key="t", download="t.csv")


def test_a_rendered_table_shows_headings_a_dash_for_empty_cells_and_offers_the_safe_csv():
    at = AppTest.from_function(_script).run()
    assert not at.exception
    (element,) = at.dataframe
    config = json.loads(element.proto.columns)
    labels = {name: (config.get(name) or config.get(f"col:{name}") or {}).get("label") for name in element.value.columns}
    assert labels == {"referral_ref": "Referral", "working_days_left": "Working days left", "deadline": "Deadline",
                      "referrals": "Referrals"}
    assert element.proto.placeholder == "–"
    assert list(element.value["referrals"]) == ["5", "[c]"]  # mixed: text, so Arrow accepts it
    (button,) = at.get("download_button")
    assert button.proto.label == "Download CSV"
