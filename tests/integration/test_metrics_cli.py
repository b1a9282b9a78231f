"""``python -m metrics scorecard`` on a database holding only a Refer and Monitor report."""

import datetime as dt
import io
import json

import pytest

from data_access.db import make_engine, session_scope
from data_access.models import Referral
from data_access.schema import upgrade
from metrics.__main__ import main
from domain.dates import london_date, utc_naive

# Refer and Monitor performance-report rows as the CSV writes them (ISO timestamps with offsets).
RAM_ROWS = [
    {"referral_ref": "AB1234CD", "date_referral_received": "2024-04-02T09:00:00+01:00",
     "date_saa_first_attended": "2024-04-10T10:00:00+01:00",
     "date_first_action_plan_submitted": "2024-04-12T10:00:00+01:00",
     "date_of_first_action_plan_approval": "2024-04-15T10:00:00+01:00",
     "date_of_first_attended_session": "2024-04-22T10:00:00+01:00",
     "outcomes_achieved": 1.0, "date_eosr_submitted": "2024-04-28T10:00:00+01:00",
     "concluded_at": "2024-04-29T10:00:00+01:00", "referral_end_state": "completed"},
    # Assessed late (deadline 16 Apr), ended by PP as disengaged on 30 April 23:30Z, which is
    # 1 May in London (BST): SL002 counts it in May, not April.
    {"referral_ref": "EF5678GH", "date_referral_received": "2024-04-02T09:00:00+01:00",
     "date_saa_first_attended": "2024-04-19T10:00:00+01:00",
     "date_first_action_plan_submitted": "2024-04-30T10:00:00+01:00",
     "date_of_first_action_plan_approval": "2024-04-30T12:00:00+01:00",
     "end_requested_by_pp_reason": "Service user has been disengaged",
     "concluded_at": "2024-04-30T23:30:00Z", "referral_end_state": "ended"},
]

COLUMN_MAP = {
    "date_referral_received": ("referral_received_at", "received_on"),
    "date_saa_first_attended": ("saa_first_attended_at", "saa_first_attended_on"),
    "date_first_action_plan_submitted": ("first_action_plan_submitted_at", "action_plan_submitted_on"),
    "date_of_first_action_plan_approval": ("first_action_plan_approved_at", "action_plan_approved_on"),
    "date_of_first_attended_session": ("first_attended_session_at", "first_session_on"),
    "date_eosr_submitted": ("eosr_submitted_at", "eosr_submitted_on"),
    "concluded_at": ("concluded_at", "concluded_on"),
}


@pytest.fixture()
def ram_only_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ram.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for i, raw in enumerate(RAM_ROWS):
            fields = {"referral_ref": raw["referral_ref"], "referral_id": f"r{i}", "source": "ram"}
            for csv_name, (at, on) in COLUMN_MAP.items():
                if raw.get(csv_name):
                    fields[at] = utc_naive(raw[csv_name])
                    fields[on] = london_date(raw[csv_name])
            for key in ("outcomes_achieved", "end_requested_by_pp_reason", "referral_end_state"):
                if key in raw:
                    fields[key] = raw[key]
            session.add(Referral(**fields))
    engine.dispose()
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    return url


def run(*argv):
    out = io.StringIO()
    assert main(list(argv), out=out) == 0
    return out.getvalue()


def test_json_shape_and_values(ram_only_db):
    payload = json.loads(run("scorecard", "--from", "2024-04-01", "--to", "2024-04-30", "--format", "json"))
    assert set(payload) == {"from", "to", "as_of", "filters", "kpis"}
    assert payload["as_of"] == "2024-05-01"  # latest date: EF5678GH concluded 1 May (London)
    by_code = {k["code"]: k for k in payload["kpis"]}
    assert set(by_code) >= {"DS2", "DS3", "KP6", "DS5", "SL002"}
    for row in payload["kpis"]:
        assert set(row) == {"code", "title", "numerator", "denominator", "value", "target",
                            "trigger", "status", "definition"}
    # DS2: both received Tue 2 Apr, deadline Tue 16 Apr: AB met (10 Apr), EF not (19 Apr) → 50%.
    assert (by_code["DS2"]["numerator"], by_code["DS2"]["denominator"], by_code["DS2"]["value"]) == (1, 2, 50.0)
    # DS3: AB assessed 10 Apr, plan 12 Apr (deadline 17 Apr) met; EF assessed 19 Apr, plan 30 Apr
    # (deadline 26 Apr) not met → 50%.
    assert by_code["DS3"]["value"] == 50.0
    # KP6: AB approved 15 Apr, session 22 Apr (deadline 29 Apr): met. EF approved 30 Apr, deadline
    # 14 May not passed as of 1 May and no session: not yet due → 1/1.
    assert (by_code["KP6"]["numerator"], by_code["KP6"]["denominator"]) == (1, 1)
    # DS5: AB concluded 29 Apr with EoSR, score 1 → 1/1.
    assert by_code["DS5"]["value"] == 100.0
    # SL002 for April: only AB ended in April (EF ended 1 May London time): 1/1 = 100%, met.
    assert (by_code["SL002"]["numerator"], by_code["SL002"]["denominator"], by_code["SL002"]["status"]) == (1, 1, "met")
    assert by_code["SL002"]["trigger"] == 80.0


