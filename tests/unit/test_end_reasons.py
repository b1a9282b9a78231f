"""domain.end_reasons: the one table of Refer and Monitor end reasons and their SL002 class."""

from __future__ import annotations

import pytest

from domain.end_reasons import EndReason, EndReasonClasses, default_end_reasons, read_end_reasons


def test_the_reviewed_file_holds_both_vocabularies():
    reasons = read_end_reasons()
    by_vocabulary = {v: [r.code for r in reasons if r.vocabulary == v] for v in ("2021", "2024")}
    assert by_vocabulary["2021"] == ["MIS", "MOV", "DIE", "ACQ", "DIS", "REC", "END", "REV", "DUP", "PPJ"]
    assert by_vocabulary["2024"] == ["INE", "MIS", "NOT", "NEE", "MOV", "WOR", "USE", "ACQ", "RET", "SER", "SEE",
                                     "EAR", "ANO"]
    assert all(r.source for r in reasons)


@pytest.mark.parametrize(("written", "code", "sl002_class"), [
    ("Not engaged", "NOT", "negative"),
    ("  sentence   EXPIRED ", "SEE", "negative"),
    ("Service user has been disengaged", "DIS", "negative"),
    ("Sentence has ended", "END", "negative"),
    ("Work, caring commitments, or sickness", "WOR", "neutral"),
    ("Intervention has been completed", "EAR", "neutral"),
    ("Mistaken or duplicate referral", "MIS", "neutral"),
    ("Referral was made by mistake", "MIS", "neutral"),
    ("Probation practitioner\u2019s professional judgement", "PPJ", "neutral"),
    ("Work or caring responsibilities", None, "neutral"),  # the wording before V1_177: unrecognised
    ("", None, "neutral"),
    (None, None, "neutral"),
])
def test_each_reason_is_found_by_its_description_whatever_its_spacing_or_case(written, code, sl002_class):
    classes = default_end_reasons()
    assert classes.code(written) == code
    assert classes.sl002_class(written) == sl002_class


def test_a_class_other_than_neutral_or_negative_is_refused():
    with pytest.raises(ValueError, match="SL002 class"):
        EndReasonClasses((EndReason("2024", "NOT", "Not engaged", "positive"),))
