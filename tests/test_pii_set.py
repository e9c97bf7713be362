"""The privacy code measured on the generated set (evals/make_pii_set.py, Faker en_GB) at the test seed.

Tuning happens on the dev seed only; these figures are the ones the README reports.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

EVALS = Path(__file__).resolve().parent.parent / "evals"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(EVALS))
    try:
        spec = importlib.util.spec_from_file_location(name, EVALS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up; pii_eval imports make_pii_set by name
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(EVALS))


make_pii_set = _module("make_pii_set")
pii_eval = _module("pii_eval")
KINDS = {"NAME", "ADDRESS", "SCHOOL", "DATE", "NHS_NUMBER", "NI_NUMBER", "POSTCODE", "PHONE", "EMAIL"}


@pytest.fixture(scope="module")
def test_result() -> dict:
    return pii_eval.evaluate(make_pii_set.TEST_SEED)


def test_the_set_covers_every_kind_and_form_with_enough_clean_questions():
    items = make_pii_set.make_set(make_pii_set.TEST_SEED)
    spans = [span for item in items for span in item.spans]
    assert {span.kind for span in spans} == KINDS
    name_forms = {span.form for span in spans if span.kind == "NAME"}
    assert name_forms == {"bare", "first", "lowercase", "capitals", "possessive", "name is", "title"}
    assert {span.form for span in spans if span.kind == "DATE"} == set(make_pii_set.DATE_FORMATS)
    assert sum(item.clean for item in items) == 240
    assert len({item.text for item in items if item.clean}) == 240
    for item in items:  # each span is exactly the detail, with no stray space around it
        for span in item.spans:
            assert item.text[span.start : span.end] == item.text[span.start : span.end].strip() != ""


def test_the_dev_and_test_seeds_give_different_questions():
    dev = {item.text for item in make_pii_set.make_set(make_pii_set.DEV_SEED) if not item.clean}
    test = {item.text for item in make_pii_set.make_set(make_pii_set.TEST_SEED) if not item.clean}
    assert make_pii_set.DEV_SEED != make_pii_set.TEST_SEED
    assert len(dev & test) < 0.05 * len(test)


def test_the_same_seed_gives_the_same_set():
    first = make_pii_set.make_set(make_pii_set.TEST_SEED, per_template=2, clean=20)
    again = make_pii_set.make_set(make_pii_set.TEST_SEED, per_template=2, clean=20)
    assert [(i.text, i.spans) for i in first] == [(i.text, i.spans) for i in again]


def test_stored_text_recall_is_at_least_0_99_for_every_type(test_result: dict):
    recall = {row.kind: row.stored / row.total for row in test_result["rows"]}
    assert set(recall) == KINDS
    assert {kind: r for kind, r in recall.items() if r < 0.99} == {}


def test_the_page_warns_about_at_least_nine_names_in_ten(test_result: dict):
    names = next(row for row in test_result["rows"] if row.kind == "NAME")
    assert names.total >= 300
    assert names.warned / names.total >= 0.90


def test_clean_questions_seldom_set_the_warning_off_and_keep_most_words(test_result: dict):
    assert test_result["clean"] == 240
    assert test_result["alarms"] / test_result["clean"] <= 0.05
    assert test_result["replaced_words"] / test_result["clean_words"] <= 0.10


def test_the_table_command_prints_every_type():
    out = subprocess.run([sys.executable, str(EVALS / "pii_eval.py")], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == f"seed {make_pii_set.TEST_SEED}"
    rows = [line for line in out.splitlines()[3:] if line.startswith("| ")]
    assert {row.split(" | ")[0].lstrip("| ") for row in rows} == KINDS | {"clean questions"}
    assert out.splitlines()[-1].startswith("page warning recall by how the name was written: bare ")
