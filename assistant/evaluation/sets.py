"""Evaluation sets: the schema (evals/SCHEMA.md), loading from YAML or CSV, and validation.

Every error names the file, the item (YAML: its number, id and line; CSV: its row as a
spreadsheet shows it) and the field, and says how to fix it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from assistant.errors import EvalSetError
from assistant.inputs import InputLimitError, node_line, parse_yaml, shown
from assistant.settings import PROJECT_ROOT

Kind = Literal["in_scope", "out_of_scope", "invalid_input"]
Decision = Literal["share", "share_with_mitigation", "withhold_specific_details"]
KINDS: tuple[str, ...] = ("in_scope", "out_of_scope", "invalid_input")
DECISIONS: tuple[str, ...] = ("share", "share_with_mitigation", "withhold_specific_details")
SET_SUFFIXES = (".yaml", ".yml", ".csv")
MAX_SET_BYTES = 1_000_000
EVALS_DIR = PROJECT_ROOT / "evals"
BUILT_IN_SETS = ("worked_examples", "practitioner", "scenarios", "out_of_scope", "adversarial")
CSV_LIST_SEPARATOR = ";"
SPLIT_RULES = ("id_hash",)


def split_of(item_id: str) -> str:
    """The fixed dev/test rule (`split: id_hash`): the first byte of the id's SHA-256, even → dev, odd → test.

    It depends on the id alone, so adding items never moves an existing one between splits.
    """
    return "dev" if hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def _canonical(value: Any) -> Any:
    """'In scope', 'in-scope' and 'IN_SCOPE' all mean in_scope: spreadsheet users type all three."""
    return re.sub(r"[\s-]+", "_", value.strip().lower()) if isinstance(value, str) else value


class EvalItem(BaseModel):
    """One question with what a good result looks like."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="Unique within the set.")
    kind: Kind = Field(description="in_scope: answer it; out_of_scope: abstain; invalid_input: refuse the input clearly.")
    chapter: str | None = Field(default=None, description="Where the answer lives: front, key terms, statute, 1…5.")
    question: str = Field(description="The question as a practitioner would ask it.")
    expected_refs: list[str] = Field(default_factory=list, description="Gold refs; any one of them is a right source.")
    history: str | None = Field(default=None, description="An earlier question, for follow-ups.")
    from_example: str | None = Field(
        default=None, description="Worked-example title: its own passages are left out of retrieval (leakage control)."
    )
    decision: Decision | None = Field(default=None, description="The decision a good answer supports.")
    key_points: list[str] = Field(default_factory=list, description="Regular expressions a good answer's quotes match.")
    key: list[str] = Field(
        default_factory=list, description="Verbatim fragments of the sentence(s) that settle the question; quoting one is enough."
    )
    role: str | None = Field(default=None, description="Who asks: teacher, GP, health visitor, police officer…")
    forbidden: list[str] = Field(default_factory=list, description="Regular expressions no answer may match.")
    urgent: bool | None = Field(default=None, description="Whether the urgent notice must (true) or must not (false) show.")
    notes: str | None = Field(default=None, description="Free text for trainers; not used in scoring.")
    # Where the item was read from, for later error messages: "item 3 (id 'x')" or "row 4", and its YAML line.
    _origin: str = PrivateAttr(default="")
    _line: int | None = PrivateAttr(default=None)

    @field_validator("kind", "decision", mode="before")
    @classmethod
    def _canonical_words(cls, value: Any) -> Any:
        return _canonical(value)

    @field_validator("chapter", mode="before")
    @classmethod
    def _chapter_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("key_points", "forbidden")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {shown(pattern)} is not a valid regular expression ({exc})") from None
        return patterns

    @model_validator(mode="after")
    def _consistent(self) -> EvalItem:
        if self.kind != "invalid_input" and not self.question.strip():
            raise ValueError("the question is empty; only an invalid_input item may have an empty question")
        if self.kind == "in_scope" and not self.expected_refs:
            raise ValueError("an in_scope item needs at least one expected ref (see `assistant passages`)")
        if self.kind != "in_scope" and self.expected_refs:
            raise ValueError(f"a {self.kind} item expects no answer, so leave expected_refs empty")
        if self.decision and self.kind != "in_scope":
            raise ValueError("only an in_scope item can expect a decision")
        return self


