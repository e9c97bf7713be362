"""Is the question a disclosure of harm or an urgent situation? Then the urgent notice shows.

Practitioners rarely write "disclosure": they write what the child said or what they saw
("her uncle touches her at night", "a burn the shape of an iron", "gets into cars with older
men"). So the check looks for the signs themselves, in everyday words, grouped by kind of
harm. It errs on the side of the notice: a false alarm costs one extra line, a miss could
cost far more. The word lists were written from the kinds of abuse, neglect, exploitation
and danger that safeguarding practice names, not from any evaluation question.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from assistant.search.index import LoadedIndex
    from assistant.settings import AnswerSettings

# Someone close to the child, or the child: who did it, or to whom.
_PERSON = (
    r"(him|her|them|me|us|the (child|kids?|baby|boy|girl|toddler)|his|their|(my|our) (pupil|patient|client)"
    r"|(his|her|their) (son|daughter|sister|brother|siblings?))"
)
# Each kind of harm: alternatives in everyday words, matched from a word boundary, case-insensitive.
_SIGNS: dict[str, tuple[str, ...]] = {
    "sexual abuse": (
        r"touch(es|ed|ing)? (him|her|them|me)\b(?! base)", r"touch(es|ed|ing)? (his|her|their) (private|bottom|chest|body)",
        r"private parts", r"(touch\w*|hurts?|sore|pain\w*) down there", r"sexual(ly)?\b", r"rap(e|ed|ing)\b",
        r"(?<!non-)molest\w*", r"(having|had|has) sex\b", r"indecent\w*", r"inappropriate(ly)? touch\w*",
        r"made (him|her|them) (watch|touch|undress)",
        r"(nude|naked|explicit|intimate) (photos?|pictures?|images?|selfies?|videos?)", r"nudes\b", r"sext\w*",
        r"groom(ed|ing|s)?\b", r"older (men|man|boys?|guys?)", r"(gets?|getting|got) into (cars|a car) with",
        r"(in|into) a car with (two |three |some |older |adult )?(men|man|guys?)",
        r"(men|man|guys?) in (his|their) [2-6]0s", r"(boyfriend|man|men)'? \(?(19|[2-6]\d)\)?", r"grown (man|men)",
        r"be nice to (his|their) (mates|friends)", r"delete (the|her|his|their|those) (chats|messages|texts)",
        r"sleeps? in (his|her|their) bed", r"(physical(ly)?|emotional(ly)?) abus\w*",
        r"(being|been|was|is|were|got) abused", r"abus(ing|es|ed) (him|her|them|me)", r"abusive (to|towards)", r"sex\b",
        r"abus(e|ed|ing|er|ers)\b", r"porn\w*", r"naked", r"older (boyfriend|lads?|males?)", r"touch(ed|ing)\b",
        r"inappropriate\w*", r"forced\b", r"pressur(e|ed|ing) (her|him|them) (into|to)",
        r"(pictures|photos|images|videos) of (her|him|them|themselves|herself|himself)", r"stranger\w*",
        r"meet (up )?(with )?(him|her|them|a man|an adult|older)",
    ),
    "physical harm": (
        r"bruis\w*", r"burn(s|t|ed)?\b", r"scald\w*", r"marks?\b", r"fractur\w*", r"blood\b", r"torn\b",
        r"cuts? (on|to|across)", r"wounds?\b", r"broken (arm|leg|bone|ribs?|wrist)", r"injur(y|ies|ed)",
        rf"(hits?|hitting|beats?|beating|beaten|punch\w*|kick\w*|slap\w*|whip\w*) {_PERSON}", r"strangl\w*",
        r"chok(ed|ing) (him|her|them)", r"belt\b", r"shak(en|ing|es) (the |a )?baby", r"bite marks?", r"black eye",
        r"hurt(s|ing)? (him|her|them|me)\b", r"(smacked|thrown|pushed) (him|her|them)", r"hurt\w*", r"injur\w*",
        r"assault\w*", r"hits\b", r"hitting", r"beat(s|en|ing)\b", r"punch\w*", r"kick(s|ed|ing)\b", r"slap\w*",
        r"smack\w*", r"bleed\w*", r"swollen", r"swelling", r"pinch\w*", r"grabb\w*", r"flinch\w*", r"unexplained",
        r"(explanation|story|account) (keeps changing|changed|doesn'?t (fit|match|add up))", r"scars?\b",
        r"scratch(es|ed)\b", r"welts?\b",
    ),
    "neglect": (
        r"no food", r"not (been )?(fed|eaten|eating)", r"hungry", r"starv\w*",
        r"(left|leaves|leaving) (alone|on (his|her|their) own|home alone)", r"home alone",
        r"(alone|on (his|her|their) own) (in|at) (the|a|their|his|her) (flat|house|home|car|room)",
        r"on (his|her|their) own (all|at) (day|night|evening)", r"(drove|driven|driving|drive) off with", r"slurring",
        r"barely (able to )?(stand|conscious|awake)", r"filthy", r"unwashed", r"head lice", r"no (heating|electricity|bed)",
        r"sleep(s|ing)? on the floor", r"(is|being|been|was) neglect\w*", r"neglected\b", r"signs of neglect", r"untreated",
        r"rotten teeth", r"soiled", r"dirty nappy", r"locked (in|out)", r"not (been )?(collected|picked up)", r"neglect\w*",
        r"lice\b", r"(left|leaves|leaving|was|were|is) (home )?alone\b", r"not (being )?(fed|washed)", r"kicked out",
        r"thrown out", r"sleeping rough", r"sofa[- ]surf\w*", r"underweight",
    ),
    "exploitation": (
        r"county lines", r"(carry|carries|carrying|holding|selling|dealing|running) (drugs|weed|packages|gear)",
        r"drug (runs?|debt)", r"traffick\w*", r"modern slavery", r"exploit\w*", r"forced (to|into|marriage)",
        r"married off", r"marry (him|her) off", r"FGM\b",
        r"cut(ting)?\b.{0,40}\b(abroad|holiday|ceremony|aunt|grandmother)", r"female genital", r"radicali\w*",
        r"extremis\w*", r"prevent referral", r"sextort\w*", r"blackmail\w*", r"money for (sex|photos|pictures)",
        r"gifts? from (an )?older", r"gangs?\b", r"drugs?\b(?! and alcohol)", r"missing (from|again|overnight|for)",
        r"groom\w*",
    ),
    "danger": (
        r"immediate(ly)? (danger|risk)", r"in danger", r"at risk (right )?now",
        r"(happening|with (him|her|them)) right now", r"tonight",
        r"(do(es)?n'?t|not|never) want(s)? to (be here|live|wake up|be alive|go on)", r"worked out how",
        r"not be here (any ?more|much longer)", r"(planning|plans|going) to '?get'? (him|her|them|a|an|the|that|this)\b",
        r"knows where (he|she|they) (lives?|walks?)", r"(fleeing|fled) (from )?(her|his|their|an?)",
        r"trying to find (them|her|him)", r"being (hurt|hit|abused|beaten|attacked)",
        r"(going|threaten\w*|plan\w*|wants?|want(ed)?) to (kill|hurt|harm|attack|die)",
        r"kill (him|her|them|my|your)sel\w*", r"suicid\w*", r"self[- ]harm\w*", r"cutting (him|her|them)sel\w*",
        r"overdos\w*", r"end (it all|(his|her|their|my) life)", r"bleeding", r"unconscious", r"weapon", r"knife", r"knives",
        r"machete", r"gun\b", r"missing (now|since|tonight|today)", r"ran away", r"run(ning)? away", r"won'?t go home",
        r"(scared|afraid|frightened|terrified) (to go home|of (him|her|them|dad|mum|his|her|their|my|the))",
        r"(saw|see|sees|seen|seeing|witness\w*|heard|hears) .{0,40}(hit|beat|attack|violen|hurt|DV\b|domestic)",
        r"(is|was|being|gets|got) violent", r"attack(ed|s)?\b", r"threaten\w*", r"drunk", r"high on",
        r"under the influence", r"will kill", r"kill\w*", r"dying\b", r"suicid\w*", r"self[- ]?harm\w*",
        r"cut(s|ting)? (herself|himself|themselves)", r"overdos\w*", r"threat\w*", r"violen\w*",
        r"(scared|afraid|frightened|terrified|petrified)\b", r"domestic (violence|abuse)",
        r"hang(ing)? (herself|himself|themselves)", r"police (were|was|got|had been) called",
    ),
    "a secret": (
        r"promise(d)? (not to|to not|i wouldn'?t|i won'?t) tell", r"(don'?t|not to) tell anyone",
        r"keep (it|this) (a )?secret", r"told me (that )?(his|her|their|my)", r"(disclosed|confided) (to me|that|in me)",
        r"made a disclosure", r"(child|she|he|pupil|patient|girl|boy) disclosed", r"confided", r"secret\b",
    ),
}
URGENT_SIGNS: dict[str, re.Pattern[str]] = {
    kind: re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE) for kind, words in _SIGNS.items()
}


def urgent_signs(question: str) -> list[str]:
    """The kinds of harm or danger the question shows signs of (empty when none)."""
    return [kind for kind, pattern in URGENT_SIGNS.items() if pattern.search(question)]


def is_urgent(question: str) -> bool:
    """Signs of harm in the words alone (the whole check when no labelled examples were built)."""
    return bool(urgent_signs(question))


def _nearest_mean(vectors: np.ndarray, vector: np.ndarray, k: int) -> float:
    sims = vectors @ vector
    return float(np.sort(sims)[-k:].mean())


def example_margin(index: LoadedIndex, vector: np.ndarray, k: int) -> float | None:
    """How much nearer the question is to the questions that disclose harm than to the ordinary ones
    (corpus/urgent_examples.yaml): the mean cosine of its k nearest of each, subtracted; None without examples."""
    if not len(index.urgent_vectors) or not len(index.ordinary_vectors):
        return None
    k = max(1, min(k, len(index.urgent_vectors), len(index.ordinary_vectors)))
    return _nearest_mean(index.urgent_vectors, vector, k) - _nearest_mean(index.ordinary_vectors, vector, k)


def reads_urgent(question: str, vector: np.ndarray, index: LoadedIndex, settings: AnswerSettings) -> bool:
    """A disclosure or urgent case: signs of harm in the words that the question's meaning bears out (it is
    nearer the labelled disclosures than the ordinary questions by `urgent_margin_signs`), or a question
    so near the disclosures (`urgent_margin`) that it needs no listed sign. Thresholds: scenario dev split."""
    margin = example_margin(index, vector, settings.urgent_k)
    if margin is None:
        return is_urgent(question)
    return margin >= settings.urgent_margin or (is_urgent(question) and margin >= settings.urgent_margin_signs)
