"""Breakdowns behind the commissioners' questions (GMIRS spec §1.9, §1.11, §1.12, §2.4, App. A).

All pure: DataFrames in, DataFrames out. Aggregate in SQL first when data is large (group by
the unit and period, count) and pass the small frame in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from metrics.benchmarking import wilson_interval
from domain.catalogue import COMPLEXITY_REFERENCE, NEEDS
from metrics.kpis import forecast_assumption, pro_rated_forecast

# --------------------------------------------------------------------------------------------
# Referrals against forecast (Decision 1)
# --------------------------------------------------------------------------------------------


def referrals_against_forecast(
    counts: pd.DataFrame,
    forecasts: pd.DataFrame,
    *,
    by: str,
    start: dt.date,
    end: dt.date,
    period_days: int = 365,
) -> pd.DataFrame:
    """Referrals received per unit against the pro-rated 40–60% forecast band.

    Parameters
    ----------
    counts : DataFrame
        ``[by, "referrals"]``: referrals received in ``start``–``end`` per unit (borough,
        PDU, region or hub).
    forecasts : DataFrame
        ``[by, "predicted_low", "predicted_high"]``: the published annual band per unit,
        already summed to the unit (demand units crosswalked to borough / PDU / region).
    by : str
        The unit column.

    Returns
    -------
    DataFrame
        ``by, referrals, expected_low, expected_high, band`` with band "below" / "within" /
        "above" (inclusive bounds), and an ``assumption`` column stating the pro-rating.
    """
    merged = forecasts.merge(counts, on=by, how="outer")
    merged["referrals"] = merged["referrals"].fillna(0).astype(int)
    merged["expected_low"] = [pro_rated_forecast(v, start, end, period_days) if pd.notna(v) else np.nan for v in merged["predicted_low"]]
    merged["expected_high"] = [pro_rated_forecast(v, start, end, period_days) if pd.notna(v) else np.nan for v in merged["predicted_high"]]
    band = np.where(
        merged["expected_low"].isna(),
        "no forecast",
        np.where(
            merged["referrals"] < merged["expected_low"],
            "below",
            np.where(merged["referrals"] > merged["expected_high"], "above", "within"),
        ),
    )
    merged["band"] = band
    merged["assumption"] = forecast_assumption("low", period_days).replace(
        "; DS1's target uses the low bound (Decisions 1 and 2).", " (Decision 1)."
    )
    return merged[[by, "referrals", "expected_low", "expected_high", "band", "assumption"]]


# --------------------------------------------------------------------------------------------
# Complexity mix (spec §2.4: 23 / 56 / 21)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplexityMix:
    table: pd.DataFrame  # complexity, observed, share, expected_share, expected
    chi_square: float | None
    p_value: float | None
    n: int
    more_than_chance: bool | None
    note: str


def complexity_mix(
    counts: dict[str, int], *, reference: dict[str, float] = COMPLEXITY_REFERENCE, alpha: float = 0.05
) -> ComplexityMix:
    """Observed complexity mix against the 23/56/21 reference, with a chi-square test.

    Pearson's goodness-of-fit test (scipy.stats.chisquare, 2 degrees of freedom). Referrals
    with complexity not recorded are left out (and counted in the note). With any expected
    count under 5 the test is unreliable and is not reported.
    """
    levels = list(reference)
    observed = np.array([int(counts.get(level, 0)) for level in levels])
    n = int(observed.sum())
    unrecorded = int(sum(v for k, v in counts.items() if k not in reference))
    expected_share = np.array([reference[level] for level in levels])
    expected = expected_share * n
    table = pd.DataFrame(
        {
            "complexity": levels,
            "observed": observed,
            "share": observed / n if n else np.nan,
            "expected_share": expected_share,
            "expected": expected,
        }
    )
    note = "Reference mix: Low 23%, Medium 56%, High 21% (GMIRS spec §2.4)."
    if unrecorded:
        note += f" {unrecorded} referrals with complexity not recorded are left out."
    if n == 0 or (expected < 5).any():
        return ComplexityMix(table, None, None, n, None, note + " Too few referrals to test.")
    statistic, p_value = stats.chisquare(observed, expected)
    return ComplexityMix(table, float(statistic), float(p_value), n, bool(p_value < alpha), note)


# --------------------------------------------------------------------------------------------
# Distance travelled (Decision 6)
# --------------------------------------------------------------------------------------------


#: The sums per group from which :func:`distance_summary` works out means, intervals and shares.
DISTANCE_SUMS = ("people", "change_sum", "change_sq_sum", "improved", "same", "worse")


def distance_pairs(scores: pd.DataFrame, *, by: list[str] | None = None) -> pd.DataFrame:
    """One row per person and need: baseline and latest score, and the change between them.

    The baseline is the earliest baseline score; the latest is the exit score if there is one,
    else the latest review (ties: the score recorded last). A need without both is left out.
    """
    by = list(by or [])
    base = scores[scores["stage"] == "baseline"].sort_values("scored_on", kind="stable")
    baseline = base.groupby(["referral_pk", "need_code"]).first()
    later = scores[scores["stage"].isin(["review", "exit"])].assign(is_exit=lambda f: f["stage"] == "exit")
    later = later.sort_values(["is_exit", "scored_on"], kind="stable").groupby(["referral_pk", "need_code"]).last()
    paired = baseline[["score", *by]].join(later[["score"]].rename(columns={"score": "score_latest"}), how="inner")
    paired = paired.reset_index()
    paired["change"] = paired["score_latest"] - paired["score"]
    return paired


def distance_sums(pairs: pd.DataFrame, *, by: list[str] | None = None) -> pd.DataFrame:
    """:data:`DISTANCE_SUMS` per need (and ``by``), plus need ``"all"``: each person's mean change
    across their needs, so "people" there counts people, not person-need pairs."""
    by = list(by or [])
    per_person = pairs.groupby(["referral_pk", *by], dropna=False)["change"].mean().reset_index()
    frame = pd.concat([pairs[["need_code", *by, "change"]], per_person.assign(need_code="all")[["need_code", *by, "change"]]],
                      ignore_index=True)
    change = frame["change"].astype(float)
    frame = frame.assign(people=1, change_sum=change, change_sq_sum=change * change, improved=(change > 0).astype(int),
                         same=(change == 0).astype(int), worse=(change < 0).astype(int))
    return frame.groupby(["need_code", *by], dropna=False)[list(DISTANCE_SUMS)].sum().reset_index()


def distance_summary(sums: pd.DataFrame, *, by: list[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Mean change per group with a t interval, and the shares improved / same / worse.

    ``sums``: ``need_code``, the ``by`` columns and :data:`DISTANCE_SUMS` (from
    :func:`distance_sums`, or the same sums worked out in SQL). Scale (Decision 6):
    1 = high need … 5 = no need, so a positive change is improvement.
    """
    by = list(by or [])
    n = sums["people"].to_numpy(dtype=float)
    total = sums["change_sum"].to_numpy(dtype=float)
    squares = sums["change_sq_sum"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        variance = np.where(n > 1, np.maximum(squares - total * total / n, 0.0) / (n - 1), np.nan)
        t = stats.t.ppf(1 - (1 - confidence) / 2, np.where(n > 1, n - 1, 1))
        half = np.where(n > 1, t * np.sqrt(variance / n), np.nan)
        shares = {k: np.where(n > 0, sums[k].to_numpy(dtype=float) / n, np.nan) for k in ("improved", "same", "worse")}
    result = pd.DataFrame({"need_code": sums["need_code"].to_numpy()})
    for column in by:
        result[column] = sums[column].to_numpy()
    result["people"] = n.astype(int)
    result["mean_change"], result["ci_lower"], result["ci_upper"] = mean, mean - half, mean + half
    for key, values in shares.items():
        result[key] = values
    names = dict(NEEDS) | {"all": "All needs"}
    result.insert(1, "need", result["need_code"].map(names))
    return result.sort_values(["need_code", *by], kind="stable").reset_index(drop=True)


def distance_travelled(
    scores: pd.DataFrame, *, by: list[str] | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Change per need from baseline to exit (or latest review), with a t interval: the
    reference for the SQL version (``metrics.queries.distance_change_sums``).

    ``scores``: ``referral_pk, need_code, stage (baseline/review/exit), scored_on, score`` plus
    any breakdown columns in ``by``. Returns per need (and ``by``), and for "All needs" (each
    person's mean change across their needs): ``people, mean_change, ci_lower, ci_upper,
    improved, same, worse`` (shares).
    """
    pairs = distance_pairs(scores, by=by)
    return distance_summary(distance_sums(pairs, by=by), by=by, confidence=confidence)


# --------------------------------------------------------------------------------------------
# The journey (Appendix A 5–11, 17)
# --------------------------------------------------------------------------------------------

JOURNEY_STEPS: tuple[tuple[str, str], ...] = (
    ("referred", "received_on"),
    ("contacted", "contacted_on"),
    ("assessed", "saa_first_attended_on"),
    ("action plan", "action_plan_approved_on"),
    ("first session", "first_session_on"),
    ("outcome", "outcome_achieved"),
    ("exit", "concluded_on"),
)


def journey_funnel(cases: pd.DataFrame) -> pd.DataFrame:
    """How many referrals reached each step, and how many dropped out before the next.

    ``cases`` holds one row per referral with the step columns of :data:`JOURNEY_STEPS`
    (dates, or a boolean for "outcome_achieved"); a missing column counts as not reached.
    Drop-outs at a step are those that reached it but not the next step; ``why`` columns
    summarise the end reasons of those that ended there (``end_reason`` column, optional).
    """
    reached_prev = np.ones(len(cases), dtype=bool)
    rows = []
    masks = []
    for label, column in JOURNEY_STEPS:
        if column in cases.columns:
            values = cases[column]
            reached = values.fillna(False).astype(bool).to_numpy() if values.dtype == bool or column == "outcome_achieved" else values.notna().to_numpy()
        else:
            reached = np.zeros(len(cases), dtype=bool)
        reached = reached & reached_prev
        masks.append(reached)
        reached_prev = reached
    for i, (label, _) in enumerate(JOURNEY_STEPS):
        reached = masks[i]
        next_reached = masks[i + 1] if i + 1 < len(masks) else reached
        dropped = reached & ~next_reached
        top_reason = None
        if "end_reason" in cases.columns and dropped.any():
            reasons = cases.loc[dropped, "end_reason"].dropna()
            top_reason = reasons.value_counts().index[0] if len(reasons) else None
        rows.append(
            {
                "step": label,
                "reached": int(reached.sum()),
                "share_of_referred": float(reached.sum() / len(cases)) if len(cases) else np.nan,
                "dropped_before_next": int(dropped.sum()) if i + 1 < len(masks) else 0,
                "commonest_end_reason": top_reason,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Equality breakdowns (Appendix A: age, sex, disability, ethnicity, religion, orientation)
# --------------------------------------------------------------------------------------------

EQUALITY_STRANDS = ("age_band", "sex", "disability", "ethnicity", "religion", "sexual_orientation")


def equality_breakdown(
    cases: pd.DataFrame, *, strand: str, outcome: str, confidence: float = 0.95
) -> pd.DataFrame:
    """A rate (share of ``outcome`` true) per group of one equality strand, with Wilson limits.

    Not recorded is kept as its own group ("Not recorded"), never dropped silently. Apply
    :mod:`metrics.disclosure` before showing the counts.
    """
    groups = cases[strand].fillna("Not recorded")
    flag = cases[outcome].fillna(False).astype(bool)
    table = (
        pd.DataFrame({strand: groups, "met": flag})
        .groupby(strand)["met"]
        .agg(numerator="sum", denominator="count")
        .reset_index()
    )
    lower, upper = wilson_interval(table["numerator"].to_numpy(), table["denominator"].to_numpy(), confidence)
    table["rate"] = 100.0 * table["numerator"] / table["denominator"]
    table["ci_lower"] = 100.0 * lower
    table["ci_upper"] = 100.0 * upper
    return table


# --------------------------------------------------------------------------------------------
# Spend against the funding profile (spec §1.11)
# --------------------------------------------------------------------------------------------


def funding_profile(funding: pd.DataFrame, months: list[dt.date]) -> pd.DataFrame:
    """Each funding period's amount spread over its days, summed per calendar month.

    ``funding``: ``start_date, end_date, amount``. A month gets amount × (days of the period
    in that month ÷ days in the period): e.g. Sept 2023–Mar 2024 (£1,550,000 over 213 days)
    gives September 2023 (30 days) £218,309.86.
    """
    rows = []
    for month in months:
        month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        profile = 0.0
        for period in funding.itertuples(index=False):
            start, end = period.start_date, period.end_date
            overlap = (min(end, month_end) - max(start, month)).days + 1
            if overlap > 0:
                profile += float(period.amount) * overlap / ((end - start).days + 1)
        rows.append({"month": month, "profile": profile})
    return pd.DataFrame(rows)


def spend_against_profile(funding: pd.DataFrame, spend: pd.DataFrame, months: list[dt.date]) -> pd.DataFrame:
    """Monthly and cumulative spend against the pro-rated funding profile, with variance."""
    profile = funding_profile(funding, months)
    actual = spend.assign(amount=spend["amount"].astype(float)).groupby("month")["amount"].sum()
    profile["spend"] = [float(actual.get(m, 0.0)) for m in profile["month"]]
    profile["variance"] = profile["spend"] - profile["profile"]
    profile["cumulative_profile"] = profile["profile"].cumsum()
    profile["cumulative_spend"] = profile["spend"].cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        profile["cumulative_pct_of_profile"] = np.where(
            profile["cumulative_profile"] > 0,
            100.0 * profile["cumulative_spend"] / profile["cumulative_profile"],
            np.nan,
        )
    return profile
