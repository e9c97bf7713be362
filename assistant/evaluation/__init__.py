"""The evaluation workbench (trainers): eval sets, metrics, runs, reports and regressions."""

from assistant.evaluation.results import RunResults
from assistant.evaluation.run import run_sets
from assistant.evaluation.sets import EvalSet, read_eval_set

__all__ = ["EvalSet", "RunResults", "read_eval_set", "run_sets"]
