"""Administration: users and roles, KPI targets, forecasts and their assumption, hubs, and the
geography each contract covers.

Every function takes the acting user's :class:`AccessScope` and refuses anyone but an admin
(the admin page is registered for admins only; this is the same decision again on the data,
deny by default). Every change writes an ``audit_log`` row with what changed. Inputs are
validated at the boundary: an :class:`AdminInputError` lists every problem found, and
nothing is written when there is one. Functions receive a Session and never commit it.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import bcrypt
import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from data_access import accounts
from data_access.batches import import_history, undo_batch
from data_access.figure_settings import EDITABLE, stored_settings
from data_access.map_data import open_hub_positions
from data_access.models import (
    AuditLog,
    Borough,
    Contract,
    ContractBorough,
    DemandUnit,
    FigureSetting,
    EndReason,
    Forecast,
    Hub,
    ImportBatch,
    KpiDefinition,
    Provider,
    Region,
    SignInThrottle,
    SpcRebase,
    User,
)
from data_access.scoping import ROLES, AccessScope
from domain.catalogue import KPI_CATALOGUE, kpi
from domain.end_reasons import SL002_CLASSES, VOCABULARIES, default_end_reasons
from geo.reach import precompute_reach

USERNAME = re.compile(r"^[a-z0-9._-]{3,60}$")
MIN_PASSWORD_LENGTH = 12


class AdminInputError(ValueError):
    """Every problem with an admin's input, in plain words (``problems``)."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = list(problems)


def _require_admin(actor: AccessScope) -> None:
    if not actor.is_admin:
        raise PermissionError("Only an administrator may change users, targets, forecasts, hubs or contracts.")


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise AdminInputError(problems)


def _audit(session: Session, actor: AccessScope, action: str, entity: str, entity_id, detail: dict) -> None:
    session.add(AuditLog(actor=actor.username, action=action, entity=entity, entity_id=str(entity_id)[:60],
                         detail=json.dumps(detail, default=str, sort_keys=True)))


def _frame(session: Session, stmt) -> pd.DataFrame:
    result = session.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


#: Passwords people pick first, refused whatever their length (lower-cased, spaces removed).
COMMON_PASSWORDS = frozenset({
    "password1234", "password12345", "passwordpassword", "123456789012", "1234567890123",
    "qwertyuiopas", "qwerty123456", "letmein12345", "welcome12345", "iloveyou1234", "changeme1234",
    "administrator", "admin1234567", "probation123", "probation1234", "manchester12", "manchester123",
    "demodemodemo", "abcdefghijkl", "abcd12345678", "trustno11234", "football1234", "monkey123456",
})


def password_problems(password: str | None, username: str | None = None) -> list[str]:
    """Why a new password is too weak, in plain words (empty when it is acceptable).

    Spaces at either end are refused rather than trimmed: the sign-in compares the password
    exactly as typed, so a password saved with an edge space that a form or a copy trims
    would never work again (issue 14)."""
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        return [f"The password must be at least {MIN_PASSWORD_LENGTH} characters."]
    problems = []
    if password != password.strip():
        problems.append("The password must not start or end with a space.")
    squeezed = "".join(password.lower().split())
    if len(set(squeezed)) < 4:
        problems.append("The password uses too few different characters.")
    if squeezed in COMMON_PASSWORDS:
        problems.append("The password is one of the most common ones; choose another.")
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append("The password must not contain the username.")
    return problems


_password_problems = password_problems


# --------------------------------------------------------------------------------------------
# Users and roles
# --------------------------------------------------------------------------------------------


def list_users(session: Session, actor: AccessScope) -> pd.DataFrame:
    """Users without their password hashes."""
    _require_admin(actor)
    stmt = (select(User.username, User.display_name, User.role, Provider.name.label("provider"),
                   User.region_code.label("region"), User.active,
                   SignInThrottle.blocked_until.label("locked_until"), User.is_demo)
            .outerjoin(Provider, Provider.id == User.provider_id)
            .outerjoin(SignInThrottle, SignInThrottle.key == "user:" + User.username)
            .order_by(User.username))
    return _frame(session, stmt)


