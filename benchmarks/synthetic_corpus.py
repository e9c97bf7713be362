"""A synthetic corpus of any size, for measuring how the index and the query path scale.

    .venv/bin/python benchmarks/synthetic_corpus.py FOLDER [--passages 5000] [--seed 0]

Writes FOLDER/manifest.yaml and FOLDER/documents/synthetic-NNN.md: markdown documents
(README, "Adding a document") of PASSAGES_PER_DOCUMENT numbered paragraphs each, under
chapters and sections, so `load_passages(FOLDER)` gives exactly the number asked for.
The prose is made here from word lists and templates (no real guidance is copied): 2-4
sentences a paragraph, most with must / should / may, so sentence splitting and modal
tagging see units like the real guidance's, and no sentence appears twice (repeats would
tie exactly in retrieval). The same seed gives byte-identical files.
No retrieval aids (practitioner questions, out-of-scope questions, glossary) are
written: the loaders treat them as optional, as for a document a user adds.

`questions(count, seed)` gives practitioner-style questions in the same vocabulary,
for timing the query path on such a corpus (benchmarks/scale.py).
"""

from __future__ import annotations

import random
from pathlib import Path

import click
import yaml

MAX_PASSAGES = 20_000
# Draws allowed for a sentence the corpus does not hold yet. Repeated sentences would tie exactly
# in retrieval, which real guidance seldom does, so they are avoided while the templates allow.
FRESH_SENTENCE_TRIES = 50
PASSAGES_PER_DOCUMENT = 200
CHAPTERS_PER_DOCUMENT = 5
SECTIONS_PER_CHAPTER = 4  # 5 x 4 sections of 10 paragraphs = 200 paragraphs a document

