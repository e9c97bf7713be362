"""The shortcuts that keep the query path fast on a large corpus give exactly what the plain code gave."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from assistant.search.index import open_index
from assistant.search.retrieve import top_positions
from assistant.settings import Settings


def _argsort_top(values: np.ndarray, k: int) -> set[int]:
    return {int(i) for i in np.argsort(-values)[:k]}


@pytest.mark.parametrize("size", [5, 30, 31, 400, 20_000])
def test_top_positions_is_the_sorted_top_k(size: int):
    rng = np.random.default_rng(size)
    distinct = rng.random(size, dtype=np.float32)
    sparse = np.zeros(size, dtype=np.float32)  # BM25 gives most passages 0: ties across the k-th place
    sparse[rng.choice(size, min(size, 10), replace=False)] = rng.random(min(size, 10), dtype=np.float32)
    rounded = np.round(distinct * 20) / 20  # many ties, some of them at the k-th place
    for values in (distinct, sparse, rounded):
        for k in (1, 5, 29, 30, size - 1, size, size + 3):
            assert {int(i) for i in top_positions(values, k)} == _argsort_top(values, k)


def test_top_positions_with_nan_defers_to_the_sort():
    values = np.array([0.5, np.nan, 0.2, 0.9, np.nan, 0.1], dtype=np.float32)
    for k in range(1, 7):
        assert {int(i) for i in top_positions(values, k)} == _argsort_top(values, k)


def test_unit_bounds_slice_each_passages_units(fake_assistant):
    index = fake_assistant.index
    bounds = index.unit_bounds
    assert bounds.shape == (len(index.passages) + 1,)
    assert (bounds[0], bounds[-1]) == (0, len(index.units))
    for position in range(len(index.passages)):
        rows = np.arange(bounds[position], bounds[position + 1])
        assert np.array_equal(rows, np.flatnonzero(index.unit_passage == position))


def test_units_out_of_passage_order_make_the_build_corrupt(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=lambda m: None, progress=False)
    units_file = first.path / "units.json"
    units = json.loads(units_file.read_text())
    units[0], units[-1] = units[-1], units[0]
    units_file.write_text(json.dumps(units, ensure_ascii=False))
    # Keep the checksum right, so only the order check can find the fault.
    complete = json.loads((first.path / "COMPLETE").read_text())
    complete["files"]["units.json"] = hashlib.sha256(units_file.read_bytes()).hexdigest()
    (first.path / "COMPLETE").write_text(json.dumps(complete))
    messages: list[str] = []
    second = open_index(settings, fake_model, log=messages.append, progress=False)
    assert messages[0] == (
        f"The index at {first.path} is incomplete or corrupt (units.json is not in passage order); rebuilding."
    )
    assert second.path != first.path
    assert np.all(np.diff(second.unit_passage) >= 0)
