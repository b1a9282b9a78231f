"""Who may see which rows, applied to every query: deny by default.

The app decides a user's pages in ``app.py``; this module enforces the same decision again on
the data. Every read of referral-level data goes through :func:`referrals_select`, which
starts from the user's :class:`AccessScope` and only then applies the sidebar filters, so a
tampered filter (another provider's id in the URL) can only narrow what the scope allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from data_access.geography import referral_in_pdu, referral_in_region
from data_access.models import Referral, User

ROLES = ("commissioner", "provider", "epop_spoc", "epop_national", "admin")
#: Roles that may see case-level referral data at all, and which of them may see case ids.
REFERRAL_ROLES = {"commissioner", "provider", "admin"}
CASE_LIST_ROLES = {"commissioner", "provider", "admin"}
EPOP_ROLES = {"epop_spoc", "epop_national", "admin"}


@dataclass(frozen=True)
class AccessScope:
    """What one signed-in user may see. Build it with :func:`scope_for_user`."""

    username: str
    role: str
    provider_id: int | None = None
    region_code: str | None = None

    @property
    def sees_referrals(self) -> bool:
        if self.role not in REFERRAL_ROLES:
            return False
        # A provider account with no provider attached sees nothing rather than everything.
        return not (self.role == "provider" and self.provider_id is None)

    @property
    def sees_case_ids(self) -> bool:
        return self.sees_referrals and self.role in CASE_LIST_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit_epop_region(self, region_code: str | None) -> bool:
        if self.role in {"epop_national", "admin"}:
            return True
        return self.role == "epop_spoc" and region_code is not None and region_code == self.region_code


#: A scope that sees nothing: what an unknown user or role gets.
NO_ACCESS = AccessScope(username="", role="none")


def scope_for_user(user: User | None) -> AccessScope:
    if user is None or not user.active or user.role not in ROLES:
        return NO_ACCESS
    return AccessScope(
        username=user.username, role=user.role, provider_id=user.provider_id, region_code=user.region_code
    )


def analyst_scope() -> AccessScope:
    """Full read access for command-line use by an administrator on the database host."""
    return AccessScope(username="cli", role="admin")


@dataclass(frozen=True)
class ReferralFilters:
    """The shared sidebar filters. ``None`` means "all"."""

    region_code: str | None = None
    pdu_number: int | None = None
    borough_id: int | None = None
    hub_id: int | None = None
    contract_id: int | None = None
    provider_id: int | None = None
    complexity: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "extra"}


def apply_scope(stmt: Select, scope: AccessScope) -> Select:
    """Restrict a statement over ``referrals`` to what ``scope`` may see (deny by default)."""
    if not scope.sees_referrals:
        return stmt.where(false())
    if scope.role == "provider":
        return stmt.where(Referral.provider_id == scope.provider_id)
    if scope.role in {"commissioner", "admin"}:
        return stmt
    return stmt.where(false())  # pragma: no cover - unreachable while ROLES are as above


def apply_filters(stmt: Select, filters: ReferralFilters) -> Select:
    if filters.borough_id is not None:
        stmt = stmt.where(Referral.borough_id == filters.borough_id)
    if filters.hub_id is not None:
        stmt = stmt.where(Referral.hub_id == filters.hub_id)
    if filters.contract_id is not None:
        stmt = stmt.where(Referral.contract_id == filters.contract_id)
    if filters.provider_id is not None:
        stmt = stmt.where(Referral.provider_id == filters.provider_id)
    if filters.complexity is not None:
        stmt = stmt.where(Referral.complexity == filters.complexity)
    # PDU and region by the crosswalk in force on the referral's date, from its borough (and
    # demand unit where the borough is split): DOMAIN.md Decision 8 (data_access.geography).
    if filters.pdu_number is not None:
        stmt = stmt.where(referral_in_pdu(filters.pdu_number))
    if filters.region_code is not None:
        stmt = stmt.where(referral_in_region(filters.region_code))
    return stmt


def referrals_select(scope: AccessScope, filters: ReferralFilters | None = None, *columns) -> Select:
    """``SELECT columns FROM referrals`` limited to the scope, then the filters.

    With no columns, selects the whole ``referrals`` row. Metrics build their aggregates on
    top of this (``.subquery()``), so no query can reach rows the scope does not allow.
    """
    stmt = select(*columns) if columns else select(Referral.__table__)
    stmt = apply_scope(stmt, scope)
    return apply_filters(stmt, filters or ReferralFilters())


#: What each role may upload (``data_access.cli_import.IMPORT_KINDS``); a role not listed may
#: upload nothing (deny by default). A provider uploads only its own Refer and Monitor report and
#: case extract, and every row must be for one of its own referrals (``data_access.importers.ownership``).
UPLOAD_KINDS: dict[str, tuple[str, ...]] = {
    "commissioner": ("ram-performance", "case-extract", "epop-plan"),
    "admin": ("ram-performance", "case-extract", "epop-plan"),
    "provider": ("ram-performance", "case-extract"),
}


def upload_kinds(scope: AccessScope) -> tuple[str, ...]:
    """The import kinds ``scope`` may upload: none for an unknown role, or for a provider account
    with no provider attached."""
    if scope.role == "provider" and scope.provider_id is None:
        return ()
    return UPLOAD_KINDS.get(scope.role, ())


def upload_owner(scope: AccessScope) -> int | None:
    """The provider whose rows alone ``scope`` may write, or None when it may write any row
    (commissioners and admins). Call only after :func:`upload_kinds` allowed the upload."""
    return scope.provider_id if scope.role == "provider" else None


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))