def _role_problems(session: Session, role: str, provider_id: int | None, region_code: str | None) -> list[str]:
    problems = []
    if role not in ROLES:
        problems.append(f"{role!r} is not a role; choose one of {', '.join(ROLES)}.")
    if role == "provider" and (provider_id is None or session.get(Provider, provider_id) is None):
        problems.append("A provider account must be linked to a provider (it sees only that provider's referrals).")
    if role == "epop_spoc" and (region_code is None or session.get(Region, region_code) is None):
        problems.append("An EPOP SPOC account must be linked to a region.")
    return problems


def create_user(session: Session, actor: AccessScope, *, username: str, display_name: str, role: str,
                password: str, email: str | None = None, provider_id: int | None = None,
                region_code: str | None = None) -> User:
    _require_admin(actor)
    username = (username or "").strip().lower()
    problems = []
    if not USERNAME.match(username):
        problems.append("A username is 3–60 characters: lower-case letters, digits, '.', '_' or '-'.")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(f"The username {username!r} is taken.")
    if not (display_name or "").strip():
        problems.append("Give the user a display name.")
    problems += _role_problems(session, role, provider_id, region_code)
    problems += _password_problems(password, username)
    _raise_if(problems)
    user = User(username=username, display_name=display_name.strip(), email=email or None, role=role,
                password_hash=hash_password(password), provider_id=provider_id if role == "provider" else None,
                region_code=region_code if role == "epop_spoc" else None, active=True)
    session.add(user)
    session.flush()
    _audit(session, actor, "user_created", "user", username,
           {"role": role, "provider_id": user.provider_id, "region_code": user.region_code})
    return user


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AdminInputError([f"There is no user {username!r}."])
    return user


def update_user(session: Session, actor: AccessScope, username: str, *, role: str, active: bool,
                provider_id: int | None = None, region_code: str | None = None,
                display_name: str | None = None) -> User:
    """Change a user's role, links and whether the account is active (unlocks it too)."""
    _require_admin(actor)
    user = _user(session, username)
    problems = _role_problems(session, role, provider_id, region_code)
    if username == actor.username and (role != "admin" or not active):
        problems.append("You cannot remove your own administrator access; ask another administrator.")
    _raise_if(problems)
    before = {"role": user.role, "active": user.active, "provider_id": user.provider_id, "region_code": user.region_code}
    user.role, user.active = role, bool(active)
    user.provider_id = provider_id if role == "provider" else None
    user.region_code = region_code if role == "epop_spoc" else None
    if display_name:
        user.display_name = display_name.strip()
    accounts.clear_throttle(session, username)
    after = {"role": user.role, "active": user.active, "provider_id": user.provider_id, "region_code": user.region_code}
    if before != after:  # a changed role or link, or a disabled account: its sessions end now
        accounts.revoke_tokens(session, username)
    _audit(session, actor, "user_updated", "user", username, {"before": before, "after": after})
    return user


def set_password(session: Session, actor: AccessScope, username: str, password: str) -> None:
    _require_admin(actor)
    user = _user(session, username)
    _raise_if(_password_problems(password, username))
    user.password_hash = hash_password(password)
    accounts.clear_throttle(session, username)
    accounts.revoke_tokens(session, username)  # cookies issued with the old password stop working
    _audit(session, actor, "password_set", "user", username, {})  # never the password or its hash


def set_active(session: Session, actor: AccessScope, username: str, active: bool) -> User:
    """Enable or disable an account (a disabled account cannot sign in; its sessions end)."""
    _require_admin(actor)
    user = _user(session, username)
    if username == actor.username and not active:
        _raise_if(["You cannot disable your own account; ask another administrator."])
    before = user.active
    user.active = bool(active)
    if not active:
        accounts.revoke_tokens(session, username)
    _audit(session, actor, "user_enabled" if active else "user_disabled", "user", username,
           {"before": before, "after": user.active})
    return user


