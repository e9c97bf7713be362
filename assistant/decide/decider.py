"""From answers to a DecisionRecord: check them, settle the outcome, quote the guidance, scrub the text.

Needs the passages and corpus/decide_steps.yaml only: no embedding model, no index. Free text
(situation, rationales, what was shared, review points) is scrubbed of personal details before it
is put in the record: identifiers, and capitalised words the guidance never uses (likely names).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.decide.answers import check_answers, fail, parse_answers, read_answers_file
from assistant.decide.models import Answers, Cause, DecisionRecord, Outcome, Quote, Sharing, Situation, StepRecord
from assistant.decide.outcome import outcome_problems, reached_steps, settle
from assistant.decide.steps import Step, StepBook, load_steps, matches
from assistant.models import Passage
from assistant.privacy import guidance_vocabulary, scrub

FAMILY_STEP = "telling_family"
PLACEHOLDER_RE = re.compile(r"\[([A-Z_]+)\]")


class Scrubber:
    """Scrubs each text and remembers which kinds of detail it replaced."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self.vocabulary = vocabulary
        self.removed: dict[str, None] = {}

    def __call__(self, text: str) -> str:
        text = " ".join(text.split()) if "\n" not in text else "\n".join(" ".join(line.split()) for line in text.split("\n"))
        cleaned = scrub(text, self.vocabulary)
        before = set(PLACEHOLDER_RE.findall(text))
        for kind in PLACEHOLDER_RE.findall(cleaned):
            if kind not in before:
                self.removed.setdefault(kind, None)
        return cleaned.strip()


def _unique(quotes: Sequence[Quote]) -> list[Quote]:
    return list({(q.ref, q.sentence): q for q in quotes}.values())


