"""The s16LA tests as steps (corpus/decide_steps.yaml) → an outcome → a decision record to file (para 27)."""

from assistant.decide.decider import Decider
from assistant.decide.models import Answers, DecisionRecord, Outcome
from assistant.decide.steps import StepBook, load_steps

__all__ = ["Answers", "Decider", "DecisionRecord", "Outcome", "StepBook", "load_steps"]
