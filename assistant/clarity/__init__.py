"""The clarity report (policy teams): unclear, inconsistent or contested passages, ranked."""

from assistant.clarity.build import build_report
from assistant.clarity.models import ClarityReport

__all__ = ["ClarityReport", "build_report"]
