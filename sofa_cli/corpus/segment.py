"""Segmenting: a document becomes passages (paragraphs or speaker turns) with sentence spans.

Sentence splitting is nltk's Punkt with parameters supplied here, because the trained
`punkt` model is a data download that air-gapped machines cannot make. The abbreviation
list keeps "The U.S. has similar agreements" and "Dr. Tanaka said" in one sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sofa_cli.corpus.documents import Document
from sofa_cli.corpus.paragraphs import is_heading, turn_of

ABBREVIATIONS = frozenset(
    """
    u.s u.k u.n e.u u.s.a mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep pres
    st jr sr rev hon inc corp co ltd llc no nos vs etc e.g i.e cf al fig approx dept est
    jan feb mar apr jun jul aug sep sept oct nov dec mt ft
    """.split()
)


@dataclass(frozen=True)
class Passage:
    """A unit of retrieval: an article paragraph or an interview turn.

    `sentences` are (start, end) character spans in `text`; `prompt` is the interviewer's
    question an answer turn replies to (matched, not shown); `attributions` gives the
    person each sentence reports (or None), parallel to `sentences`; `role` is the job title
    a transcript's label gave the speaker ("Baker" in "Baker Tomas Eid:"). The index keeps it
    per document (`DocInfo.roles`); a passage read back from it has `StoredPassage.role`.
    """

    number: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    speaker: str | None = None
    prompt: str | None = None
    attributions: tuple[str | None, ...] = ()
    role: str | None = None


@lru_cache(maxsize=1)
def _punkt():
    from sofa_cli.text.analysis import nltk_module

    punkt = nltk_module("nltk.tokenize.punkt")  # not `import nltk`: seconds and ~100 MB
    params = punkt.PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return punkt.PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of `text`; together with whitespace they cover it entirely."""
    if not text.strip():
        return ()
    return _closing_quotes(text, _punkt_spans(text))


def punkt_sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """`sentence_spans` by nltk's own Punkt code: the reference `_punkt_spans` must equal."""
    if not text.strip():
        return ()
    return _closing_quotes(text, list(_punkt().span_tokenize(text)))


def _closing_quotes(text: str, punkt_spans) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for start, end in punkt_spans:
        # Punkt keeps a closing quote after the period with the next sentence.
        while end < len(text) and text[end] in "”\"’'" and (end + 1 == len(text) or text[end + 1].isspace()):
            end += 1
        if spans and start < spans[-1][1]:
            start = spans[-1][1]
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            spans.append((start, end))
    return tuple(spans)


# -- Punkt, fast ------------------------------------------------------------------------
#
# nltk's PunktSentenceTokenizer.span_tokenize, step for step, with the costly part made
# cheap: for every candidate end (".", "?" or "!" before whitespace or punctuation) Punkt
# decides `text_contains_sentbreak(context)` by building PunktToken objects for the word
# before and the token after. With our parameters (abbreviations only: no ortho context,
# collocations or sentence starters) that decision reduces to a few rules when the context
# is plain, decided in `_decide`; any other context goes to Punkt itself (memoised). The
# candidates, slices and realignment of closing punctuation are Punkt's, with Punkt's
# compiled patterns. bench/segment_equivalence.py and tests/test_segment.py check the
# result equals Punkt's.

_STRING_WHITESPACE = " \t\n\r\x0b\x0c"  # Punkt's `string.whitespace` for the word before a candidate
# One Punkt token, ASCII letters and digits joined by single hyphens or periods ("ex-Gov",
# "U.S"): no "--" or ".." (multi-character punctuation), nothing that splits tokens.
_PLAIN_WORD = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_PLAIN_NEXT = re.compile(r"[^.?!]+|[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*\.")  # cannot hold a sentence break
_NUMERIC = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")  # PunktToken._RE_NUMERIC
_CLOSERS = "\"')]}\u2018\u2019\u201c\u201d\xab\xbb"  # what re_boundary_realignment can begin with


@lru_cache(maxsize=1)
def _punkt_parts():
    punkt = _punkt()
    lang = punkt._lang_vars
    period, realign = lang.period_context_re(), lang.re_boundary_realignment
    # nltk wraps its `regex` patterns for a timeout per call: use the patterns themselves.
    period, realign = getattr(period, "_rx", period), getattr(realign, "_rx", realign)
    return _as_re(period).finditer, realign.match, lru_cache(maxsize=1 << 16)(punkt.text_contains_sentbreak)


def _as_re(pattern):
    """Punkt's candidate pattern compiled by `re` rather than the `regex` module: its finditer,
    and the match objects `_punkt_spans` and `_decide` read, cost half as much. The two
    modules' \\s differ only on U+001C-U+001F (whitespace to `re` and `str.isspace`, not to
    `regex`), so those are taken out of \\s and into \\S; the same candidates on every code
    point (tests/test_segment_fast.py). A pattern of another nltk is used as it is."""
    source = getattr(pattern, "pattern", None)
    plain = r"\s+(?P<next_tok>\S+)"
    if not isinstance(source, str) or source.count(plain) != 1 or "\\s" in source.lower().replace(plain.lower(), ""):
        return pattern
    try:
        return re.compile(source.replace(plain, r"[^\S\x1c-\x1f]+(?P<next_tok>[\S\x1c-\x1f]+)"), re.VERBOSE)
    except re.error:
        return pattern


