"""Attribution: who says what, sentence by sentence.

Interview turns belong to their speaker. In articles, a sentence reports a person when a
name is the subject of a reporting verb ("Hornung suggested that ...", "Jeffrey Hornung,
a senior political scientist at the Rand Corporation, highlighted ..."). A sentence that
goes on with "he clarified" or "She said" belongs to the last person named, carried over
paragraph breaks until another person is named, which is how news prose attributes a
quotation that follows its speaker's paragraph.

Names are canonicalised per document: "Hornung" after "Jeffrey Hornung" is the same person.
"""

from __future__ import annotations

import re

from sofa_cli.corpus.documents import Document
from sofa_cli.corpus.segment import Passage
from sofa_cli.text.places import PLACES

REPORTING_VERBS = (
    "said says say told tells suggested suggests suggest proposed proposes propose argued argues "
    "argue asserted asserts assert advised advises advise warned warns warn clarified clarifies "
    "emphasized emphasised emphasizes emphasises highlighted highlights noted notes welcomed "
    "welcomes explained explains added adds stated states claimed claims contended contends "
    "insisted insists recommended recommends urged urges cautioned cautions acknowledged "
    "acknowledges expressed expresses described describes criticized criticised criticizes "
    "called calls believes believed thinks thought questioned questions announced announces "
    "observed observes pointed points stressed stresses wrote writes predicted predicts "
    "perceives perceived displayed views viewed recalled recalls"
).split()

# Capitalised words that start sentences or name groups, not people; and places (a general
# list of countries, nationalities, cities and regions: "Japan said" reports no person).
NOT_NAMES = (
    frozenset(
        """
    The A An This That These Those It He She They We I You His Her Their Its Our Yet But And
    However Under In On At For From With After Before During Experts Expert Critics Officials
    Analysts Analyst Observers Sources Government Ministry Prime Minister President Secretary
    Mr Mrs Ms Dr Prof Gen Sen Rep Gov Chairman Chief Editor Some Many Most Several Both
    Republican Republicans Democrat Democrats Party Liberal Democratic Recalling
    """.split()
    )
    | PLACES
)
_TITLES = r"(?:(?:Mr|Mrs|Ms|Dr|Prof|Gen|Sen|Rep|Gov)\.?\s+|(?:Prime Minister|President|Chancellor|Secretary)\s+)"
_NAME = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]{2,})?"
_VERBS = "|".join(sorted(set(REPORTING_VERBS), key=len, reverse=True))
# Every match starts with a capital and a small letter (a title or a name); the look-ahead
# says so, and `re` then rejects most positions of a sentence at once instead of trying the
# titles and the name there: the same matches (tests/test_segment_fast.py), the pattern's
# search 2.5x faster.
_SUBJECT_RE = re.compile(
    rf"(?=[A-Z][a-z])(?:{_TITLES})?(?P<name>{_NAME}(?:\s+{_NAME}){{0,2}})"
    rf"(?:,[^,.;“”\"]{{3,120}},)?"
    rf"\s+(?:has\s+|had\s+|also\s+|openly\s+|repeatedly\s+|later\s+|then\s+|further\s+|have\s+)*"
    rf"(?:{_VERBS})\b"
)
_PRONOUN_RE = re.compile(rf"\b(?:he|she|He|She)\s+(?:(?:has|had|also|further|then|later)\s+)*(?:{_VERBS})\b")
_ANY_NAME_RE = re.compile(rf"(?:{_TITLES})?\b(?P<name>{_NAME}(?:\s+{_NAME}){{0,2}})")
# Both verb patterns end in a reporting verb after whitespace and before a word boundary,
# so a sentence without one of them as a run of [a-z] cannot match either (checked
# first: most sentences report no one, and the patterns cost far more than the check).
_VERB_WORDS = frozenset(REPORTING_VERBS)
_LOWER_RUN_RE = re.compile(r"[a-z]+")
# Every match of _ANY_NAME_RE starts with a capital and a small letter (a title or a name).
_CAPITAL_RE = re.compile(r"[A-Z][a-z]")


def _clean(name: str) -> str | None:
    """The name without the words that are not names (memoised: a corpus names the same
    people over and over, and this runs on every capitalised run of every passage)."""
    try:
        return _CLEANED[name]
    except KeyError:
        if len(_CLEANED) >= 1 << 16:
            _CLEANED.clear()
        words = [w for w in name.split() if w not in NOT_NAMES]
        # Keep the contiguous tail of the capitalised run: "Prime Minister Shigeru Ishiba" -> "Shigeru Ishiba".
        while words and words[0] in NOT_NAMES:
            words.pop(0)
        cleaned = _CLEANED[name] = " ".join(words) or None
        return cleaned


_CLEANED: dict[str, str | None] = {}