# --------------------------------------------------------------------------------------------
# KPI targets
# --------------------------------------------------------------------------------------------


def kpi_targets(session: Session, actor: AccessScope) -> pd.DataFrame:
    _require_admin(actor)
    rows = {r.code: r for r in session.scalars(select(KpiDefinition))}
    return pd.DataFrame([
        {"code": d.code, "title": d.title,
         "target": rows[d.code].target if d.code in rows else d.target,
         "trigger": rows[d.code].trigger if d.code in rows else d.trigger,
         "catalogue_target": d.target, "updated_by": rows[d.code].updated_by if d.code in rows else None,
         "updated_at": rows[d.code].updated_at if d.code in rows else None}
        for d in KPI_CATALOGUE])


def set_kpi_target(session: Session, actor: AccessScope, code: str, target: float | None,
                   trigger: float | None = None) -> None:
    _require_admin(actor)
    problems = []
    try:
        definition = kpi(code)
    except KeyError:
        raise AdminInputError([f"{code!r} is not a KPI in the catalogue."]) from None
    for name, value in (("target", target), ("trigger", trigger)):
        if value is not None and not 0 <= value <= 100:
            problems.append(f"The {name} is a percentage from 0 to 100 (got {value}).")
    if target is not None and trigger is not None and trigger > target:
        problems.append("The trigger must not be above the target.")
    _raise_if(problems)
    row = session.get(KpiDefinition, definition.code)
    before = None if row is None else {"target": row.target, "trigger": row.trigger}
    if row is None:
        row = KpiDefinition(code=definition.code, title=definition.title)
        session.add(row)
    row.target, row.trigger = target, trigger
    row.updated_by, row.updated_at = actor.username, dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _audit(session, actor, "kpi_target_set", "kpi_definition", definition.code,
           {"before": before, "after": {"target": target, "trigger": trigger}})


# --------------------------------------------------------------------------------------------
# End reasons and their SL002 class (Decision 9)
# --------------------------------------------------------------------------------------------


def end_reasons(session: Session, actor: AccessScope) -> pd.DataFrame:
    """The end-reason table SL002 and the importer use, with the reviewed file's default class."""
    _require_admin(actor)
    defaults = {(r.vocabulary, r.code): r.sl002_class for r in default_end_reasons().reasons}
    t = EndReason.__table__.c
    frame = _frame(session, select(t.vocabulary, t.code, t.description, t.grouping, t.sl002_class, t.why, t.source,
                                   t.updated_by, t.updated_at).order_by(t.vocabulary, t.code))
    frame.insert(5, "default_class", [defaults.get(k, "(added by an admin)") for k in zip(frame["vocabulary"], frame["code"])])
    return frame


def save_end_reason(session: Session, actor: AccessScope, *, vocabulary: str, code: str, sl002_class: str,
                    description: str | None = None, why: str = "") -> None:
    """Change a reason's SL002 class (and say why), or add a reason Refer and Monitor writes
    that the table does not know yet (``description`` needed). Audited; the stored KPI
    summary goes stale by itself (``metrics.summary.data_version``)."""
    _require_admin(actor)
    code = code.strip().upper()
    problems = []
    if vocabulary not in VOCABULARIES:
        problems.append(f"The vocabulary is one of {', '.join(VOCABULARIES)} (got {vocabulary!r}).")
    if sl002_class not in SL002_CLASSES:
        problems.append(f"The SL002 class is one of {', '.join(SL002_CLASSES)} (got {sl002_class!r}).")
    if not 1 <= len(code) <= 3:
        problems.append("The code has one to three letters.")
    row = session.get(EndReason, (vocabulary, code))
    if row is None and not (description or "").strip():
        problems.append(f"{vocabulary} {code} is not in the table: give its description as Refer and Monitor writes it.")
    _raise_if(problems)
    before = None if row is None else {"sl002_class": row.sl002_class, "why": row.why}
    if row is None:
        row = EndReason(vocabulary=vocabulary, code=code, description=description.strip(), source="added by an admin")
        session.add(row)
    row.sl002_class = sl002_class
    if why.strip():
        row.why = why.strip()
    row.updated_by, row.updated_at = actor.username, dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _audit(session, actor, "end_reason_class_set", "end_reason", f"{vocabulary} {code}",
           {"before": before, "after": {"sl002_class": sl002_class, "why": row.why}})


