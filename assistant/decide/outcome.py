"""The outcome follows from the answers, by a fixed order that the record shows.

1. A 'no' that takes the case out of the duty (no child, recipient not covered, not relevant, would
   not help) → not under this duty. Steps after it are not reached.
2. Otherwise any answer that needs advice first (unsure; no lawful basis; not limited to what is
   necessary) → unsure: ask before deciding.
3. Otherwise a 'yes' to detriment → withhold the specific details that cause it.
4. Otherwise mitigating steps recorded → share, with mitigation; with none → share.
Which answers led to the outcome is kept with it (`Outcome.because`); the helper never decides silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.decide.answers import Problem
from assistant.decide.models import Answers, OutcomeKind
from assistant.decide.steps import StepBook

# Effect named in decide_steps.yaml → the outcome it leads to, strongest first.
EFFECT_OUTCOMES: tuple[tuple[str, OutcomeKind], ...] = (
    ("not_under_duty", "not_under_duty"), ("refer", "refer"), ("withhold", "withhold_specific_details"),
)
SHARING_OUTCOMES = ("share", "share_with_mitigation", "withhold_specific_details")


def reached_steps(book: StepBook, answers: Answers) -> list[str]:
    """Steps up to the first answer that takes the case out of the duty; every step when none does."""
    for n, step in enumerate(book.steps):
        given = answers.steps.get(step.id)
        if given is not None and step.on.get(given.answer) == "not_under_duty":
            return [s.id for s in book.steps[: n + 1]]
    return [s.id for s in book.steps]


def settle(
    book: StepBook, answers: Answers, values: Mapping[str, Mapping[str, Any]], reached: Sequence[str]
) -> tuple[OutcomeKind, list[str]]:
    """The outcome, and the steps whose answers led to it."""
    answered = [s for s in book.steps if s.id in reached and s.id in answers.steps]
    for effect, kind in EFFECT_OUTCOMES:
        causes = [s.id for s in answered if s.on.get(answers.steps[s.id].answer) == effect]
        if causes:
            return kind, causes
    mitigating = [
        s.id for s in answered if any(spec.mitigates and values.get(s.id, {}).get(name) for name, spec in s.fields.items())
    ]
    if mitigating:
        return "share_with_mitigation", mitigating
    return "share", [s.id for s in answered if s.decides]


def _led_by(book: StepBook, answers: Answers, causes: Sequence[str]) -> str:
    return ", ".join(f"step '{c}' is '{answers.steps[c].answer}' ({book.step(c).title})" for c in causes)


def outcome_problems(book: StepBook, answers: Answers, kind: OutcomeKind, causes: Sequence[str]) -> list[Problem]:
    """Answers that contradict the outcome they lead to, or leave out what that outcome needs."""
    problems: list[Problem] = []
    label = book.outcomes[kind].label
    sharing = answers.sharing
    if kind == "withhold_specific_details" and not sharing.withheld.strip():
        problems.append((("sharing", "withheld"), f"say which specific details are withheld: {_led_by(book, answers, causes)}"))
    if kind != "withhold_specific_details" and sharing.withheld.strip():
        problems.append((("sharing", "withheld"), f"names details to withhold, but the answers lead to '{label}' "
                                                  f"({_led_by(book, answers, causes)}); clear it or change the answers"))
    if kind in SHARING_OUTCOMES and not sharing.what.strip():
        problems.append((("sharing", "what"), "say what is shared (the record holds what, with whom and how)"))
    if answers.decision is not None and answers.decision != kind:
        expected = book.outcomes[answers.decision].label
        problems.append((("decision",), f"is '{answers.decision}' ({expected}), but the answers lead to '{kind}' ({label}) "
                                        f"because {_led_by(book, answers, causes)}; change that answer or the decision"))
    return problems
