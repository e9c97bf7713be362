"""corpus/decide_steps.yaml: the s16LA tests as steps, checked against the passages when loaded.

Each quote in the file names a passage and how its sentence begins; loading finds that sentence
(or list item) in the passage and keeps it verbatim, so the Decide helper only ever shows the
guidance's own words. A ref or beginning the passages no longer hold stops the load with the
file, the step and the quote named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.corpus.manifest import load_yaml
from assistant.corpus.sentences import passage_units
from assistant.decide.models import REPLIES, Quote, Situation, _reply
from assistant.errors import CorpusError
from assistant.models import Passage

STEPS_FILE = "decide_steps.yaml"
EFFECTS = ("not_under_duty", "refer", "withhold")
OUTCOMES = ("share", "share_with_mitigation", "withhold_specific_details", "not_under_duty", "refer")
SITUATION_CHOICES = ("organisation", "trigger", "recipient_kind", "about")
SITUATION_KEYS = (*SITUATION_CHOICES, "urgent")


@dataclass(frozen=True)
class QuoteRule:
    """Quote the unit of passage `ref` that begins with `starts`, when the case matches `when`."""

    ref: str
    starts: str
    when: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    quote: QuoteRule | None = None
    not_a_reason: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """A step's own field: `multi` (choices) or `text`; `answers` are the replies it goes with."""

    name: str
    label: str
    kind: str
    choices: Mapping[str, Choice] = field(default_factory=dict)
    answers: tuple[str, ...] = REPLIES
    required: tuple[str, ...] = ()
    mitigates: bool = False


@dataclass(frozen=True)
class Check:
    """When the case matches `when`, `field` must hold one of `one_of`; else `message`."""

    when: Mapping[str, Any]
    field: str
    one_of: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    question: str
    help: str
    rationale_for: tuple[str, ...]
    on: Mapping[str, str]
    ask: tuple[str, ...]
    quotes: tuple[QuoteRule, ...]
    route: tuple[QuoteRule, ...] = ()
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()

    @property
    def decides(self) -> bool:
        """Whether an answer to this step can change the outcome."""
        return bool(self.on)


@dataclass(frozen=True)
class OutcomeSpec:
    kind: str
    label: str
    summary: str
    quotes: tuple[QuoteRule, ...] = ()


@dataclass(frozen=True)
class StepBook:
    """Everything in corpus/decide_steps.yaml, with every quoted sentence found in the passages."""

    steps: tuple[Step, ...]
    situation: Mapping[str, Mapping[str, str]]
    covered: Mapping[str, bool | None]
    advisers: Mapping[str, str]
    outcomes: Mapping[str, OutcomeSpec]
    notice: str
    urgent_notice: str
    found: Mapping[tuple[str, str], Quote]

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def quote(self, rule: QuoteRule) -> Quote:
        return self.found[(rule.ref, rule.starts)]

    def all_rules(self) -> list[tuple[str, QuoteRule]]:
        """Every quote rule in the file, with where it is (for messages)."""
        rules = [(f"step '{s.id}'", r) for s in self.steps for r in (*s.quotes, *s.route)]
        rules += [(f"step '{s.id}' field '{f.name}'", c.quote)
                  for s in self.steps for f in s.fields.values() for c in f.choices.values() if c.quote]
        return rules + [(f"outcome '{o.kind}'", r) for o in self.outcomes.values() for r in o.quotes]


def matches(when: Mapping[str, Any], situation: Situation, answer: str | None, values: Mapping[str, Any]) -> bool:
    """Whether the case matches every condition of `when` (a list matches when it contains the value)."""
    for key, wanted in when.items():
        if key == "answer":
            held: Any = answer
        elif key in SITUATION_KEYS:
            held = getattr(situation, key)
        else:
            held = values.get(key)
        if isinstance(held, list | tuple):
            if wanted not in held:
                return False
        elif held != wanted:
            return False
    return True