# --------------------------------------------------------------------------------------------
# Forecasts and their assumption (Decisions 1 and 2)
# --------------------------------------------------------------------------------------------


def forecasts(session: Session, actor: AccessScope) -> pd.DataFrame:
    _require_admin(actor)
    stmt = (select(Forecast.id, DemandUnit.name.label("demand_unit"), Forecast.base_date, Forecast.base_count,
                   Forecast.predicted_low, Forecast.predicted_high, Forecast.period_days, Forecast.source_note)
            .join(DemandUnit, DemandUnit.id == Forecast.demand_unit_id).order_by(DemandUnit.name, Forecast.base_date))
    return _frame(session, stmt)


def update_forecast(session: Session, actor: AccessScope, forecast_id: int, *, predicted_low: int,
                    predicted_high: int, source_note: str | None = None) -> None:
    _require_admin(actor)
    row = session.get(Forecast, forecast_id)
    problems = [] if row is not None else [f"There is no forecast {forecast_id}."]
    if predicted_low is None or predicted_high is None or predicted_low < 0 or predicted_high < 0:
        problems.append("Forecast bounds are whole numbers of people, 0 or more.")
    elif predicted_low > predicted_high:
        problems.append("The low bound must not be above the high bound.")
    _raise_if(problems)
    before = {"predicted_low": row.predicted_low, "predicted_high": row.predicted_high, "source_note": row.source_note}
    row.predicted_low, row.predicted_high = int(predicted_low), int(predicted_high)
    if source_note:
        row.source_note = source_note.strip()
    _audit(session, actor, "forecast_updated", "forecast", forecast_id,
           {"before": before, "after": {"predicted_low": row.predicted_low, "predicted_high": row.predicted_high,
                                        "source_note": row.source_note}})


def set_forecast_period(session: Session, actor: AccessScope, period_days: int) -> int:
    """The assumption (Decision 1): how many days the published forecast covers, for every unit."""
    _require_admin(actor)
    _raise_if([] if isinstance(period_days, int) and 1 <= period_days <= 3660 else
              ["The forecast period is a whole number of days from 1 to 3,660."])
    rows = session.scalars(select(Forecast)).all()
    before = sorted({r.period_days for r in rows})
    for row in rows:
        row.period_days = period_days
    _audit(session, actor, "forecast_period_set", "forecast", "all", {"before": before, "after": period_days})
    return len(rows)


def figure_settings_set(session: Session, actor: AccessScope) -> dict[str, object]:
    """The figure settings an admin has set (the rest keep the deployment's values)."""
    _require_admin(actor)
    return stored_settings(session)


