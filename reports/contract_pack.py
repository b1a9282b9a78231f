"""The monthly contract pack for one provider or contract: its scorecard, SL002 with the
neutral and negative breakdown, cases at risk (counts only), data-quality issues and space for
the provider's commentary. Gathered by :func:`reports.pack_data.contract_pack_data` through the
user's scope, so a provider's pack holds only its own referrals, spend and forecast.
"""

from __future__ import annotations

from reports.build import build


def build_contract_pack(engine, fmt: str, **kwargs):
    """``(pack, bytes)`` of the contract pack; pass ``filters=ReferralFilters(contract_id=…)``."""
    return build(engine, "contract", fmt, **kwargs)