ROLES = (
    "practitioners", "social workers", "designated safeguarding leads", "health visitors", "school nurses",
    "general practitioners", "police officers", "youth workers", "early help coordinators", "midwives",
    "probation officers", "housing officers", "teachers", "paediatricians", "family support workers",
    "residential care staff", "independent reviewing officers", "child protection chairs", "mental health nurses",
    "substance misuse workers", "education welfare officers", "nursery managers", "sports coaches",
    "foster carers", "emergency department staff", "community paediatric teams",
)
ORGANISATIONS = (
    "children's social care", "the local authority", "the police", "the school", "the health visiting service",
    "the designated doctor", "the data protection officer", "the Caldicott Guardian", "the multi-agency safeguarding hub",
    "the youth justice service", "the housing provider", "the early help team", "the virtual school head",
    "the child's general practice", "the named nurse", "partner agencies", "the safeguarding partnership",
    "the receiving school", "adult social care", "the local authority designated officer", "the independent advocate",
    "the family court adviser",
)
PEOPLE = (
    "the child", "the young person", "parents and carers", "the family", "the child's advocate",
    "the person with parental responsibility", "the wider family", "the carer", "the child's siblings",
)
CONDITIONS = (
    "where there is a concern about the welfare of a child", "when the information is relevant to a safeguarding enquiry",
    "if consent has been refused", "before a strategy discussion takes place", "when a child moves to a new school",
    "where a risk of significant harm is suspected", "if the child is not yet known to services",
    "when a referral is made", "where the information was given in confidence", "after a serious incident",
    "when a family moves between local authorities", "where there are concerns about domestic abuse",
    "if a young person is missing from education", "when an assessment is completed",
    "where a parent lacks capacity to consent", "before a case is closed", "when a child is placed in care",
    "where exploitation outside the home is suspected", "if the information may be out of date",
    "when the duty to share applies", "where a child is privately fostered", "when a child returns home from care",
    "if a professional disagrees with a decision", "where a child has a disability", "when a pregnancy is booked",
    "if an adult in the household is known to pose a risk",
)
INFORMATION = (
    "attendance records", "health assessments", "case notes", "chronologies", "referral forms", "risk assessments",
    "contact details", "records of previous concerns", "court orders", "care plans", "school reports",
    "medical histories", "safety plans", "minutes of strategy meetings", "details of household members",
    "records of missing episodes", "immunisation records", "exclusion records", "probation reports",
    "records of home visits",
)
REASONS = (
    "so that the child receives timely support", "to prevent harm to the child", "to allow a full assessment of need",
    "to keep the record accurate", "so that decisions can be reviewed later", "to avoid delay in protecting the child",
    "so that each agency sees the whole picture", "to support an early help plan", "to inform the child protection plan",
    "so that the receiving service can act on it",
)
TIMINGS = (
    "without delay", "within one working day", "as soon as possible", "at the earliest opportunity",
    "before the next review", "in writing", "promptly", "within the agreed timescale",
)
ACTIONS = (
    "share relevant information with {org}", "record the reasons for sharing with {org}", "seek advice from {org}",
    "notify {org}", "agree a plan with {org}", "pass their concerns to {org}", "request {info} from {org}",
    "check the accuracy of {info} before sending them to {org}", "explain the decision to {person}",
    "seek the views of {person}", "inform {person} about what will be shared", "involve {person} in the decision",
    "send {info} to {org}", "keep {info} up to date",
)
FORBIDDEN = (
    "withhold {info} from {org}", "delay a referral to {org}", "rely on consent alone",
    "share more information than the purpose requires", "promise {person} that nothing will be shared",
    "wait for a formal request from {org}", "pass {info} to anyone who does not need them",
)
ORGANISATION_ACTIONS = (
    "acknowledge each request", "confirm what information was received", "respond to the request",
    "review the information it holds", "explain any refusal to share", "name a contact for information sharing",
    "keep a log of requests", "tell the sender what action was taken",
)
DUTIES = ("must", "should", "may")
PROHIBITIONS = ("must not", "should not")
TEMPLATES_FIRST = (
    "{Role} {duty} {action} {condition}.",
    "{Condition}, {role} {duty} {action} {timing}.",
    "{Role} {prohibition} {forbidden} {condition}.",
    "Where possible, {role} should {action} {reason}.",
)
TEMPLATES_NEXT = (
    "{Info} {duty} be shared with {org} {timing} {reason}.",
    "{Role} {duty} record the decision to share {info} with {org} {timing}.",
    "Advice {duty} be sought from {org} about {info} {condition}.",
    "{Org} {duty} {org_action} {timing} {reason}.",
    "This {duty} include {info} and {info2} held by {org}.",
    "Consent is not always needed before {role} share {info} with {org} {condition}.",
    "The duty applies to {info} held by {org} {condition}, including {info2}.",
    "{Person} should be told {timing} what {role} shared with {org} and why, unless this would put the child at risk.",
    "{Role} working with {person} {prohibition} {forbidden}.",
)
CHAPTER_TOPICS = (
    "Deciding whether to share", "Working with families", "Consent and confidentiality", "Records and accountability",
    "Multi-agency working", "Early help", "Transitions between services", "Contextual safeguarding",
    "Escalation and disagreement", "Data protection in practice", "Children in care", "Health settings",
    "Education settings", "Policing and youth justice", "Housing and homelessness",
)
SECTION_TOPICS = (
    "Purpose", "When the duty applies", "Who to contact", "What to share", "Timescales", "Recording the decision",
    "Seeking views", "Refusals", "Urgent cases", "Reviewing the plan", "Quality of information", "Roles and responsibilities",
    "Secure transfer", "Case examples", "Training and supervision",
)
QUESTION_TEMPLATES = (
    "Should {role} {action} {condition}?",
    "Can I share {info} with {org}?",
    "Do I need consent to share {info} with {org}?",
    "What must {role} do {condition}?",
    "Who should I contact {condition}?",
    "When should {info} be passed to {org}?",
    "Is it wrong to {forbidden}?",
    "How quickly must {org} {org_action}?",
)


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:]


def _fill(template: str, rng: random.Random) -> str:
    """A template with every slot filled; '{Slot}' gives the value capitalised, as a sentence opens."""
    info, info2 = rng.sample(INFORMATION, 2)
    org, person = rng.choice(ORGANISATIONS), rng.choice(PEOPLE)
    slots = {
        "role": rng.choice(ROLES), "duty": rng.choice(DUTIES), "prohibition": rng.choice(PROHIBITIONS),
        "condition": rng.choice(CONDITIONS), "timing": rng.choice(TIMINGS), "reason": rng.choice(REASONS),
        "info": info, "info2": info2, "org": org, "person": person, "org_action": rng.choice(ORGANISATION_ACTIONS),
    }
    slots["action"] = rng.choice(ACTIONS).format(org=org, info=info, person=person)
    slots["forbidden"] = rng.choice(FORBIDDEN).format(org=org, info=info, person=person)
    slots.update({_capitalise(key): _capitalise(value) for key, value in list(slots.items())})
    return template.format(**slots)