class _Reader:
    """Reads the YAML into typed steps; every problem names the file and the step."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> CorpusError:
        return CorpusError(message, str(self.path))

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a mapping.")
        return {str(_reply(k)) if isinstance(k, bool) else str(k): v for k, v in value.items()}

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where} must be non-empty text.")
        return value.strip()

    def replies(self, value: Any, where: str) -> tuple[str, ...]:
        items = tuple(_reply(v) for v in (value or []))
        if not all(v in REPLIES for v in items):
            raise self.fail(f"{where} must list answers from {list(REPLIES)}.")
        return items

    def rule(self, value: Any, where: str) -> QuoteRule:
        entry = self.mapping(value, where)
        if not {"ref", "starts"} <= set(entry) or set(entry) - {"ref", "starts", "when"}:
            raise self.fail(f"{where} needs 'ref' and 'starts' (and may have 'when').")
        when = {k: _reply(v) if k == "answer" else v for k, v in self.mapping(entry.get("when") or {}, where).items()}
        return QuoteRule(self.text(entry["ref"], where), self.text(entry["starts"], where), when)

    def rules(self, value: Any, where: str) -> tuple[QuoteRule, ...]:
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list of {{ref, starts}}.")
        return tuple(self.rule(v, f"{where} item {n}") for n, v in enumerate(value, 1))

    def field_spec(self, name: str, value: Any, where: str) -> FieldSpec:
        entry = self.mapping(value, where)
        kind = entry.get("kind")
        if kind not in ("multi", "text"):
            raise self.fail(f"{where}: 'kind' must be 'multi' or 'text'.")
        choices = {}
        for key, raw in self.mapping(entry.get("choices") or {}, f"{where} choices").items():
            spec = self.mapping(raw, f"{where} choice '{key}'")
            quote = self.rule(spec["quote"], f"{where} choice '{key}'") if "quote" in spec else None
            choices[key] = Choice(key, self.text(spec.get("label"), f"{where} choice '{key}'"), quote,
                                  bool(spec.get("not_a_reason")))
        if kind == "multi" and not choices:
            raise self.fail(f"{where}: a 'multi' field needs 'choices'.")
        return FieldSpec(name, self.text(entry.get("label"), where), kind, choices,
                         self.replies(entry.get("answers"), where) or REPLIES, self.replies(entry.get("required"), where),
                         bool(entry.get("mitigates")))

    def step(self, value: Any, advisers: Mapping[str, str]) -> Step:
        entry = self.mapping(value, "each step")
        step_id = self.text(entry.get("id"), "a step's 'id'")
        where = f"step '{step_id}'"
        on = {k: str(v) for k, v in self.mapping(entry.get("leads_to") or {}, f"{where} 'leads_to'").items()}
        if not set(on) <= set(REPLIES) or not set(on.values()) <= set(EFFECTS):
            raise self.fail(f"{where}: 'leads_to' maps answers {list(REPLIES)} to one of {list(EFFECTS)}.")
        ask = tuple(entry.get("ask") or [])
        if not set(ask) <= set(advisers):
            raise self.fail(f"{where}: 'ask' names unknown advisers {sorted(set(ask) - set(advisers))}.")
        fields = {k: self.field_spec(k, v, f"{where} field '{k}'")
                  for k, v in self.mapping(entry.get("fields") or {}, f"{where} fields").items()}
        checks = []
        for n, raw in enumerate(entry.get("checks") or [], 1):
            spec = self.mapping(raw, f"{where} check {n}")
            when = {k: _reply(v) if k == "answer" else v for k, v in self.mapping(spec.get("when") or {}, where).items()}
            if spec.get("field") not in fields:
                raise self.fail(f"{where} check {n}: 'field' must be one of the step's fields {sorted(fields)}.")
            checks.append(Check(when, spec["field"], tuple(spec.get("one_of") or ()), self.text(spec.get("message"), where)))
        return Step(
            id=step_id, title=self.text(entry.get("title"), f"{where} 'title'"),
            question=self.text(entry.get("question"), f"{where} 'question'"), help=str(entry.get("help") or ""),
            rationale_for=self.replies(entry.get("rationale_for"), f"{where} 'rationale_for'"), on=on, ask=ask,
            quotes=self.rules(entry.get("quotes"), f"{where} 'quotes'"),
            route=self.rules(entry.get("route") or [], f"{where} 'route'"), fields=fields, checks=tuple(checks),
        )


def _check_conditions(book_steps: Sequence[Step], situation: Mapping[str, Mapping[str, str]], fail: Any) -> None:
    """Every `when` key names a situation field, 'answer' or one of the step's fields, with a value that exists."""
    for step in book_steps:
        rules = [*step.quotes, *step.route] + [Check(c.when, c.field, c.one_of, c.message) for c in step.checks]  # type: ignore[list-item]
        for rule in rules:
            for key, wanted in rule.when.items():
                if key in situation:
                    allowed: Sequence[Any] = list(situation[key])
                elif key == "urgent":
                    allowed = [True, False]
                elif key == "answer":
                    allowed = list(REPLIES)
                elif key in step.fields:
                    allowed = list(step.fields[key].choices)
                else:
                    raise fail(f"step '{step.id}': 'when' names '{key}', which is neither a situation field, "
                               f"'answer' nor one of the step's fields.")
                if wanted not in allowed:
                    raise fail(f"step '{step.id}': 'when: {{{key}: {wanted}}}' is not one of {allowed}.")


