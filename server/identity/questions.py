"""Private questions (私密问题): a random multiple-choice set from the customer's own data, marked by the teller.

The server draws the set from the question-bank adapter and keeps the answers; the teller reads each question, the
customer answers aloud, the teller records the choice the customer gave, and the server judges it. Neither the
customer page nor (by default) the teller's screen ever receives the correct answer.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from server.bank.adapters import QuestionBankSource, QuestionItem

__all__ = [
    "AskedQuestion",
    "PassRule",
    "QuestionError",
    "QuestionSet",
    "build_question_set",
    "draw_question_set",
]


class QuestionError(ValueError):
    """A question set cannot be built or an answer cannot be recorded.

    Attributes:
        code: ``not_enough_questions``, ``unknown_question``, ``already_answered``, ``bad_choice``, ``decided``.
        message: Chinese explanation for the teller.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PassRule:
    """How many questions are asked and how many must be answered correctly (e.g. 2 of 3).

    Attributes:
        asked: number of questions in a set.
        required_correct: correct answers needed to pass.
    """

    asked: int = 3
    required_correct: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.required_correct <= self.asked:
            raise ValueError("required_correct must be between 1 and asked")

    @property
    def label(self) -> str:
        """E.g. "3 题答对 2 题"."""
        return f"{self.asked} 题答对 {self.required_correct} 题"


@dataclass(frozen=True)
class AskedQuestion:
    """One question of a set; ``answer_index`` stays on the server.

    Attributes:
        question_id: id within the set (``q1``...).
        kind: the question kind from the bank.
        prompt: the text the teller reads.
        choices: the options, shuffled.
        answer_index: index of the right option in ``choices``.
    """

    question_id: str
    kind: str
    prompt: str
    choices: tuple[str, ...]
    answer_index: int = field(repr=False)

    def public(self) -> dict[str, Any]:
        """What a screen may show: id, prompt and options, never the answer."""
        return {
            "question_id": self.question_id,
            "kind": self.kind,
            "prompt": self.prompt,
            "choices": list(self.choices),
        }