def _parse_setting(kind: type, value):
    """``value`` as ``kind`` (a whole number, or a lower-case word), or None if it is not one."""
    if kind is str:
        return str(value).strip().lower()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def set_figure_setting(session: Session, actor: AccessScope, name: str, value) -> None:
    """Set one setting that changes figures (Decisions 2 and 6, suppression), for every page,
    pack and the CLI (``data_access.figure_settings``); ``value=None`` returns it to the
    deployment's value. Audited, which also makes cached figures recompute."""
    _require_admin(actor)
    if name not in EDITABLE:
        raise AdminInputError([f"{name!r} is not a figure setting ({', '.join(EDITABLE)})."])
    kind, check, rule = EDITABLE[name]
    if value is not None:
        value = _parse_setting(kind, value)
        if value is None or not check(value):
            raise AdminInputError([f"{name} must be {rule}."])
    current = stored_settings(session)
    low = value if name == "distance_scale_min" else current.get("distance_scale_min")
    high = value if name == "distance_scale_max" else current.get("distance_scale_max")
    _raise_if(["The distance scale's lowest score must be below its highest."]
              if low is not None and high is not None and low >= high else [])
    row = session.get(FigureSetting, name)
    before = None if row is None else row.value
    if value is None:
        if row is not None:
            session.delete(row)
    else:
        if row is None:
            row = FigureSetting(name=name)
            session.add(row)
        row.value = str(value)
        row.updated_by, row.updated_at = actor.username, dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _audit(session, actor, "figure_setting_set", "figure_setting", name, {"before": before, "after": value})


SPC_REBASE_COLUMNS = ["id", "measure", "rebase_on", "reason", "recorded_by", "recorded_at"]


def spc_rebases(session: Session, actor: AccessScope) -> pd.DataFrame:
    """The recorded SPC rebases (known process changes), oldest first; measure "all" for every measure."""
    _require_admin(actor)
    frame = _frame(session, select(SpcRebase.id, SpcRebase.kpi_code.label("measure"), SpcRebase.rebase_on,
                                   SpcRebase.reason, SpcRebase.recorded_by, SpcRebase.recorded_at)
                   .order_by(SpcRebase.rebase_on, SpcRebase.id))
    if frame.empty:
        return pd.DataFrame(columns=SPC_REBASE_COLUMNS)
    frame["measure"] = frame["measure"].fillna("all")
    return frame[SPC_REBASE_COLUMNS]


