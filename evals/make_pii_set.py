"""A seeded set of questions practitioners might type, some holding personal details, to measure the privacy code.

    python evals/make_pii_set.py [--seed 7] [--out pii.jsonl]

Each item is a question and the spans of the personal details in it: names (bare, first name
only, lower case, capitals, possessive, "my client's name is", with a title), street addresses,
school names, dates in every common format, NHS and NI numbers, postcodes, phone numbers and
email addresses. Clean items are practitioners' questions with no personal detail at all.
Faker's en_GB provider supplies the details; Faker is a test dependency (`pip install -e '.[dev]'`).

Tune on DEV_SEED only. TEST_SEED is what the README and the test report.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

DEV_SEED = 7
TEST_SEED = 20261202


@dataclass(frozen=True)
class Span:
    kind: str  # NAME, ADDRESS, SCHOOL, DATE, NHS_NUMBER, NI_NUMBER, POSTCODE, PHONE, EMAIL
    form: str  # how it was written, e.g. "lowercase" or "04-Jun-2022"
    start: int
    end: int


@dataclass
class Item:
    text: str
    spans: list[Span] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.spans


# (form, template, case): slots are filled by Generator.slot; case "lower"/"upper" changes the whole question.
NAME_TEMPLATES = [
    ("possessive", "Can I share {NAME}'s records with CAMHS?", ""),
    ("possessive", "share {NAME}'s records with the school nurse?", ""),
    ("possessive", "{FIRST}'s dad turned up drunk at pick-up. Can I share this with the police?", ""),
    ("possessive", "Is {NAME}'s mum entitled to see what I sent to children's social care?", ""),
    ("bare", "{NAME} told her teacher that her stepdad hits her. Do I need consent?", ""),
    ("bare", "I'm worried about {NAME}, do I tell children's social care?", ""),
    ("bare", "Is it OK to tell the GP that {NAME} has been missing school?", ""),
    ("bare", "Referral for {NAME} - mum says no to sharing. What now?", ""),
    ("bare", "The child is {NAME}, aged 9. Who should I tell?", ""),
    ("first", "{FIRST} disclosed at breakfast club that she is scared to go home.", ""),
    ("first", "Mum ({FIRST}) has asked me not to tell anyone. What should I do?", ""),
    ("first", "Can I tell the health visitor that {FIRST} has bruises?", ""),
    ("first", "I saw marks on {FIRST} again today, can I share with the DSL?", ""),
    ("lowercase", "my client {NAME} has a new partner, can i share?", "lower"),
    ("lowercase", "can i share {NAME}'s file with the health visitor", "lower"),
    ("lowercase", "do i need consent to share about {NAME} with the police", "lower"),
    ("lowercase", "worried about {FIRST} {LAST} and her brother, who do i tell", "lower"),
    ("capitals", "RE: {NAME} - can I pass the referral to Early Help?", "upper-slots"),
    ("capitals", "DO I NEED CONSENT TO SHARE ABOUT {NAME}?", "upper"),
    ("capitals", "URGENT {NAME} NOT IN SCHOOL AGAIN - WHO DO I TELL", "upper"),
    ("name is", "my client's name is {NAME}, can I share her address with the police?", "lower-slots"),
    ("name is", "My client's name is {NAME} and she is 15. Does the duty apply?", ""),
    ("name is", "the boy's name is {FIRST}, do I need his dad's consent?", "lower-slots"),
    ("bare", "Spoke to {FIRST} and {NAME} today, both say dad hits them. Share?", ""),
    ("bare", "Safeguarding concern - {NAME}", ""),
    ("bare", "Mum {NAME} and her partner {NAME} both refuse consent", ""),
    ("lowercase", "hi, {FIRST} in year 6 has bruises again, who do i tell", "lower"),
    ("capitals", "CHILD: {NAME}, AGED 7. CAN I SHARE WITH THE GP?", "upper"),
    ("title", "Can I share information with Mrs {TITLE} without the family knowing?", ""),
    ("title", "Mr {TITLE} refused consent. Can I still share with the school?", ""),
    ("title", "Dr {TITLE} at the surgery wants our notes on the boy.", ""),
]
OTHER_TEMPLATES = {
    "ADDRESS": [
        "He lives at {ADDRESS} with his nan. Can I give the address to the police?",
        "The family moved to {ADDRESS} last month, should I tell the new school?",
        "can i share that mum is staying at {ADDRESS}?",
        "New address is {ADDRESS}, {POSTCODE}. Do I update the GP?",
    ],
    "SCHOOL": [
        "She attends {SCHOOL}. Can I tell the DSL there?",
        "Can I share the referral with {SCHOOL}?",
        "he has just started at {SCHOOL} and the teacher saw bruises",
        "The SENCO at {SCHOOL} asked for our notes. Can I send them?",
    ],
    "DATE": [
        "DOB {DATE}, can I share her health records?",
        "The incident was on {DATE}. Is it too late to share?",
        "Child born {DATE}. Does the duty apply?",
        "We first saw the bruises on {DATE}, should I have shared then?",
    ],
    "NHS_NUMBER": ["NHS number {NHS_NUMBER}: can I send the GP letter to the school?",
                   "his nhs no is {NHS_NUMBER}, ok to share?"],
    "NI_NUMBER": ["Mum's NI number is {NI_NUMBER}, can housing have it?", "NI {NI_NUMBER} - do I include it in the referral?"],
    "POSTCODE": ["They live in {POSTCODE}. Which MASH do I contact?", "postcode {POSTCODE}, is that our area?"],
    "PHONE": ["Dad's number is {PHONE}. Can I give it to the police?", "ring me on {PHONE} about the referral please"],
    "EMAIL": ["Mum emailed me from {EMAIL}. Can I forward it to social care?", "can i send the notes to {EMAIL}?"],
}
DATE_FORMATS = [
    "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%Y-%m-%d", "%Y/%m/%d", "%d-%b-%Y", "%d-%b-%y",
    "%d %b %Y", "%d %B %Y", "{ord} %B %Y", "{ord} of %B %Y", "%B {ord}, %Y", "%B %d, %Y", "%b %d %Y", "%d/%b/%Y",
    "%d%m%Y", "{d}/{m}/%Y", "{ord} %B", "%d %B",
]
SCHOOL_FORMATS = [
    "{last} Primary School", "St {first}'s C of E Primary School", "{city} Academy", "{last} High School",
    "{first} {last} Academy", "{last} Park Nursery", "{city} Community College", "{last} Infant School",
    "St {first}'s RC Primary", "{last} Grammar School",
]
ROLES = ["teacher", "school nurse", "health visitor", "social worker", "GP", "youth worker", "police officer", "midwife",
         "family support worker", "childminder", "nursery practitioner", "DSL", "SENCO", "paediatrician",
         "housing officer", "early years worker", "school counsellor", "probation officer"]
AGENCIES = ["children's social care", "the police", "CAMHS", "the GP", "the school", "Early Help", "the MASH", "the LADO",
            "the health visiting team", "the local authority", "housing", "the school nurse", "the youth offending team"]
CONCERNS = ["bruises on his arm", "a burn on her hand", "not eating", "missing school", "self-harm", "going missing overnight",
            "an older boyfriend", "drugs at home", "domestic abuse at home", "being groomed online", "a gang",
            "poor hygiene", "a smell of alcohol", "marks on her legs", "sleeping in class", "being hit by dad",
            "sexual messages on her phone", "exploitation"]
RELATIVES = ["mum", "dad", "stepdad", "mum's new partner", "the grandparents", "the foster carer", "her older brother",
             "the aunt", "the parents", "the carer"]
AGES = ["3", "7", "9", "11", "13", "14", "15", "16", "17"]
CLEAN_TEMPLATES = """
Do I need {RELATIVE}'s consent before I share with {AGENCY}?
Can I share information about {RELATIVE} with {AGENCY}?
As a {ROLE}, when can I decide not to share?
A {AGE} year old told me about {CONCERN}. Who do I tell?
What should I record if I share without consent?
Does the duty apply if the child is {AGE}?
Can I tell {AGENCY} about {CONCERN} without telling the family?
Is it ok to email {AGENCY} about {CONCERN}?
I'm a {ROLE}. {RELATIVE} has asked me not to tell anyone about {CONCERN}. What now?
Do I have to tell the parents that I shared with {AGENCY}?
What if sharing would put the child at more risk?
Can I share with {AGENCY} before a section 47 enquiry?
How quickly do I need to share if I think the child is in danger?
What does para 11 say about consent?
Who decides what is proportionate?
Can I share the whole file or only some of it with {AGENCY}?
Should I check with my DSL before I call {AGENCY}?
Is the duty different in Wales?
What counts as a child for the duty?
Do I need a data sharing agreement to share with {AGENCY}?
The {ROLE} asked me for notes on {CONCERN}. Can I send them?
Does GDPR stop me sharing with {AGENCY}?
Can I share over WhatsApp or should I use secure email?
What if {RELATIVE} refuses consent?
Do I still share if the young person is {AGE} and says no?
What is the Information Sharing Duty?
Who is a relevant person under s16LA?
Do I need to tell the ICO if I share by mistake?
How long should I keep records of what I shared with {AGENCY}?
We had a strategy meeting on Monday. Can I share the minutes with {AGENCY}?
My manager says we can't share without consent. Is that right?
Can the police ask me for information about {CONCERN}?
Can I share if the Caldicott Guardian agrees?
Is there a difference between sharing and disclosing?
What do I do if {AGENCY} doesn't reply?
Is a {ROLE} covered by the duty?
Do I need to explain to the child why I'm sharing?
Can I share about an unborn baby?
What if I'm not sure {CONCERN} meets the threshold?
Does the duty cover sharing with Early Help?
Should I share when a {AGE} year old is in a relationship with an adult?
How do I record my decision not to share?
Can I share historical concerns about {RELATIVE} from years ago?
Is it safe to share with a school in another local authority?
Does the duty apply to private nurseries and childminders?
Do I tell the family before I make a referral to {AGENCY}?
What should I do if I think {CONCERN} is happening at home?
Does the guidance say anything about sharing with voluntary organisations?
Can I share a photo of the injury with {AGENCY}?
What if the child asks me to keep {CONCERN} a secret?
Our DSL is off sick. Who else can decide to share with {AGENCY}?
Do I need to share if {AGENCY} already knows?
Can I share with the Virtual School Head?
Can I share with Ofsted during an inspection?
Does consent have to be written down?
Can a {AGE} year old give consent to share?
Is it a breach of confidentiality to tell {AGENCY} about {CONCERN}?
What are the main points for a {ROLE}?
I shared with {AGENCY} on Friday and now {RELATIVE} is angry. Did I do the right thing?
When should I ask the DPO for advice?
What does safeguarding purposes mean in the guidance?
Do I need to share information about adults in the household?
Can I share mental health information about {RELATIVE}?
Should I share before or after talking to the child about {CONCERN}?
Can I share if the family moved away last month?
what if the child is already known to {AGENCY}
is a {ROLE} allowed to share without asking {RELATIVE}
"""


def nhs_number(rng: Any) -> str:
    """A ten-digit number that passes the NHS modulus-11 check."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def ordinal(day: int) -> str:
    return f"{day}{'th' if 10 <= day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