class QuestionSet:
    """A drawn set of questions with the answers recorded so far.

    Args:
        questions: the questions (answers inside).
        rule: pass rule.
        set_id: identifier for the trail.
    """

    def __init__(self, questions: Sequence[AskedQuestion], rule: PassRule, set_id: str | None = None) -> None:
        if len(questions) != rule.asked:
            raise QuestionError("not_enough_questions", f"题目数量({len(questions)})与规则({rule.label})不符")
        self.questions = tuple(questions)
        self.rule = rule
        self.set_id = set_id or secrets.token_hex(6)
        self._answers: dict[str, int | None] = {}

    def public_view(self) -> list[dict[str, Any]]:
        """The questions without answers, for the teller's and the customer's screens."""
        return [q.public() for q in self.questions]

    def _question(self, question_id: str) -> AskedQuestion:
        for q in self.questions:
            if q.question_id == question_id:
                return q
        raise QuestionError("unknown_question", f"没有编号为 {question_id} 的问题")

    def record_answer(self, question_id: str, choice_index: int | None) -> bool:
        """Record the option the customer chose (None: could not answer) and return whether it is right.

        Raises:
            QuestionError: unknown question, answered already, option out of range, or the set is decided.
        """
        question = self._question(question_id)
        if self.decided:
            raise QuestionError("decided", "私密问题结果已确定,不能再修改答案")
        if question_id in self._answers:
            raise QuestionError("already_answered", "该问题已记录答案,不能修改")
        if choice_index is not None and not 0 <= choice_index < len(question.choices):
            raise QuestionError("bad_choice", "所选答案不在选项范围内")
        self._answers[question_id] = choice_index
        return choice_index == question.answer_index

    @property
    def answered(self) -> int:
        """Number of questions answered."""
        return len(self._answers)

    @property
    def correct(self) -> int:
        """Number of right answers so far."""
        return sum(1 for q in self.questions if self._answers.get(q.question_id, -1) == q.answer_index)

    @property
    def decided(self) -> bool:
        """Whether the outcome is certain: passed already, or cannot pass any more."""
        remaining = self.rule.asked - self.answered
        return self.correct >= self.rule.required_correct or self.correct + remaining < self.rule.required_correct

    @property
    def passed(self) -> bool | None:
        """True/False once decided, None while open."""
        if not self.decided:
            return None
        return self.correct >= self.rule.required_correct

    def to_state(self) -> dict[str, Any]:
        """Everything needed to rebuild the set after a server restart, answers included (store it encrypted)."""
        return {
            "set_id": self.set_id,
            "rule": {"asked": self.rule.asked, "required_correct": self.rule.required_correct},
            "questions": [
                {
                    "question_id": q.question_id,
                    "kind": q.kind,
                    "prompt": q.prompt,
                    "choices": list(q.choices),
                    "answer_index": q.answer_index,
                }
                for q in self.questions
            ],
            "answers": dict(self._answers),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> QuestionSet:
        """Rebuild a set from :meth:`to_state` (the questions asked and the answers marked stay as they were)."""
        rule = PassRule(int(state["rule"]["asked"]), int(state["rule"]["required_correct"]))
        questions = [
            AskedQuestion(
                str(q["question_id"]), str(q["kind"]), str(q["prompt"]), tuple(q["choices"]), int(q["answer_index"])
            )
            for q in state["questions"]
        ]
        restored = cls(questions, rule, set_id=str(state["set_id"]))
        known = {q.question_id for q in questions}
        for question_id, choice in dict(state.get("answers") or {}).items():
            if question_id not in known:
                raise ValueError(f"stored answer for unknown question {question_id!r}")
            restored._answers[question_id] = None if choice is None else int(choice)
        return restored

    def summary(self) -> dict[str, Any]:
        """Trail-safe summary: kinds, which were right, counts (no answers' text)."""
        return {
            "set_id": self.set_id,
            "rule": {"asked": self.rule.asked, "required_correct": self.rule.required_correct},
            "answered": self.answered,
            "correct": self.correct,
            "results": {
                q.question_id: (
                    None if q.question_id not in self._answers else self._answers[q.question_id] == q.answer_index
                )
                for q in self.questions
            },
            "kinds": {q.question_id: q.kind for q in self.questions},
        }


def build_question_set(
    items: Sequence[QuestionItem], rule: PassRule, rng: random.Random, *, max_choices: int = 4
) -> QuestionSet:
    """Pick ``rule.asked`` questions of different kinds at random and shuffle their options.

    Args:
        items: the customer's candidate questions from the question bank.
        rule: pass rule.
        rng: random source (explicit so tests are deterministic; the server uses ``random.SystemRandom()``).
        max_choices: options per question (the right one plus up to ``max_choices - 1`` distractors).

    Raises:
        QuestionError: fewer usable kinds than questions to ask.
    """
    by_kind: dict[str, QuestionItem] = {}
    for item in items:
        distractors = [d for d in dict.fromkeys(item.distractors) if d != item.correct]
        if len(distractors) >= 2 and item.kind not in by_kind:
            by_kind[item.kind] = item
    if len(by_kind) < rule.asked:
        raise QuestionError("not_enough_questions", f"该客户可用的私密问题不足 {rule.asked} 题,请转柜面核实身份")
    chosen = rng.sample(sorted(by_kind), rule.asked)
    questions = []
    for i, kind in enumerate(chosen):
        item = by_kind[kind]
        distractors = [d for d in dict.fromkeys(item.distractors) if d != item.correct]
        options = [item.correct, *rng.sample(distractors, min(len(distractors), max_choices - 1))]
        rng.shuffle(options)
        questions.append(AskedQuestion(f"q{i + 1}", kind, item.prompt, tuple(options), options.index(item.correct)))
    return QuestionSet(questions, rule, set_id=f"{rng.getrandbits(48):012x}")


async def draw_question_set(
    source: QuestionBankSource, customer_id: str, rule: PassRule, rng: random.Random | None = None
) -> QuestionSet:
    """Fetch the customer's questions from the question bank and draw a set (system randomness by default)."""
    items = await source.questions_for(customer_id)
    return build_question_set(items, rule, rng or random.SystemRandom())