class _People:
    """Names seen in one document, so a surname resolves to the full name first given."""

    def __init__(self) -> None:
        self.full: dict[str, str] = {}
        self.names: set[str] = set()  # the values of `full`, for membership tests

    def canonical(self, name: str) -> str:
        last = name.split()[-1]
        if " " in name:
            if last not in self.full:
                self.full[last] = name
                self.names.add(name)
            return self.full[last]
        return self.full.get(last, name)


def _has_reporting_verb(sentence: str) -> bool:
    return not _VERB_WORDS.isdisjoint(_LOWER_RUN_RE.findall(sentence))


def _names_in(text: str):
    """`_ANY_NAME_RE.finditer(text)`, trying the pattern only where a match can start.

    The pattern begins with an optional title, so `re` cannot skip ahead to a capital on
    its own and tries it at every character; trying it only where a capital is followed by
    a small letter finds the same leftmost, non-overlapping matches at a fraction of the cost.
    """
    match_at = _ANY_NAME_RE.match
    end = 0
    for capital in _CAPITAL_RE.finditer(text):
        at = capital.start()
        if at >= end:
            match = match_at(text, at)
            if match:
                end = match.end()
                yield match


def _subject_speaker(sentence: str, people: _People) -> str | None:
    for match in _SUBJECT_RE.finditer(sentence):
        raw = match.group("name")
        if raw.split()[-1] in NOT_NAMES:
            continue
        name = _clean(raw)
        if name:
            return people.canonical(name)
    return None


def attribute(doc: Document, passages: list[Passage]) -> list[Passage]:
    """The passages with `attributions` filled in: one person (or None) per sentence."""
    if doc.kind == "interview":
        return [
            Passage(p.number, p.text, p.sentences, p.speaker, p.prompt, (p.speaker,) * len(p.sentences), p.role) for p in passages
        ]
    people = _People()
    found = []  # each passage's name matches: (start, end, cleaned name)
    for p in passages:
        names = [(match.start(), match.end(), _clean(match.group("name"))) for match in _names_in(p.text)]
        for _, _, name in names:
            if name and " " in name:
                people.canonical(name)
        found.append(names)
    current: str | None = None
    out = []
    for p, names in zip(passages, found):
        text = p.text
        who: list[str | None] = []
        open_quote: str | None = None
        for start, end in p.sentences:
            sentence = text[start:end]
            verb = _has_reporting_verb(sentence)
            speaker = _subject_speaker(sentence, people) if verb else None
            if open_quote and not speaker:
                speaker = open_quote  # the rest of a quotation that a previous sentence opened
            # Whether a quotation stays open matters only with a speaker to carry.
            open_quote = speaker if speaker and _opens_quote(sentence, open_quote is not None) else None
            if speaker:
                current = speaker
            elif verb and current and _PRONOUN_RE.search(sentence):
                speaker = current
            elif _names_someone_in(text, start, end, names, people, current is not None):
                current = None
            who.append(speaker)
        # The constructor rather than dataclasses.replace: the same Passage, at a third of the cost.
        out.append(Passage(p.number, text, p.sentences, p.speaker, p.prompt, tuple(who), p.role))
    return out


def _names_someone(sentence: str, people: _People) -> bool:
    """A sentence that names another person ends the carry-over of the last speaker."""
    for match in _names_in(sentence):
        name = _clean(match.group("name"))
        if name and match.start() > 0 and name.split()[-1] not in NOT_NAMES:
            if people.canonical(name) in people.names or " " in name:
                return True
    return False


def _names_someone_in(text: str, start: int, end: int, names: list, people: _People, carried: bool = True) -> bool:
    """`_names_someone(text[start:end], people)`, from the passage's matches of the name
    pattern (`names`) when they are the sentence's: none overlaps the sentence's ends and
    the sentence does not start just after a word character (the pattern's \\b would
    then differ). Otherwise the sentence is scanned again.

    With no speaker `carried`, the answer changes nothing, and from the passage's matches
    it has no effect either (their full names are already known), so it is not worked out;
    a scan of the sentence still is, as it may meet a full name first."""
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return _names_someone(text[start:end], people)
    inside = []
    for a, b, name in names:
        if b <= start:
            continue
        if a >= end:
            break
        if a < start or b > end:
            return _names_someone(text[start:end], people)
        inside.append((a, name))
    if not carried:
        return False
    for a, name in inside:
        if name and a > start and name.split()[-1] not in NOT_NAMES:
            if people.canonical(name) in people.names or " " in name:
                return True
    return False


def _opens_quote(sentence: str, inside: bool) -> bool:
    """Whether a quotation is still open at the end of `sentence`."""
    opening, closing = sentence.rfind("“"), sentence.rfind("”")
    if opening == closing:  # neither mark: as it was
        return inside
    return opening > closing