class Generator:
    """Fills templates with Faker en_GB details and records where each detail lands."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.rng = self.fake.random

    def detail(self, slot: str, date_format: str | None = None) -> tuple[str, str, str]:
        """(kind, form, text) for one slot; a DATE is written in `date_format` when given."""
        f, rng = self.fake, self.rng
        if slot == "NAME":
            return "NAME", "", f"{f.first_name()} {f.last_name()}"
        if slot == "FIRST":
            return "NAME", "", f.first_name()
        if slot == "LAST":
            return "NAME", "", f.last_name()
        if slot == "TITLE":  # the title itself is written before the slot
            return "NAME", "", rng.choice([f.last_name(), f"{f.first_name()} {f.last_name()}"])
        if slot == "ADDRESS":
            street = f.street_address().replace("\n", ", ")
            return "ADDRESS", "", rng.choice([street, f"{street}, {f.city()}"])
        if slot == "SCHOOL":
            pattern = rng.choice(SCHOOL_FORMATS)
            return "SCHOOL", pattern, pattern.format(first=f.first_name(), last=f.last_name(), city=f.city())
        if slot == "DATE":
            day = f.date_between(date(2005, 1, 1), date(2026, 6, 30))
            pattern = date_format or rng.choice(DATE_FORMATS)
            text = day.strftime(pattern.format(ord=ordinal(day.day), d=day.day, m=day.month))
            return "DATE", pattern, text.lower() if rng.random() < 0.1 else text
        if slot == "NHS_NUMBER":
            digits = nhs_number(rng)
            grouped = [f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}" for sep in (" ", "-")]
            return "NHS_NUMBER", "", rng.choice([digits, *grouped])
        if slot == "NI_NUMBER":
            # Faker's en_GB numbers all start ZZ (a placeholder prefix); half are written with a prefix HMRC issues.
            prefix = rng.choice(["AB", "CE", "JT", "NE", "PR", "SW", "WX", "YZ"])
            issued = f"{prefix}{f.numerify('######')}{rng.choice('ABCD')}"
            return "NI_NUMBER", "", rng.choice([f.ssn(), issued])
        if slot == "POSTCODE":
            code = f.postcode()
            return "POSTCODE", "", code.lower() if rng.random() < 0.2 else code
        if slot == "PHONE":
            return "PHONE", "", rng.choice([f.phone_number(), f.cellphone_number()])
        if slot == "EMAIL":
            return "EMAIL", "", rng.choice([f.email(), f.free_email()])
        raise ValueError(f"unknown slot {slot}")

    def fill(self, template: str, form: str = "", case: str = "", date_format: str | None = None) -> Item:
        text, spans = "", []
        for piece in re.split(r"(\{[A-Z_]+\})", template):
            if not (piece.startswith("{") and piece.endswith("}")):
                text += piece.lower() if case == "lower" else piece.upper() if case == "upper" else piece
                continue
            kind, detail_form, value = self.detail(piece[1:-1], date_format)
            if case in ("lower", "lower-slots"):
                value = value.lower()
            elif case in ("upper", "upper-slots"):
                value = value.upper()
            spans.append(Span(kind, form or detail_form, len(text), len(text) + len(value)))
            text += value
        return Item(text, spans)

    def clean(self, count: int) -> list[Item]:
        fillers = {"ROLE": ROLES, "AGENCY": AGENCIES, "CONCERN": CONCERNS, "RELATIVE": RELATIVES, "AGE": AGES}
        templates = [t for t in CLEAN_TEMPLATES.strip().splitlines() if t]
        seen: dict[str, Item] = {}
        while len(seen) < count:
            text = re.sub(r"\{([A-Z]+)\}", lambda m: self.rng.choice(fillers[m.group(1)]), self.rng.choice(templates))
            text = text[0].upper() + text[1:] if text[:1].islower() and self.rng.random() < 0.5 else text
            seen.setdefault(text.lower() if self.rng.random() < 0.15 else text, Item(text))
        return [Item(key) for key in seen][:count]


def make_set(seed: int, per_template: int = 10, clean: int = 240) -> list[Item]:
    """The questions for `seed`: each name template `per_template` times, other kinds alike, then `clean` clean ones."""
    gen = Generator(seed)
    items = [gen.fill(t, form, case) for form, t, case in NAME_TEMPLATES for _ in range(per_template)]
    for templates in OTHER_TEMPLATES.values():
        reps = max(1, per_template * 4 // len(templates))
        items += [gen.fill(t) for t in templates for _ in range(reps)]
    items += [gen.fill("Seen on {DATE}, can I share that?", date_format=f) for f in DATE_FORMATS for _ in range(per_template)]
    return items + gen.clean(clean)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEV_SEED)
    parser.add_argument("--out", help="write JSON lines here (default: print them)")
    args = parser.parse_args()
    lines = [json.dumps(asdict(item), ensure_ascii=False) for item in make_set(args.seed)]
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