def _fresh_sentence(templates: tuple[str, ...], rng: random.Random, seen: set[str]) -> str:
    for _ in range(FRESH_SENTENCE_TRIES):
        sentence = _fill(rng.choice(templates), rng)
        if sentence not in seen:
            break
    seen.add(sentence)
    return sentence


def paragraph(rng: random.Random, seen: set[str]) -> str:
    """2-4 sentences not in `seen`: one that says who does what, then ones that add detail."""
    sentences = [_fresh_sentence(TEMPLATES_FIRST, rng, seen)]
    sentences += [_fresh_sentence(TEMPLATES_NEXT, rng, seen) for _ in range(rng.randint(1, 3))]
    return " ".join(sentences)


def document_text(title: str, paragraphs: int, rng: random.Random, seen: set[str]) -> str:
    """Markdown: the title ('#'), chapters ('##') and sections ('###'), with paragraphs numbered 1…N."""
    per_section = PASSAGES_PER_DOCUMENT // (CHAPTERS_PER_DOCUMENT * SECTIONS_PER_CHAPTER)
    blocks = [f"# {title}"]
    for number in range(1, paragraphs + 1):
        section = (number - 1) // per_section  # sections count from 0 across the whole document
        if (number - 1) % per_section == 0:
            if section % SECTIONS_PER_CHAPTER == 0:
                chapter = section // SECTIONS_PER_CHAPTER + 1
                blocks.append(f"## Chapter {chapter}: {rng.choice(CHAPTER_TOPICS)}")
            blocks.append(f"### {rng.choice(SECTION_TOPICS)}")
        blocks.append(f"{number}. {paragraph(rng, seen)}")
    return "\n\n".join(blocks) + "\n"


def write_corpus(folder: Path, passages: int, seed: int) -> None:
    """Write a corpus of exactly `passages` passages into `folder` (manifest.yaml and documents/).

    Files of an earlier corpus in the folder are overwritten, and documents the new manifest
    does not name are ignored by the loader; start from an empty folder for a clean corpus.
    """
    if not 1 <= passages <= MAX_PASSAGES:
        raise ValueError(f"passages must be between 1 and {MAX_PASSAGES}, not {passages}")
    rng = random.Random(seed)
    seen: set[str] = set()
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    entries = []
    for start in range(0, passages, PASSAGES_PER_DOCUMENT):
        number = start // PASSAGES_PER_DOCUMENT + 1
        doc_id = f"synthetic-{number:03d}"
        title = f"Synthetic guidance, volume {number}: {rng.choice(CHAPTER_TOPICS).lower()}"
        file = f"documents/{doc_id}.md"
        count = min(PASSAGES_PER_DOCUMENT, passages - start)
        (folder / file).write_text(document_text(title, count, rng, seen), encoding="utf-8")
        entries.append({
            "id": doc_id, "title": title, "kind": "other", "status": "synthetic, for benchmarks",
            "version": f"seed {seed}", "source_url": "none (generated by benchmarks/synthetic_corpus.py)",
            "licence": "generated text; no third-party content", "file": file, "format": "markdown",
        })
    header = f"# Synthetic corpus: {passages} passages, seed {seed} (benchmarks/synthetic_corpus.py).\n"
    manifest = yaml.safe_dump({"documents": entries}, sort_keys=False, allow_unicode=True, width=1000)
    (folder / "manifest.yaml").write_text(header + manifest, encoding="utf-8")


def questions(count: int, seed: int) -> list[str]:
    """Practitioner-style questions in the corpus vocabulary; the same for every corpus size, so
    latencies measured on different sizes compare like with like."""
    rng = random.Random(f"questions-{seed}")
    return [_fill(rng.choice(QUESTION_TEMPLATES), rng) for _ in range(count)]


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--passages", default=400, show_default=True, type=click.IntRange(1, MAX_PASSAGES),
              help="Passages the corpus holds.")
@click.option("--seed", default=0, show_default=True, help="Same seed, same files.")
def main(folder: Path, passages: int, seed: int) -> None:
    """Write a synthetic corpus of PASSAGES numbered paragraphs into FOLDER."""
    write_corpus(folder, passages, seed)
    click.echo(f"Wrote {passages} passages in {-(-passages // PASSAGES_PER_DOCUMENT)} documents to {folder}.")


if __name__ == "__main__":
    main()