def locate(rules: Sequence[tuple[str, QuoteRule]], passages: Sequence[Passage], fail: Any) -> dict[tuple[str, str], Quote]:
    """The verbatim unit each rule names: the one sentence or list item of passage `ref` that begins with `starts`."""
    by_ref = {p.ref: p for p in passages}
    found: dict[tuple[str, str], Quote] = {}
    for where, rule in rules:
        if (rule.ref, rule.starts) in found:
            continue
        passage = by_ref.get(rule.ref)
        if passage is None:
            raise fail(f"{where}: '{rule.ref}' is not a passage; check the spelling with `assistant passages`.")
        units = [u for u in passage_units(0, passage) if u.text.startswith(rule.starts)]
        if len(units) != 1:
            problem = "no sentence" if not units else f"{len(units)} sentences"
            raise fail(f"{where}: {problem} of '{rule.ref}' begin(s) with '{rule.starts}'; quote the beginning of one "
                       "sentence exactly as the passage has it.")
        found[(rule.ref, rule.starts)] = Quote(ref=rule.ref, label=passage.label, sentence=units[0].text, stem=units[0].stem)
    return found


def load_steps(corpus_dir: Path, passages: Sequence[Passage]) -> StepBook:
    """corpus/decide_steps.yaml, every quote located in `passages`; a CorpusError names any problem."""
    path = corpus_dir / STEPS_FILE
    if not path.is_file():
        raise CorpusError(f"missing: the Decide helper needs {STEPS_FILE} in the corpus folder.", str(path))
    data, _ = load_yaml(path)
    reader = _Reader(path)
    top = reader.mapping(data, "the file")
    advisers = {k: reader.text(v, f"adviser '{k}'") for k, v in reader.mapping(top.get("advisers"), "'advisers'").items()}
    situation: dict[str, dict[str, str]] = {}
    covered: dict[str, bool | None] = {}
    raw_situation = reader.mapping(top.get("situation"), "'situation'")
    for name in SITUATION_CHOICES:
        spec = reader.mapping(raw_situation.get(name), f"situation '{name}'")
        choices = {}
        for key, value in reader.mapping(spec.get("choices"), f"situation '{name}' choices").items():
            if isinstance(value, dict):
                choices[key] = reader.text(value.get("label"), f"situation '{name}' choice '{key}'")
                if name == "recipient_kind":
                    covered[key] = value.get("covered")
            else:
                choices[key] = reader.text(value, f"situation '{name}' choice '{key}'")
        situation[name] = choices
    if not isinstance(top.get("steps"), list) or not top["steps"]:
        raise reader.fail("'steps' must be a non-empty list.")
    steps = tuple(reader.step(entry, advisers) for entry in top["steps"])
    ids = [s.id for s in steps]
    if len(set(ids)) != len(ids):
        raise reader.fail(f"step ids must be unique: {ids}.")
    _check_conditions(steps, situation, reader.fail)
    raw_outcomes = reader.mapping(top.get("outcomes"), "'outcomes'")
    if set(raw_outcomes) != set(OUTCOMES):
        raise reader.fail(f"'outcomes' must describe exactly {list(OUTCOMES)}.")
    outcomes = {}
    for kind, raw in raw_outcomes.items():
        spec = reader.mapping(raw, f"outcome '{kind}'")
        outcomes[kind] = OutcomeSpec(kind, reader.text(spec.get("label"), f"outcome '{kind}'"),
                                     reader.text(spec.get("summary"), f"outcome '{kind}'"),
                                     reader.rules(spec.get("quotes") or [], f"outcome '{kind}' quotes"))
    book = StepBook(steps, situation, covered, advisers, outcomes, reader.text(top.get("notice"), "'notice'"),
                    reader.text(top.get("urgent_notice"), "'urgent_notice'"), {})
    return StepBook(**{**book.__dict__, "found": locate(book.all_rules(), passages, reader.fail)})
