"""Personal details in free text: find them, warn about them, and replace them before anything is kept.

Practitioners often ask with a case in mind and may paste a child's details. The page warns
them about what `find_identifiers` finds and shows the question `scrub`bed; whatever is written
to disk (feedback, evaluation reports) passes through the stricter `scrub_stored`.
"""

from assistant.privacy.identifiers import KIND_NAMES, Finding, describe, nhs_number_is_valid
from assistant.privacy.names import find_names
from assistant.privacy.scrub import find_identifiers, guidance_vocabulary, identifier_kinds, scrub, scrub_stored, stored_findings

__all__ = [
    "KIND_NAMES",
    "Finding",
    "describe",
    "find_identifiers",
    "find_names",
    "guidance_vocabulary",
    "identifier_kinds",
    "nhs_number_is_valid",
    "scrub",
    "scrub_stored",
    "stored_findings",
]