class EvalSet(BaseModel):
    """A named list of items, read from one file."""

    name: str = Field(description="The file name without its extension; names the set in reports.")
    source: str = Field(description="Where it came from: the path as given, or the uploaded file's name.")
    title: str = ""
    split: Literal["id_hash"] | None = Field(default=None, description="How items divide into dev and test (split_of).")
    items: list[EvalItem]

    def split_of(self, item: EvalItem) -> str | None:
        return split_of(item.id) if self.split else None


class _SetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    title: str = ""
    description: str = ""
    split: Literal["id_hash"] | None = None
    items: list[Any]


def _field_message(err: dict[str, Any]) -> tuple[str, str]:
    """(field, what is wrong) from one pydantic error."""
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) or "item"
    kind = err["type"]
    if kind == "missing":
        return field, "is missing"
    if kind == "extra_forbidden":
        return field, f"is not a known field; use {', '.join(EvalItem.model_fields)}"
    if field == "kind":
        return field, f"{shown(err.get('input'))} is not a kind; use one of {', '.join(KINDS)}"
    if field == "decision":
        return field, f"{shown(err.get('input'))} is not a decision; use one of {', '.join(DECISIONS)}"
    message = str(err["msg"]).removeprefix("Value error, ")
    return field, message


def _read_text(path: Path, source: str) -> str:
    if not path.is_file():
        raise EvalSetError("file not found. Check the path (built-in sets are in evals/).", source)
    if path.suffix.lower() not in SET_SUFFIXES:
        raise EvalSetError("an evaluation set must be a .yaml, .yml or .csv file (see evals/template.yaml).", source)
    size = path.stat().st_size
    if size > MAX_SET_BYTES:
        raise EvalSetError(f"the file is {size:,} bytes; the limit is {MAX_SET_BYTES:,}. Split it into smaller sets.", source)
    data = path.read_bytes()
    if b"\x00" in data:
        raise EvalSetError("this is not a text file. Save the set as YAML or as CSV (UTF-8).", source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EvalSetError("not UTF-8 text. In a spreadsheet, save as 'CSV UTF-8'.", source, line) from None


def _yaml_items(text: str, source: str) -> tuple[_SetFile, list[EvalItem]]:
    try:
        data, root = parse_yaml(text)
    except InputLimitError as exc:
        raise EvalSetError(f"this set cannot be used: {exc}", source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise EvalSetError(f"malformed YAML ({problem}). Fix the syntax.", source, mark.line + 1 if mark else None) from None
    try:
        parsed = _SetFile.model_validate(data)
    except ValidationError as exc:
        field, message = _field_message(exc.errors()[0])
        raise EvalSetError(
            f"the file needs a top-level 'items:' list (and may have version, title, description, split); "
            f"'{field}' {message}.",
            source, 1,
        ) from None
    items = []
    for index, raw in enumerate(parsed.items):
        try:
            items.append(EvalItem.model_validate(raw))
        except ValidationError as exc:
            field, message = _field_message(exc.errors()[0])
            ident = f" (id '{raw['id']}')" if isinstance(raw, dict) and raw.get("id") else ""
            line = node_line(root, ("items", index, field.split(".")[0]))
            raise EvalSetError(f"item {index + 1}{ident}, field '{field}': {message}.", source, line) from None
        items[-1]._origin = f"item {index + 1} (id '{items[-1].id}')"
        items[-1]._line = node_line(root, ("items", index))
    return parsed, items


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(CSV_LIST_SEPARATOR) if part.strip()]


def _csv_value(field: str, cell: str) -> Any:
    cell = cell.strip()
    if field in ("expected_refs", "key_points", "forbidden", "key"):
        return _split_list(cell)
    if field == "urgent":
        words = {"yes": True, "true": True, "y": True, "no": False, "false": False, "n": False, "": None}
        return words.get(cell.lower(), cell)
    return cell or None


def _csv_items(text: str, source: str) -> list[EvalItem]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise EvalSetError(f"the CSV cannot be read ({exc}). Save it again as 'CSV UTF-8'.", source) from None
    if not rows:
        raise EvalSetError("the CSV is empty; its first row must name the columns question, expected_refs, kind.", source)
    header = [_canonical(h) for h in rows[0]]
    missing = [c for c in ("question", "expected_refs", "kind") if c not in header]
    if missing:
        raise EvalSetError(f"row 1 (the header) lacks the column(s) {', '.join(missing)}; see evals/template.csv.", source)
    for column in header:
        if column and column not in EvalItem.model_fields:
            raise EvalSetError(f"row 1, column '{column}' is not known; use {', '.join(EvalItem.model_fields)}.", source)
    items = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise EvalSetError(
                f"row {number} has {len(row)} cells but the header names {len(header)} columns. "
                f"Quote cells that contain commas; separate list entries with '{CSV_LIST_SEPARATOR}'.", source,
            )
        record = {column: _csv_value(column, cell) for column, cell in zip(header, row, strict=False) if column}
        record = {k: v for k, v in record.items() if v is not None}
        record.setdefault("id", f"row-{number}")
        record.setdefault("question", "")
        try:
            items.append(EvalItem.model_validate(record))
        except ValidationError as exc:
            field, message = _field_message(exc.errors()[0])
            raise EvalSetError(f"row {number}, field '{field}': {message}.", source) from None
        items[-1]._origin = f"row {number}"
    return items


def example_refs(title: str, known_refs: Iterable[str]) -> list[str]:
    """Every part of one worked example: refs 'Example: <title>' and 'Example: <title> – …'."""
    stem = f"Example: {title}"
    return sorted(r for r in known_refs if r == stem or r.startswith(f"{stem} "))


def check_refs(eval_set: EvalSet, known_refs: Collection[str], stale_ok: bool = False) -> dict[str, list[str]]:
    """Gold refs missing from the corpus, by item id. An error unless `stale_ok` (regression runs report them)."""
    stale: dict[str, list[str]] = {}
    for item in eval_set.items:
        where = item._origin or f"item '{item.id}'"
        if item.from_example and not example_refs(item.from_example, known_refs):
            raise EvalSetError(
                f"{where}, field 'from_example': no worked example titled {shown(item.from_example, 80)}; "
                "copy the title from the refs 'Example: …' that `assistant passages` lists.", eval_set.source, item._line,
            )
        unknown = [r for r in item.expected_refs if r not in known_refs]
        if unknown and not stale_ok:
            raise EvalSetError(
                f"{where}, field 'expected_refs': unknown ref(s) {unknown}; "
                "check the spelling against `assistant passages`.", eval_set.source, item._line,
            )
        if unknown:
            stale[item.id] = unknown
    return stale


def _display_path(path: Path) -> str:
    """The path as given, but relative to the project for its own sets, so results do not depend on the checkout."""
    if path.is_absolute() and path.is_relative_to(PROJECT_ROOT):
        return str(path.relative_to(PROJECT_ROOT))
    return str(path)


def read_eval_set(
    path: Path, known_refs: Collection[str] | None = None, name: str | None = None, stale_ok: bool = False
) -> EvalSet:
    """Load and validate a set. `name` replaces the path in messages (e.g. an uploaded file's own name)."""
    source = name or _display_path(path)
    text = _read_text(path, source)
    header, items = (_SetFile(items=[]), _csv_items(text, source)) if path.suffix.lower() == ".csv" else _yaml_items(text, source)
    if not items:
        raise EvalSetError("the set has no items; add at least one (see evals/template.yaml).", source)
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise EvalSetError(
                f"{item._origin}, field 'id': '{item.id}' is used twice; ids must be unique within a set.", source, item._line
            )
        seen.add(item.id)
    eval_set = EvalSet(name=Path(source).stem, source=source, title=header.title, split=header.split, items=items)
    if known_refs is not None:
        check_refs(eval_set, known_refs, stale_ok)
    return eval_set


def built_in_set_paths() -> list[Path]:
    return [EVALS_DIR / f"{name}.yaml" for name in BUILT_IN_SETS]
