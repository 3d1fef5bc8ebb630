"""Tests for private-question sets and their pass rule."""

from __future__ import annotations

import json
import random

import pytest

from server.bank.adapters import QuestionItem
from server.identity.questions import PassRule, QuestionError, QuestionSet, build_question_set

ITEMS = [
    QuestionItem("phone_last4", "预留手机号后四位?", "5678", ("1234", "4321", "8765")),
    QuestionItem("card_type", "卡种?", "借记卡(I类)", ("借记卡(II类)", "社保卡(金融功能)", "借记卡(金卡)")),
    QuestionItem("opened_year", "开户年份?", "2012年", ("2010年", "2013年", "2015年")),
    QuestionItem("last_channel", "最近交易渠道?", "ATM", ("柜面", "手机银行", "POS消费")),
    QuestionItem("bad", "只有一个干扰项?", "A", ("A", "B")),  # unusable: one real distractor
]


def test_set_has_distinct_kinds_shuffled_choices_and_hides_answers() -> None:
    qs = build_question_set(ITEMS, PassRule(3, 2), random.Random(1))
    kinds = [q.kind for q in qs.questions]
    assert len(set(kinds)) == 3 and "bad" not in kinds
    by_kind = {i.kind: i for i in ITEMS}
    for q in qs.questions:
        assert q.choices[q.answer_index] == by_kind[q.kind].correct
        assert len(q.choices) == 4 and len(set(q.choices)) == 4
    view = json.dumps(qs.public_view(), ensure_ascii=False)
    assert "answer" not in view
    assert "answer_index" not in repr(qs.questions[0])
    positions = {
        q.answer_index
        for seed in range(20)
        for q in build_question_set(ITEMS, PassRule(), random.Random(seed)).questions
    }
    assert len(positions) > 1  # the right answer is not always in the same place


def test_same_rng_same_set() -> None:
    a = build_question_set(ITEMS, PassRule(), random.Random(5))
    b = build_question_set(ITEMS, PassRule(), random.Random(5))
    assert a.public_view() == b.public_view()


def test_not_enough_questions() -> None:
    with pytest.raises(QuestionError) as info:
        build_question_set(ITEMS[:2], PassRule(3, 2), random.Random(1))
    assert info.value.code == "not_enough_questions" and "不足" in info.value.message


def _wrong(qs: QuestionSet, i: int) -> int:
    q = qs.questions[i]
    return (q.answer_index + 1) % len(q.choices)


def test_two_of_three_pass_rule() -> None:
    qs = build_question_set(ITEMS, PassRule(3, 2), random.Random(2))
    q = qs.questions
    assert qs.record_answer(q[0].question_id, _wrong(qs, 0)) is False
    assert qs.passed is None
    assert qs.record_answer(q[1].question_id, q[1].answer_index) is True
    assert qs.passed is None
    assert qs.record_answer(q[2].question_id, q[2].answer_index) is True
    assert qs.passed is True and qs.correct == 2
    assert qs.summary()["results"] == {"q1": False, "q2": True, "q3": True}


def test_decided_early_both_ways() -> None:
    qs = build_question_set(ITEMS, PassRule(3, 2), random.Random(3))
    q = qs.questions
    qs.record_answer(q[0].question_id, None)
    qs.record_answer(q[1].question_id, _wrong(qs, 1))
    assert qs.passed is False  # cannot reach 2 any more
    with pytest.raises(QuestionError) as info:
        qs.record_answer(q[2].question_id, q[2].answer_index)
    assert info.value.code == "decided"
    qs = build_question_set(ITEMS, PassRule(3, 2), random.Random(3))
    qs.record_answer("q1", qs.questions[0].answer_index)
    qs.record_answer("q2", qs.questions[1].answer_index)
    assert qs.passed is True


def test_answer_errors() -> None:
    qs = build_question_set(ITEMS, PassRule(3, 3), random.Random(4))
    with pytest.raises(QuestionError) as info:
        qs.record_answer("q9", 0)
    assert info.value.code == "unknown_question"
    with pytest.raises(QuestionError) as info:
        qs.record_answer("q1", 4)
    assert info.value.code == "bad_choice"
    qs.record_answer("q1", qs.questions[0].answer_index)
    with pytest.raises(QuestionError) as info:
        qs.record_answer("q1", 0)
    assert info.value.code == "already_answered"


def test_pass_rule_validation() -> None:
    with pytest.raises(ValueError):
        PassRule(3, 4)
    with pytest.raises(ValueError):
        PassRule(3, 0)
    assert PassRule(3, 2).label == "3 题答对 2 题"
