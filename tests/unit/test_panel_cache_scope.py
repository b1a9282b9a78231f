"""Cached panels are shared by users who may see the same data, never by users who may not."""

from __future__ import annotations

import datetime as dt

from data_access.scoping import AccessScope, ReferralFilters
from data_access.settings import Settings
from metrics import periods
from ui.context import PageContext, SignedInUser
from ui.panel_data import cache_key, shared_scope


def context(username: str, role: str, provider_id: int | None = None) -> PageContext:
    return PageContext(engine=None, settings=Settings(database_url="sqlite:///x.db"),
                       user=SignedInUser(username, username, role, provider_id, None),
                       scope=AccessScope(username=username, role=role, provider_id=provider_id),
                       filters=ReferralFilters(complexity="HIGH"), period=periods.quarter(dt.date(2025, 11, 1)),
                       as_of=dt.date(2025, 11, 30), data_version="7")


def test_colleagues_with_the_same_access_share_a_cached_panel():
    assert cache_key(context("ann", "commissioner"), "kpi_tiles", {}) == cache_key(context("bob", "commissioner"),
                                                                                   "kpi_tiles", {})


def test_users_with_different_access_never_share_one():
    keys = {cache_key(context("ann", "commissioner"), "kpi_tiles", {}),
            cache_key(context("pat", "provider", provider_id=1), "kpi_tiles", {}),
            cache_key(context("sam", "provider", provider_id=2), "kpi_tiles", {}),
            cache_key(context("ada", "admin"), "kpi_tiles", {})}
    assert len(keys) == 4


def test_a_panel_is_computed_without_the_username():
    scope = shared_scope(AccessScope(username="pat", role="provider", provider_id=1, region_code="J"))
    assert scope == AccessScope(username="", role="provider", provider_id=1, region_code="J")
