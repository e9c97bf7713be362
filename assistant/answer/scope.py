"""Is the question one the guidance answers? A small calibrated classifier that case details do not trip.

The nearest-neighbour rule compared the whole question with stored questions the guidance does
and does not answer; a long case ("she's 14, mould in the flat, a new address…") pulled it
towards whichever stored question shared the details. Here the part of the question that asks
is compared too, and whether it asks one of the decisions in corpus/decisions.yaml counts. A
logistic model over those few signals gives the probability that the guidance does not answer
the question; it abstains at `scope_threshold`. The weights were fitted on the dev splits
(evals/tune_scope.py prints the fit and the trade-off curve).
"""

from __future__ import annotations

import math

import numpy as np

from assistant.search.index import LoadedIndex
from assistant.settings import AnswerSettings

FEATURES = (
    "outside minus inside (whole question)",
    "outside minus inside (asking part)",
    "inside (whole question)",
    "inside (asking part)",
    "asks a known decision",
)


def _nearest(vectors: np.ndarray, query: np.ndarray) -> float:
    return float((vectors @ query).max()) if len(vectors) else -1.0


def scope_features(index: LoadedIndex, query: np.ndarray, asking: np.ndarray, decision_asked: bool) -> list[float]:
    """The classifier's inputs: best cosines with answered (inside) and unanswered (outside) stored questions."""
    inside, outside = _nearest(index.question_vectors, query), out_of_scope_similarity(index, query)
    asking_inside, asking_outside = _nearest(index.question_vectors, asking), out_of_scope_similarity(index, asking)
    return [outside - inside, asking_outside - asking_inside, inside, asking_inside, float(decision_asked)]


def out_of_scope_similarity(index: LoadedIndex, query: np.ndarray) -> float:
    """The question's best cosine with the questions the guidance does not answer; -1 when there are none."""
    return _nearest(index.out_of_scope_vectors, query)


def out_of_scope_probability(features: list[float], settings: AnswerSettings) -> float:
    """The probability that the guidance does not answer the question."""
    score = settings.scope_bias + sum(w * x for w, x in zip(settings.scope_weights, features, strict=True))
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, score))))