def add_spc_rebase(session: Session, actor: AccessScope, code: str | None, rebase_on: dt.date, reason: str) -> int:
    """Record a process change: from the first month on or after ``rebase_on`` the SPC chart of
    ``code`` (None = every measure) gets a new mean and limits. A reason is required (Making
    Data Count rebases only at a known, sustained change). Audited, so cached charts recompute."""
    _require_admin(actor)
    code = code.strip().upper() if code else None
    reason = (reason or "").strip()
    known = {entry.code for entry in KPI_CATALOGUE}
    _raise_if([problem for problem in (
        f"{code} is not a measure ({', '.join(sorted(known))})." if code is not None and code not in known else None,
        "Give the reason for the rebase (the process change)." if not reason else None,
        "The reason must be at most 300 characters." if len(reason) > 300 else None,
        "The rebase date must be a date." if not isinstance(rebase_on, dt.date) else None,
    ) if problem])
    row = SpcRebase(kpi_code=code, rebase_on=rebase_on, reason=reason, recorded_by=actor.username,
                    recorded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    session.add(row)
    session.flush()
    _audit(session, actor, "spc_rebase_added", "spc_rebase", row.id,
           {"measure": code or "all", "rebase_on": rebase_on, "reason": reason})
    return row.id


def remove_spc_rebase(session: Session, actor: AccessScope, rebase_id: int) -> None:
    """Remove a recorded rebase (audited with what it was)."""
    _require_admin(actor)
    row = session.get(SpcRebase, int(rebase_id))
    _raise_if([f"No SPC rebase {rebase_id}."] if row is None else [])
    _audit(session, actor, "spc_rebase_removed", "spc_rebase", row.id,
           {"measure": row.kpi_code or "all", "rebase_on": row.rebase_on, "reason": row.reason})
    session.delete(row)


# --------------------------------------------------------------------------------------------
# Hubs (spec §2.1: a physical hub in each of the ten boroughs)
# --------------------------------------------------------------------------------------------


def hubs(session: Session, actor: AccessScope) -> pd.DataFrame:
    _require_admin(actor)
    stmt = (select(Hub.id, Hub.name, Borough.name.label("borough"), Hub.address, Hub.postcode, Hub.latitude,
                   Hub.longitude, Hub.opening_pattern, Hub.co_located_services, Hub.active)
            .join(Borough, Borough.id == Hub.borough_id).order_by(Borough.name, Hub.name))
    return _frame(session, stmt)


def save_hub(session: Session, actor: AccessScope, *, name: str, borough_id: int, hub_id: int | None = None,
             postcode: str | None = None, latitude: float | None = None, longitude: float | None = None,
             address: str | None = None, opening_pattern: str | None = None,
             co_located_services: str | None = None, active: bool = True) -> Hub:
    """Add (``hub_id`` None) or edit a hub. A postcode fills the position; the position must
    lie in the hub's borough (geo.postcodes.validate_hub_location)."""
    from geo.postcodes import HubLocationError, PostcodeError, hub_location_issues, resolve_postcode

    _require_admin(actor)
    problems: list[str] = []
    borough = session.get(Borough, borough_id)
    if borough is None:
        problems.append("Choose one of the ten Greater Manchester boroughs.")
    name = (name or "").strip()
    if not name:
        problems.append("Give the hub a name.")
    clash = session.scalar(select(Hub.id).where(Hub.name == name, Hub.id != (hub_id or -1)))
    if clash is not None:
        problems.append(f"Another hub is already called {name!r}.")
    if postcode:
        try:
            resolved = resolve_postcode(postcode)
        except PostcodeError as exc:
            problems.append(str(exc))
        else:
            postcode = resolved.postcode
            if latitude is None or longitude is None:
                latitude, longitude = resolved.latitude, resolved.longitude
    hub = session.get(Hub, hub_id) if hub_id is not None else None
    if hub is not None and not postcode and latitude is None and longitude is None:
        latitude, longitude = hub.latitude, hub.longitude  # an edit that does not move the hub
    if borough is not None:
        try:
            problems += hub_location_issues(borough.gss_code, latitude, longitude)
        except HubLocationError as exc:  # pragma: no cover - hub_location_issues returns, not raises
            problems.append(str(exc))
    if hub_id is not None and hub is None:
        problems.append(f"There is no hub {hub_id}.")
    _raise_if(problems)
    before = None if hub is None else {c: getattr(hub, c) for c in ("name", "borough_id", "postcode", "latitude",
                                                                     "longitude", "address", "active")}
    if hub is None:
        hub = Hub(name=name, borough_id=borough_id)
        session.add(hub)
    hub.name, hub.borough_id, hub.postcode, hub.latitude, hub.longitude = name, borough_id, postcode, latitude, longitude
    hub.address, hub.opening_pattern, hub.co_located_services, hub.active = (
        address or None, opening_pattern or None, co_located_services or None, bool(active))
    session.flush()
    after = {c: getattr(hub, c) for c in ("name", "borough_id", "postcode", "latitude", "longitude", "address", "active")}
    _audit(session, actor, "hub_added" if before is None else "hub_updated", "hub", hub.id,
           {"before": before, "after": after})
    # Reach depends only on where the open hubs are: work it out now, once, rather than when
    # someone next opens the Maps page (issue 18).
    precompute_reach(open_hub_positions(session))
    return hub


# --------------------------------------------------------------------------------------------
# Contracts → geography
# --------------------------------------------------------------------------------------------


def contract_geography(session: Session, actor: AccessScope) -> pd.DataFrame:
    _require_admin(actor)
    contracts = _frame(session, select(Contract.id, Contract.reference, Provider.name.label("provider"),
                                       Contract.region_code, Contract.needs_mapping)
                       .join(Provider, Provider.id == Contract.provider_id).order_by(Contract.reference))
    links = _frame(session, select(ContractBorough.contract_id, Borough.name)
                   .join(Borough, Borough.id == ContractBorough.borough_id).order_by(Borough.name))
    names = links.groupby("contract_id")["name"].agg(", ".join) if not links.empty else pd.Series(dtype=str)
    contracts["boroughs"] = contracts["id"].map(names).fillna("")
    return contracts


def set_contract_boroughs(session: Session, actor: AccessScope, contract_id: int, borough_ids: list[int],
                          region_code: str | None = None) -> None:
    """Replace the boroughs a contract covers (and optionally its region); clears needs_mapping."""
    _require_admin(actor)
    contract = session.get(Contract, contract_id)
    problems = [] if contract is not None else [f"There is no contract {contract_id}."]
    known = set(session.scalars(select(Borough.id)))
    unknown = sorted(set(borough_ids) - known)
    if unknown:
        problems.append(f"Unknown borough ids: {unknown}.")
    if not borough_ids:
        problems.append("A contract must cover at least one borough.")
    if region_code is not None and session.get(Region, region_code) is None:
        problems.append(f"{region_code!r} is not a probation region.")
    _raise_if(problems)
    before = sorted(session.scalars(select(ContractBorough.borough_id).where(ContractBorough.contract_id == contract_id)))
    session.execute(delete(ContractBorough).where(ContractBorough.contract_id == contract_id))
    session.add_all([ContractBorough(contract_id=contract_id, borough_id=b) for b in sorted(set(borough_ids))])
    if region_code is not None:
        contract.region_code = region_code
    contract.needs_mapping = False
    _audit(session, actor, "contract_geography_set", "contract", contract.reference,
           {"before": before, "after": sorted(set(borough_ids)), "region_code": contract.region_code})


def recent_audit(session: Session, actor: AccessScope, limit: int = 50) -> pd.DataFrame:
    _require_admin(actor)
    return _frame(session, select(AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.entity, AuditLog.entity_id,
                                  AuditLog.detail).order_by(AuditLog.id.desc()).limit(limit))


def pickers(session: Session, actor: AccessScope) -> dict[str, dict]:
    """Choices for the admin forms: providers, regions and boroughs by id/code → name."""
    _require_admin(actor)
    return {
        "providers": dict(session.execute(select(Provider.id, Provider.name).order_by(Provider.name)).all()),
        "regions": dict(session.execute(select(Region.code, Region.name).order_by(Region.code)).all()),
        "boroughs": dict(session.execute(select(Borough.id, Borough.name).order_by(Borough.name)).all()),
    }


# --------------------------------------------------------------------------------------------
# Imports: history and undo
# --------------------------------------------------------------------------------------------


def imports(engine: Engine, actor: AccessScope, *, limit: int = 100) -> pd.DataFrame:
    """The latest import batches, newest first (administrators only)."""
    _require_admin(actor)
    rows = [b.__dict__ for b in import_history(engine, scope=actor, limit=limit)]
    return pd.DataFrame(rows).drop(columns=["sha256"], errors="ignore")


def undo_import(engine: Engine, actor: AccessScope, batch_id: int) -> tuple[dict[str, int], list[str]]:
    """Undo one import batch (administrators only), then rebuild the stored KPI counts if it
    touched referrals. Returns rows deleted or restored per table, and notices for the user.

    Raises ``data_access.batches.UndoRefused`` (the reason in plain words) when the batch
    cannot be undone; the undo itself is one transaction and is audited.
    """
    from data_access.cli_import import REFERRAL_IMPORT_KINDS
    from data_access.kpi_summary import refresh_after_change

    _require_admin(actor)
    with engine.connect() as connection:
        kind = connection.scalar(select(ImportBatch.kind).where(ImportBatch.id == batch_id))
    counts = undo_batch(engine, batch_id, user=actor.username)
    notices = refresh_after_change(engine) if kind in REFERRAL_IMPORT_KINDS else []
    return counts, notices
