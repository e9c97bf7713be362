"""The corpus: the manifest and its documents, parsed into passages with stable refs."""

from assistant.corpus.loader import load_out_of_scope_questions, load_passage_questions, load_passages
from assistant.corpus.manifest import corpus_hash, corpus_version, load_manifest

__all__ = [
    "corpus_hash", "corpus_version", "load_manifest", "load_out_of_scope_questions", "load_passage_questions",
    "load_passages",
]