class Decider:
    """The Decide helper over one version of the guidance. `decide(answers)` → DecisionRecord."""

    def __init__(self, book: StepBook, passages: Sequence[Passage], corpus_version: str) -> None:
        self.book = book
        self.corpus_version = corpus_version
        self.vocabulary = guidance_vocabulary(passages)

    @classmethod
    def load(cls, corpus_dir: Path, passages: Sequence[Passage], corpus_version: str) -> Decider:
        return cls(load_steps(corpus_dir, passages), passages, corpus_version)

    @classmethod
    def from_corpus(cls, corpus_dir: Path) -> Decider:
        """Parse the corpus folder itself: for the CLI, which needs no model and no index to decide."""
        from assistant.corpus.loader import load_passages
        from assistant.corpus.manifest import corpus_hash, corpus_version

        passages = load_passages(corpus_dir)
        return cls.load(corpus_dir, passages, corpus_version(corpus_dir, corpus_hash(corpus_dir)))

    def decide_file(self, path: Path, today: dt.date | None = None) -> DecisionRecord:
        data, root = read_answers_file(path)
        return self.decide(data, today=today, path=str(path), root=root)

    def decide(self, answers: Answers | Mapping[str, Any], today: dt.date | None = None, path: str | None = None,
               root: Any = None) -> DecisionRecord:
        """Check the answers (a DecideError lists every problem), settle the outcome and build the record."""
        parsed = parse_answers(answers, path, root)
        reached = reached_steps(self.book, parsed)
        values, problems = check_answers(self.book, parsed, reached)
        if problems:
            raise fail(problems, path, root)
        kind, causes = settle(self.book, parsed, values, reached)
        problems = outcome_problems(self.book, parsed, kind, causes)
        if problems:
            raise fail(problems, path, root)
        return self._record(parsed, values, reached, kind, causes, today)

    def step_quotes(self, step: Step, situation: Situation, answer: str | None, values: Mapping[str, Any]) -> list[Quote]:
        """The step's quotes that fit the case, then those of the choices made, verbatim."""
        quotes = [self.book.quote(r) for r in step.quotes if matches(r.when, situation, answer, values)]
        for name, spec in step.fields.items():
            chosen = values.get(name) or []
            for quote in (self.book.quote(c.quote) for key, c in spec.choices.items() if key in chosen and c.quote):
                # Next to the other sentences of its passage, so a list item follows the sentence that opens its list.
                same = [n for n, q in enumerate(quotes) if q.ref == quote.ref]
                quotes.insert(same[-1] + 1 if same else len(quotes), quote)
        return _unique(quotes)

    def advisers(self, step_ids: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(self.book.advisers[a] for s in step_ids for a in self.book.step(s).ask))

    def _record(self, answers: Answers, values: Mapping[str, Mapping[str, Any]], reached: Sequence[str], kind: Any,
                causes: Sequence[str], today: dt.date | None) -> DecisionRecord:
        clean = Scrubber(self.vocabulary)
        situation = answers.situation.model_copy(update={
            "role": clean(answers.situation.role), "recipient": clean(answers.situation.recipient),
            "description": clean(answers.situation.description),
        })
        steps = []
        for number, step in enumerate(self.book.steps, 1):
            given = answers.steps.get(step.id)
            if step.id not in reached or given is None:
                steps.append(StepRecord(id=step.id, number=number, title=step.title, question=step.question,
                                        answer="not reached"))
                continue
            own = values.get(step.id, {})
            steps.append(StepRecord(
                id=step.id, number=number, title=step.title, question=step.question, answer=given.answer,
                rationale=clean(given.rationale),
                choices={spec.label: [spec.choices[c].label for c in own[name]]
                         for name, spec in step.fields.items() if spec.kind == "multi" and own.get(name)},
                notes={spec.label: clean(own[name])
                       for name, spec in step.fields.items() if spec.kind == "text" and own.get(name)},
                quotes=self.step_quotes(step, answers.situation, given.answer, own),
                ask=self.advisers([step.id]) if given.answer == "unsure" else [],
            ))
        by_id = {s.id: s for s in steps}
        spec = self.book.outcomes[kind]
        route: list[Quote] = []
        if kind == "not_under_duty":
            route = _unique([self.book.quote(r) for c in causes for r in self.book.step(c).route
                             if matches(r.when, answers.situation, answers.steps[c].answer, values.get(c, {}))])
        outcome = Outcome(
            kind=kind, label=spec.label, summary=spec.summary,
            because=[Cause(step=c, title=by_id[c].title, answer=by_id[c].answer, rationale=by_id[c].rationale) for c in causes],
            quotes=_unique([self.book.quote(r) for r in spec.quotes]), route=route,
            ask=self.advisers(causes) if kind == "refer" else [],
        )
        given = answers.sharing
        sharing = Sharing(what=clean(given.what), with_whom=clean(given.with_whom or answers.situation.recipient),
                          how=clean(given.how), withheld=clean(given.withheld))
        return DecisionRecord(
            date=answers.date or today or dt.date.today(), corpus_version=self.corpus_version, situation=situation,
            steps=steps, outcome=outcome, sharing=sharing, family=self._family(by_id.get(FAMILY_STEP)),
            review=[r for r in (clean(item) for item in answers.review) if r], removed=list(clean.removed),
            notice=self.book.notice + (f" {self.book.urgent_notice}" if answers.situation.urgent else ""),
            labels={name: dict(choices) for name, choices in self.book.situation.items()},
        )

    @staticmethod
    def _family(step: StepRecord | None) -> str:
        """Whether the family is told, or why not, in the project's words around the practitioner's rationale."""
        if step is None or step.answer == "not reached":
            return "Not decided: the helper did not reach this step."
        said = f" {step.rationale}" if step.rationale else ""
        if step.answer == "yes":
            return f"Yes: the child and family are told what is shared, with whom and why.{said}"
        if step.answer == "no":
            return f"No, because:{said}"
        return f"Not decided yet.{said} Ask: {', '.join(step.ask)}."