def _punkt_spans(text: str) -> list[tuple[int, int]]:
    """nltk's `PunktSentenceTokenizer.span_tokenize(text)` with our parameters."""
    finditer, realign_match, contains_sentbreak = _punkt_parts()
    # _match_potential_end_contexts: each candidate with the start of the word before it
    # (after the last `string.whitespace` since the previous candidate); a candidate whose
    # word overlaps the next candidate's is dropped ("acting!!!"). Each candidate is
    # decided (_slices_from_text) as soon as the next one shows it is not dropped.
    only_spaces = not ("\n" in text or "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text)
    slices = []
    last_break = 0
    previous, word_start, word_end = None, 0, 0
    for match in [*finditer(text), None]:
        if match is not None:
            at = match.start()
            if only_spaces:
                space = text.rfind(" ", word_end, at)
            else:
                space = max([text.rfind(c, word_end, at) for c in _STRING_WHITESPACE])
            start = space + 1 if space > word_end else word_start
            if previous is None or word_end > start:
                previous, word_start, word_end = match, start, at
                continue
        if previous is None:
            break
        decision = _decide(text, previous, word_start)
        if decision is None:
            decision = contains_sentbreak(text[word_start : previous.end()] + previous.group("after_tok"))
        if decision:
            slices.append((last_break, previous.end()))
            last_break = previous.start("next_tok") if previous.group("next_tok") else previous.end()
        if match is None:
            break
        previous, word_start, word_end = match, start, at
    slices.append((last_break, len(text.rstrip())))
    if len(slices) == 1:
        return slices if last_break < slices[0][1] else []
    # _realign_boundaries: closing punctuation (and the space after it) that begins the
    # next slice joins the previous one.
    spans = []
    realign = 0
    last = len(slices) - 1
    for n, (start, end) in enumerate(slices):
        start += realign
        if n == last:
            if start < end:
                spans.append((start, end))
            break
        next_start, next_end = slices[n + 1]
        moved = None
        if next_start < next_end and text[next_start] in _CLOSERS:
            moved = realign_match(text[next_start:next_end])
        if moved:
            spans.append((start, next_start + len(moved.group(0).rstrip())))
            realign = moved.end()
        else:
            realign = 0
            if start < end:
                spans.append((start, end))
    return spans


def _decide(text: str, match, start: int) -> bool | None:
    """Punkt's `text_contains_sentbreak` for a plain candidate context, else None.

    The context is the word before the candidate, the candidate, and either one closing
    punctuation mark or whitespace and the next whitespace-free token. It holds a break
    when a token other than the last is a sentence break after Punkt's two passes.
    """
    next_tok = match.group("next_tok")
    if next_tok is not None and next_tok.isspace():
        return None  # only Python's whitespace (U+001C-U+001F): Punkt drops the line
    at = match.start()
    if text[at] != ".":
        return True  # "?" and "!" are always their own token and a break, and a token follows
    word = text[start:at]
    if not _PLAIN_WORD.fullmatch(word) or (next_tok is not None and not _PLAIN_NEXT.fullmatch(next_tok)):
        return None
    lower = word.lower()
    if lower in ABBREVIATIONS or lower.rsplit("-", 1)[-1] in ABBREVIATIONS:
        return False  # an abbreviation: with no ortho context nothing makes it a break again
    initial = len(word) == 1 and word.isalpha()
    if not initial and not _NUMERIC.match(word + "."):
        return True
    # An initial or a number: not a break before punctuation or a lower-case word ("in
    # 1990. the"); an initial is not one before an upper-case word either ("J. Smith").
    first = (next_tok or match.group("after_tok"))[0]
    if first in ";:,.!?" or first.islower():
        return False
    return not (initial and first.isupper())


def passages_of(doc: Document) -> list[Passage]:
    """Passages of a document, numbered from 1 in reading order; headings are not passages."""
    passages: list[Passage] = []
    last_turn: tuple[str, str] | None = None
    for block in doc.paragraphs():
        if is_heading(block):
            continue
        speaker = role = None
        text = block.strip()
        if doc.kind == "interview":
            turn = turn_of(text)
            if turn:
                speaker, role = turn.speaker, turn.role
                text = text[turn.end :].strip()
        if not text:
            continue
        prompt = None
        if speaker and last_turn and last_turn[0] != speaker and "?" in last_turn[1]:
            prompt = last_turn[1]
        if speaker:
            last_turn = (speaker, text)
        sentences = sentence_spans(text)
        passages.append(
            Passage(
                number=len(passages) + 1,
                text=text,
                sentences=sentences,
                speaker=speaker,
                prompt=prompt,
                attributions=(speaker,) * len(sentences),
                role=role,
            )
        )
    return passages
