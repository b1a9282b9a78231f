"""Whose rows an upload may write: a provider writes only rows for its own referrals.

The upload page and the command line hand every import the uploader's
:class:`~data_access.scoping.AccessScope` (``data_access.cli_import.run_import``). A role that
may not upload a kind (``data_access.scoping.upload_kinds``) has the whole file refused; a
provider's file is checked row by row against what the database holds, with the same
all-or-nothing rule as every other check: one row for another organisation refuses the whole
file, that row is reported (row, column, value, reason) and nothing is written.

* **Refer and Monitor report** (:class:`RamOwnership`): ``organisation_id`` must be the
  provider's own organisation code, ``contract_ref`` one of its contracts held in the dashboard
  (a provider cannot register a new contract), a ``referral_id`` already held must be held
  for the provider (a report cannot move another organisation's referral to it), and a
  ``referral_ref`` must not be another organisation's (a second referral with that reference
  would make the other organisation's case extracts ambiguous). A placeholder a case extract
  created (no organisation yet) may be completed.
* **Case extract** (``data_access.importers.case_extract``): the file names referrals by
  ``referral_ref`` only, so each one must be held already and attributed to the provider; a
  provider cannot create a referral from a case extract (import its Refer and Monitor report
  first). The reason given is the same whether the reference is held for someone else or not
  held at all, so the answer does not tell a provider which other references exist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, or_, select

from data_access.importers.problems import ProblemLog
from data_access.models import Contract, Provider, Referral
from data_access.scoping import AccessScope, upload_kinds

NOT_YOUR_REFERRAL = "is not one of your referrals (if it is new, import your Refer and Monitor report first)"
NOT_YOUR_CONTRACT = "is not one of your organisation's contracts held in the dashboard"
HELD_FOR_ANOTHER = "is a referral held for another organisation: a provider may not change it"
REFERENCE_OF_ANOTHER = "is the reference of a referral held for another organisation"


def refuse_if_not_allowed(scope: AccessScope | None, kind: str, log: ProblemLog) -> bool:
    """Add a whole-file problem and return True when ``scope`` may not upload ``kind`` at all.

    ``scope`` None is the command line on the database host (an administrator): allowed."""
    if scope is None or kind in upload_kinds(scope):
        return False
    log.add(None, None, None, "your account may not upload this kind of file, so nothing was checked or written")
    return True


def _hashes(values: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


def _sorted_hashes(values) -> np.ndarray:
    return np.unique(_hashes(np.array(values, dtype=object))) if len(values) else np.empty(0, np.uint64)


def _held(values: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Positions of the non-blank ``values`` whose hash is in ``held`` (sorted hashes)."""
    present = np.flatnonzero(pd.notna(values))
    if not present.size or not held.size:
        return present[:0]
    hashes = _hashes(values[present])
    at = np.minimum(np.searchsorted(held, hashes), held.size - 1)
    return present[held[at] == hashes]


class RamOwnership:
    """A provider's organisation code, its contracts, the referral ids held for anyone else and
    the references held for other organisations (as sorted 64-bit hashes: 8 bytes a referral,
    whatever the table's size)."""

    def __init__(self, connection: Connection, provider_id: int) -> None:
        self.provider_id = provider_id
        self.code = connection.scalar(select(Provider.organisation_code).where(Provider.id == provider_id))
        self.contracts = set(connection.scalars(select(Contract.reference).where(Contract.provider_id == provider_id)))
        others = connection.scalars(
            select(Referral.referral_id).where(
                Referral.referral_id.is_not(None),
                or_(Referral.provider_id.is_(None), Referral.provider_id != provider_id),
            )
        ).all()
        self.others = _sorted_hashes(others)
        self.other_refs = _sorted_hashes(connection.scalars(
            select(Referral.referral_ref).where(Referral.provider_id.is_not(None), Referral.provider_id != provider_id)
        ).all())

    def check(self, organisations, contracts, referral_ids, references, lines, log: ProblemLog) -> None:
        """Report each row of one chunk that is not the provider's (values as typed, None when blank)."""
        lines = np.asarray(lines, dtype=np.int64)
        references = np.asarray(references, dtype=object)
        organisations = np.asarray(organisations, dtype=object)
        contracts = np.asarray(contracts, dtype=object)
        referral_ids = np.asarray(referral_ids, dtype=object)
        for row in np.flatnonzero(pd.notna(organisations) & (organisations != self.code)):
            log.add(int(lines[row]), "organisation_id", organisations[row],
                    f"is not your organisation ({self.code}): a provider may upload only its own referrals")
        known = np.array([c in self.contracts for c in contracts], dtype=bool)
        for row in np.flatnonzero(pd.notna(contracts) & ~known):
            log.add(int(lines[row]), "contract_ref", contracts[row], NOT_YOUR_CONTRACT)
        for row in _held(referral_ids, self.others):
            log.add(int(lines[row]), "referral_id", referral_ids[row], HELD_FOR_ANOTHER)
        for row in _held(references, self.other_refs):
            log.add(int(lines[row]), "referral_ref", references[row], REFERENCE_OF_ANOTHER)
