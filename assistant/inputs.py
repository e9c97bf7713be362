"""Reading what users hand over (evaluation sets, answers files, results, JSON lines) so that no input
can stall the process: YAML and JSON are parsed with limits on nesting and on the size a YAML file
reaches once its aliases (`*name`) are expanded, and errors describe a value without repeating it.

A YAML file of nested aliases can be a few hundred bytes and stand for billions of values; it is
refused after parsing, before anything walks it, by counting the nodes it would expand to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

import yaml

from assistant.errors import QuestionError

# libyaml's loader when PyYAML has it (the wheels do): ten times faster, and start-up reads several YAML files;
# it also refuses nesting beyond 1,000 levels while it parses.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 64  # no file of this project nests beyond 8
MAX_LINE_BYTES = 64 * 1024  # one line of `assistant ask --json -`; a question is at most 2,000 characters
MAX_NODES = 500_000  # values once aliases are expanded; the largest corpus file has about 6,000


class InputLimitError(ValueError):
    """The input is too deep, too large once expanded, or refers to itself; the message says which."""


def shown(value: Any, limit: int = 40) -> str:
    """A value for an error message, never longer than `limit` characters: users paste large things."""
    if isinstance(value, str):
        text = " ".join(value.split())
        return repr(text if len(text) <= limit else text[: limit - 1] + "…")
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)[:limit]
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    return f"a value of type {type(value).__name__}"


def _check_tree(root: yaml.Node) -> None:
    """Refuse a node tree deeper than MAX_DEPTH, larger than MAX_NODES when expanded, or cyclic.

    Walked without recursion; an alias is the same node object as its anchor, so each node's
    expanded size is computed once (memoised on its id).
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_NODES:
                raise InputLimitError(
                    f"it expands to more than {MAX_NODES:,} values once its aliases (*name) are filled in. "
                    "Write the items out in full, without anchors and aliases."
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise InputLimitError("an alias (*name) refers to a value that contains it. Remove the alias.")
        if depth > MAX_DEPTH:
            raise InputLimitError(f"it nests deeper than {MAX_DEPTH} levels. Flatten the structure.")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers), parsed once.

    Raises yaml.YAMLError for malformed text and InputLimitError for text that is too deep or
    expands too far (a "billion laughs" file).
    """
    loader = SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_tree(root)
        return loader.construct_document(root), root
    except RecursionError:
        raise InputLimitError(f"it nests deeper than {MAX_DEPTH} levels. Flatten the structure.") from None
    finally:
        loader.dispose()


def node_line(root: yaml.Node | None, loc: tuple[Any, ...] | list[Any]) -> int | None:
    """1-based line of the deepest node along `loc` (mapping keys, list positions) that the tree has, so
    an error can name the line of the field at fault; None without a tree."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse_json(text: str | bytes) -> Any:
    """JSON data, or ValueError: json.JSONDecodeError for malformed text, InputLimitError for deep nesting."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputLimitError("it nests too deeply to be read. Send flat JSON.") from None
    _check_depth(data)
    return data


def _check_depth(data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputLimitError(f"it nests deeper than {MAX_DEPTH} levels. Send flat JSON.")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def batch_lines(stream: TextIO | BinaryIO) -> Iterator[tuple[int, bytes | str | None]]:
    """The non-blank lines of a batch with their numbers, read one at a time; a line longer than
    MAX_LINE_BYTES comes as None (its rest skipped), so no line can fill the memory."""
    source = getattr(stream, "buffer", stream)
    number = 0
    while raw := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        newline = b"\n" if isinstance(raw, bytes) else "\n"
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(newline):
            while raw and not raw.endswith(newline):
                raw = source.readline(MAX_LINE_BYTES + 1)
            yield number, None
            continue
        line = raw.rstrip(b"\r\n") if isinstance(raw, bytes) else raw.rstrip("\r\n")
        if line.strip():
            yield number, line


def batch_question(line: str | bytes | None) -> tuple[str | bytes, list[str] | None]:
    """A batch line's question and history: plain text, or {"question": "...", "history": ["...", ...]}.
    Raises QuestionError, naming what to change, for a line that is neither."""
    if line is None:
        raise QuestionError(f"The line is longer than {MAX_LINE_BYTES // 1024} KB. Send one short question per line.")
    if not line.lstrip().startswith(b"{" if isinstance(line, bytes) else "{"):
        return line, None
    try:
        record = parse_json(line)
    except ValueError as exc:
        raise QuestionError(f"The line starts like JSON but is not valid JSON ({exc}). "
                            'Send plain text or {"question": "...", "history": ["..."]}.') from None
    if not isinstance(record, dict) or not isinstance(record.get("question"), str):
        raise QuestionError('A JSON line needs "question" as text: {"question": "...", "history": ["..."]}.')
    history = record.get("history")
    if history is not None and not (isinstance(history, list) and all(isinstance(h, str) for h in history)):
        raise QuestionError('"history" must be a list of earlier questions as text, oldest first.')
    return record["question"], history or None