def test_may_sl002_and_csv(ram_only_db):
    text = run("scorecard", "--from", "2024-05-01", "--to", "2024-05-31", "--format", "csv")
    lines = text.strip().splitlines()
    assert lines[0] == "code,title,numerator,denominator,value,target,trigger,status,definition"
    sl002 = next(line for line in lines if line.startswith("SL002"))
    # May: EF, disengaged with an approved plan and no session: negative → 0 / 1 = 0%.
    assert ",0,1,0.0,90.0,80.0,below trigger," in sl002


def test_suppressed_table(ram_only_db):
    text = run("scorecard", "--from", "2024-04-01", "--to", "2024-04-30", "--suppress", "--format", "table")
    assert "[c]" in text and "not shown" in text


def test_a_published_part_month_period_is_refused_with_the_rule(ram_only_db, tmp_path):
    """docs/DISCLOSURE.md "Custom periods": what the CLI publishes (the suppressed scorecard, a
    pack, SPC, compare) covers whole calendar months; the analyst's unsuppressed scorecard does not
    publish and may take any dates."""
    for argv in (("scorecard", "--from", "2024-04-02", "--to", "2024-04-30", "--suppress"),
                 ("compare", "--code", "DS2", "--by", "borough", "--from", "2024-04-01", "--to", "2024-05-15"),
                 ("spc", "--code", "DS2", "--from", "2024-04-01", "--to", "2024-04-29"),
                 ("pack", "--kind", "board", "--from", "2024-04-02", "--to", "2024-04-30",
                  "--out", str(tmp_path / "pack.xlsx"))):
        with pytest.raises(SystemExit, match="whole calendar months") as caught:
            run(*argv)
        assert "The nearest is 01 Apr 2024" in str(caught.value), argv
    assert not (tmp_path / "pack.xlsx").exists()
    assert json.loads(run("scorecard", "--from", "2024-04-02", "--to", "2024-04-20"))["from"] == "2024-04-02"
    assert "[c]" in run("scorecard", "--from", "2024-04-01", "--to", "2024-05-31", "--suppress", "--format", "table")


def test_unknown_borough(ram_only_db):
    with pytest.raises(SystemExit):
        run("scorecard", "--from", "2024-04-01", "--to", "2024-04-30", "--borough", "Atlantis")


def test_every_scope_uses_the_datas_as_of_date(ram_only_db):
    """Audit finding 7: a scope's own latest event set its as-of date, so a provider's figures
    did not add up to Greater Manchester's. AB1234CD's last event is 29 April; the data's is
    1 May (EF5678GH), and the provider's view is as of 1 May too."""
    from sqlalchemy import update

    from data_access.models import Provider

    with session_scope(make_engine(ram_only_db)) as session:
        provider = Provider(organisation_code="P1", name="Test provider")
        session.add(provider)
        session.flush()
        session.execute(update(Referral).where(Referral.referral_ref == "AB1234CD").values(provider_id=provider.id))
    payload = json.loads(run("scorecard", "--from", "2024-04-01", "--to", "2024-04-30", "--provider", "P1",
                             "--format", "json"))
    assert payload["as_of"] == "2024-05-01"


def test_a_database_with_no_tables_gets_a_sentence_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SystemExit) as caught:
        run("scorecard", "--from", "2024-04-01", "--to", "2024-04-30")
    assert "has no dashboard tables yet" in str(caught.value) and "python -m data_access init" in str(caught.value)
