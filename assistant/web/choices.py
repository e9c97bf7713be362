"""Choice components that take a value posted outside their choices as no choice.

Gradio's own Radio, Dropdown and CheckboxGroup raise on such a value (anyone can post one to the
API) and the error, value included, goes to the server log. These pass None (or leave the value
out of a group) to the handler instead, which answers with its usual message. `is_template` makes
Gradio draw each with its parent's front-end component.
"""

from __future__ import annotations

from typing import Any

import gradio as gr


def _known(component: Any) -> list[Any]:
    return [value for _, value in component.choices]


class ChoiceRadio(gr.Radio):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return super().preprocess(payload if payload in _known(self) else None)


class ChoiceDropdown(gr.Dropdown):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return super().preprocess(payload if not isinstance(payload, list) and payload in _known(self) else None)


class ChoiceGroup(gr.CheckboxGroup):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        known = _known(self)
        return super().preprocess([v for v in payload if v in known] if isinstance(payload, list) else [])
