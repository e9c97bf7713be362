"""How well the privacy code does on the generated set: per type, for stored text and for the page's warning.

    python evals/pii_eval.py             # the test seed: the figures the README reports
    python evals/pii_eval.py --dev       # the dev seed: the one to tune on
    python evals/pii_eval.py --misses 20 # also print what was missed (dev seed only)
    python evals/pii_eval.py --project-sets  # the page warning on the project's own evaluation questions

Stored text (`scrub_stored`, what feedback and reports keep): a detail is caught when every
specific word of it is replaced. Generic words that identify no one stay allowed: the street
type ("Road"), "Flat", the school type ("Primary School"), "St", "of". Page warning
(`find_identifiers`, what the Ask tab warns about): a name is caught when a NAME finding
overlaps it. A false alarm is a clean question that sets the warning off.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_pii_set import DEV_SEED, TEST_SEED, Item, Span, make_set

from assistant.corpus.loader import load_passages
from assistant.privacy import find_identifiers, guidance_vocabulary, stored_findings

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
GENERIC = frozenset(str.split(
    "road street lane avenue close drive way court crescent gardens grove place terrace hill park rise view walk mews row "
    "square green parade gate vale flat flats studio apartment unit st of the and c e ce rc primary school academy high "
    "infant junior nursery college community grammar"
))
WORD_RE = re.compile(r"[A-Za-z0-9]+")


@dataclass
class Row:
    kind: str
    total: int
    stored: int
    warned: int | None  # names only


def _specific_words(item: Item, span: Span) -> list[tuple[int, int]]:
    words = [(span.start + m.start(), span.start + m.end(), m.group().lower())
             for m in WORD_RE.finditer(item.text[span.start : span.end])]
    if span.kind in ("ADDRESS", "SCHOOL"):
        words = [w for w in words if w[2] not in GENERIC]
    return [(start, end) for start, end, _ in words]


def _covered(start: int, end: int, findings: list) -> bool:
    return any(f.start <= start and end <= f.end for f in findings)


def evaluate(seed: int, vocabulary: frozenset[str] | None = None) -> dict:
    """Per-type recall for stored text and, for names, the page warning; false alarms and clean words replaced."""
    if vocabulary is None:
        vocabulary = guidance_vocabulary(load_passages(CORPUS_DIR))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    forms: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # name form: names, warned
    misses: dict[str, list[str]] = defaultdict(list)
    clean_items = alarms = clean_words = replaced_words = 0
    alarm_texts: list[str] = []
    for item in make_set(seed):
        stored = stored_findings(item.text, vocabulary)
        page = find_identifiers(item.text, vocabulary)
        if item.clean:
            clean_items += 1
            if page:
                alarms += 1
                alarm_texts.append(f"{item.text}  →  {[f.text(item.text) for f in page]}")
            words = list(WORD_RE.finditer(item.text))
            clean_words += len(words)
            replaced_words += sum(any(f.start < w.end() and w.start() < f.end for f in stored) for w in words)
            continue
        for span in item.spans:
            row = counts[span.kind]
            row[0] += 1
            if all(_covered(s, e, stored) for s, e in _specific_words(item, span)):
                row[1] += 1
            else:
                misses[f"stored {span.kind}"].append(f"{item.text[span.start:span.end]!r} in {item.text}")
            if span.kind == "NAME":
                forms[span.form][0] += 1
                if any(f.kind == "NAME" and f.start < span.end and span.start < f.end for f in page):
                    row[2] += 1
                    forms[span.form][1] += 1
                else:
                    misses[f"page NAME {span.form}"].append(f"{item.text[span.start:span.end]!r} in {item.text}")
    rows = [Row(kind, c[0], c[1], c[2] if kind == "NAME" else None) for kind, c in sorted(counts.items())]
    return {
        "rows": rows, "forms": dict(forms), "clean": clean_items, "alarms": alarms, "clean_words": clean_words,
        "replaced_words": replaced_words, "misses": misses, "alarm_texts": alarm_texts,
    }


def table(result: dict, seed: int) -> str:
    lines = [f"seed {seed}", "| type | items | stored text recall | page warning recall |", "|---|---:|---:|---:|"]
    for row in result["rows"]:
        warned = f"{row.warned / row.total:.3f}" if row.warned is not None else "–"
        lines.append(f"| {row.kind} | {row.total} | {row.stored / row.total:.3f} | {warned} |")
    lines.append(
        f"| clean questions | {result['clean']} | {result['replaced_words'] / result['clean_words']:.3f} of words replaced "
        f"| {result['alarms'] / result['clean']:.3f} false alarms ({result['alarms']}) |"
    )
    forms = ", ".join(f"{form} {warned / total:.3f}" for form, (total, warned) in sorted(result["forms"].items()))
    lines.append(f"\npage warning recall by how the name was written: {forms}")
    return "\n".join(lines)


def project_sets(vocabulary: frozenset[str]) -> tuple[list[str], list[str], float]:
    """The questions of evals/*.yaml (written for other tests, by other hands): those that set the warning off,
    and the share of their words that stored text replaces. Some of them do name a child."""
    import yaml

    questions = []
    for path in sorted(Path(__file__).resolve().parent.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data.get("items", []) if isinstance(data, dict) else data if isinstance(data, list) else []
        questions += [i["question"] for i in items if isinstance(i, dict) and isinstance(i.get("question"), str)]
    alarms = [f"{q[:90]}  →  {[f.text(q) for f in find_identifiers(q, vocabulary)]}"
              for q in questions if find_identifiers(q, vocabulary)]
    words = replaced = 0
    for q in questions:
        stored = stored_findings(q, vocabulary)
        for w in WORD_RE.finditer(q):
            words += 1
            replaced += any(f.start < w.end() and w.start() < f.end for f in stored)
    return questions, alarms, replaced / max(words, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="use the dev seed (for tuning) instead of the test seed")
    parser.add_argument("--misses", type=int, default=0, help="print up to N misses and false alarms per kind (dev only)")
    parser.add_argument("--project-sets", action="store_true", help="check the project's own evaluation questions")
    args = parser.parse_args()
    if args.project_sets:
        questions, alarms, replaced = project_sets(guidance_vocabulary(load_passages(CORPUS_DIR)))
        print(f"{len(questions)} questions; {len(alarms)} set the page warning off; stored text replaces {replaced:.3f} "
              "of their words")
        print("\n".join(alarms))
        return
    seed = DEV_SEED if args.dev else TEST_SEED
    result = evaluate(seed)
    print(table(result, seed))
    if args.misses and args.dev:
        for kind, texts in sorted(result["misses"].items()):
            print(f"\n{kind}: {len(texts)}")
            print("\n".join(texts[: args.misses]))
        print(f"\nfalse alarms: {len(result['alarm_texts'])}")
        print("\n".join(result["alarm_texts"][: args.misses]))


if __name__ == "__main__":
    main()
