"""A practitioner's answers: read from a file or a mapping, then checked against the steps.

Every problem is reported at once, each naming the step or field (and the file's line when it
came from a file) and saying how to fix it. Nothing here logs or writes the answers anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.decide.models import Answers, StepAnswer
from assistant.decide.steps import SITUATION_CHOICES, Step, StepBook, matches
from assistant.errors import DecideError
from assistant.inputs import InputLimitError, node_line, parse_yaml

MAX_FILE_BYTES = 256 * 1024
Problem = tuple[tuple[Any, ...], str]  # where (e.g. ("steps", "detriment", "reasons")), what is wrong


def read_answers_file(path: Path) -> tuple[Any, yaml.Node | None]:
    """The file's YAML (or JSON) and its node tree, or a DecideError saying what is wrong with the file."""
    where = str(path)
    if not path.is_file():
        raise DecideError("no such file. Give the path of a YAML answers file (see tests/fixtures/decide/).", where)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DecideError(f"the file is {size:,} bytes; an answers file is at most {MAX_FILE_BYTES:,}. "
                          "Is it the right file?", where)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise DecideError("this is a binary file, not a YAML answers file.", where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DecideError("the file is not UTF-8 text. Save it as UTF-8 YAML.", where) from None
    try:
        return parse_yaml(text)
    except InputLimitError as exc:
        raise DecideError(f"this answers file cannot be used: {exc}", where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "it cannot be read"
        raise DecideError(f"not valid YAML ({problem}). Fix the syntax; answers files look like "
                          "tests/fixtures/decide/*.yaml.", where, mark.line + 1 if mark else None) from None


def _name(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc) or "the file"


def fail(problems: Sequence[Problem], path: str | None = None, root: yaml.Node | None = None) -> DecideError:
    """One DecideError listing every problem; the line is that of the first."""
    each = [f"{_name(loc)}: {message}" for loc, message in problems]
    line = node_line(root, problems[0][0]) if path and root is not None and problems[0][0] else None
    error = DecideError("; ".join(each), path, line)
    error.problems = each
    return error


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors():
        loc, kind = tuple(error["loc"]), error["type"]
        if kind == "extra_forbidden":
            message = "is not a field here; check the spelling against tests/fixtures/decide/*.yaml"
        elif kind == "missing":
            message = "is missing"
        elif kind == "literal_error" and loc[-1] == "answer":
            message = "must be yes, no or unsure"
        elif kind == "literal_error" and loc[-1] == "decision":
            message = "must be one of share, share_with_mitigation, withhold_specific_details, not_under_duty, refer"
        else:
            message = error["msg"][0].lower() + error["msg"][1:]
        problems.append((loc, message))
    return problems


def parse_answers(data: Any, path: str | None = None, root: yaml.Node | None = None) -> Answers:
    """`data` (a mapping, e.g. a parsed file) as Answers; a DecideError names every field that is wrong."""
    if isinstance(data, Answers):
        return data
    if not isinstance(data, Mapping):
        raise DecideError("expected a mapping with 'situation' and 'steps' (see tests/fixtures/decide/*.yaml), "
                          f"not {type(data).__name__ if data is not None else 'an empty file'}.", path)
    try:
        return Answers.model_validate(dict(data))
    except ValidationError as exc:
        raise fail(_pydantic_problems(exc), path, root) from None


def _field_values(step: Step, given: StepAnswer, problems: list[Problem]) -> dict[str, Any]:
    """The step's own fields as given, checked: known names, known choices, and only with the answers they go with."""
    values: dict[str, Any] = {}
    for name, value in (given.model_extra or {}).items():
        where = ("steps", step.id, name)
        spec = step.fields.get(name)
        if spec is None:
            allowed = ["answer", "rationale", *step.fields]
            problems.append((where, f"step '{step.id}' has no field '{name}'; its fields are {allowed}"))
            continue
        if spec.kind == "text":
            if value is not None and not isinstance(value, str):
                problems.append((where, "must be text"))
                continue
            values[name] = (value or "").strip()
        else:
            chosen = [value] if isinstance(value, str) else value if isinstance(value, list) else None
            if chosen is None or not all(isinstance(c, str) for c in chosen):
                problems.append((where, f"must be a list of choices from {list(spec.choices)}"))
                continue
            unknown = [c for c in chosen if c not in spec.choices]
            if unknown:
                problems.append((where, f"unknown choice(s) {unknown}; choose from {list(spec.choices)}"))
            values[name] = [c for c in chosen if c in spec.choices]
        if values.get(name) and given.answer not in spec.answers:
            problems.append((where, f"goes with the answer {' or '.join(repr(a) for a in spec.answers)}, but step "
                                    f"'{step.id}' is answered '{given.answer}'; remove '{name}' or change the answer"))
    return values


def _step_problems(book: StepBook, answers: Answers, step: Step, values: dict[str, Any]) -> list[Problem]:
    given = answers.steps[step.id]
    where = ("steps", step.id)
    problems: list[Problem] = []
    if given.answer in step.rationale_for and not given.rationale.strip():
        problems.append(((*where, "rationale"), f"give a short rationale for the answer '{given.answer}' "
                                                "(para 27: record the rationale)"))
    for name, spec in step.fields.items():
        if given.answer in spec.required and not values.get(name):
            problems.append(((*where, name), f"choose at least one for the answer '{given.answer}': {list(spec.choices)}"))
        reasons = values.get(name) or []
        if spec.kind == "multi" and reasons and all(spec.choices[r].not_a_reason for r in reasons):
            problems.append(((*where, name), f"{reasons} are not reasons to withhold: para 11 says information must "
                                             "still be shared if concerns solely relate to them. Answer 'no', or choose "
                                             "a reason that is detriment to the child"))
    for check in step.checks:
        if matches(check.when, answers.situation, given.answer, values) and not set(values.get(check.field) or []) & set(
            check.one_of
        ):
            problems.append(((*where, check.field), f"{check.message}: add one of {list(check.one_of)}, or answer "
                                                    "'unsure' and ask"))
    if step.id == "recipient_covered":
        covered = book.covered.get(answers.situation.recipient_kind)
        if covered is not None and given.answer != "unsure" and covered != (given.answer == "yes"):
            kind = book.situation["recipient_kind"][answers.situation.recipient_kind]
            problems.append(((*where, "answer"), f"is '{given.answer}', but situation.recipient_kind is "
                                                 f"'{answers.situation.recipient_kind}' ({kind}); change one of them"))
    return problems


def situation_problems(book: StepBook, answers: Answers) -> list[Problem]:
    problems: list[Problem] = []
    situation = answers.situation
    for name in SITUATION_CHOICES:
        value = getattr(situation, name)
        chosen = value if isinstance(value, list) else [value]
        allowed = list(book.situation[name])
        if not [c for c in chosen if c]:
            problems.append((("situation", name), f"is missing; choose from {allowed}"))
        elif unknown := [c for c in chosen if c not in allowed]:
            problems.append((("situation", name), f"unknown choice(s) {unknown}; choose from {allowed}"))
    return problems


def check_answers(book: StepBook, answers: Answers, reached: Sequence[str]) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Each reached step's own field values, and every problem with the answers (steps not reached may be left out)."""
    problems = situation_problems(book, answers)
    known = {s.id for s in book.steps}
    for step_id in answers.steps:
        if step_id not in known:
            problems.append((("steps", step_id), f"unknown step; the steps are {[s.id for s in book.steps]}"))
    missing = [s for s in reached if s not in answers.steps]
    if missing:
        problems.append((("steps",), f"not answered: {missing}; answer yes, no or unsure for each"))
    values: dict[str, dict[str, Any]] = {}
    for step in book.steps:
        if step.id in answers.steps:
            values[step.id] = _field_values(step, answers.steps[step.id], problems)
            if step.id in reached:
                problems += _step_problems(book, answers, step, values[step.id])
    return values, problems
