"""SPC settings and rebases an admin records (data_access.admin), read in one place
(data_access.figure_settings) into every view's inputs (metrics.panels.inputs_for)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import admin
from data_access.db import session_scope
from data_access.figure_settings import Rebase, figure_settings, spc_rebases
from data_access.info import data_version
from data_access.models import Referral
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import panels, periods

ADMIN = AccessScope("ada", "admin")


def view_inputs(session) -> panels.PanelInputs:
    scope, filters = ADMIN, ReferralFilters()
    return panels.inputs_for(session, scope, filters, referrals_select(scope, filters),
                             periods.month(dt.date(2024, 4, 1)), None, Settings())


def test_an_admin_records_and_removes_rebases_and_every_view_reads_them(reference_engine):
    before = data_version(reference_engine)
    with session_scope(reference_engine) as session:
        first = admin.add_spc_rebase(session, ADMIN, "ds2", dt.date(2024, 6, 15), "  Triage moved to the hubs ")
        admin.add_spc_rebase(session, ADMIN, None, dt.date(2024, 1, 1), "New case system")
    assert data_version(reference_engine) != before  # audited: cached figures recompute
    with session_scope(reference_engine) as session:
        assert spc_rebases(session) == (Rebase(None, dt.date(2024, 1, 1), "New case system"),
                                        Rebase("DS2", dt.date(2024, 6, 15), "Triage moved to the hubs"))
        assert view_inputs(session).spc_rebases == spc_rebases(session)
        listed = admin.spc_rebases(session, ADMIN)
        assert list(listed["measure"]) == ["all", "DS2"] and list(listed["recorded_by"]) == ["ada", "ada"]
        admin.remove_spc_rebase(session, ADMIN, first)
    with session_scope(reference_engine) as session:
        assert spc_rebases(session) == (Rebase(None, dt.date(2024, 1, 1), "New case system"),)
        actions = list(admin.recent_audit(session, ADMIN)["action"])
        assert actions.count("spc_rebase_added") == 2 and actions.count("spc_rebase_removed") == 1


@pytest.mark.parametrize(("code", "reason"), [("XX9", "A reason"), ("DS2", "  "), ("DS2", "x" * 301)])
def test_a_rebase_without_a_known_measure_or_a_reason_is_refused(reference_engine, code, reason):
    with pytest.raises(admin.AdminInputError), session_scope(reference_engine) as session:
        admin.add_spc_rebase(session, ADMIN, code, dt.date(2024, 6, 1), reason)
    with session_scope(reference_engine) as session:
        assert spc_rebases(session) == ()


def test_only_an_admin_may_record_a_rebase(reference_engine):
    with pytest.raises(PermissionError), session_scope(reference_engine) as session:
        admin.add_spc_rebase(session, AccessScope("cat", "commissioner"), "DS2", dt.date(2024, 6, 1), "Reason")


def test_the_spc_rule_set_and_run_length_are_admin_figure_settings(reference_engine):
    with session_scope(reference_engine) as session:
        assert (figure_settings(session, Settings()).spc_rule_set, view_inputs(session).spc_run_length) == ("mdc-2023", 7)
        admin.set_figure_setting(session, ADMIN, "spc_rule_set", "NHSR-0.2.2")
        admin.set_figure_setting(session, ADMIN, "spc_run_length", "6")
    with session_scope(reference_engine) as session:
        inputs = view_inputs(session)
        assert (inputs.spc_rule_set, inputs.spc_run_length) == ("nhsr-0.2.2", 6)
        for name, value in (("spc_rule_set", "mdc-2019"), ("spc_run_length", 8)):
            with pytest.raises(admin.AdminInputError):
                admin.set_figure_setting(session, ADMIN, name, value)
