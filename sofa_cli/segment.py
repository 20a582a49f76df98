"""Segmenting: a document becomes passages (paragraphs or speaker turns) with sentence spans.

Sentence splitting is nltk's Punkt with parameters supplied here, because the trained
`punkt` model is a data download that air-gapped machines cannot make. The abbreviation
list keeps "The U.S. has similar agreements" and "Dr. Tanaka said" in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sofa_cli.documents import Document, is_heading, speaker_of

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
    person each sentence reports (or None), parallel to `sentences`.
    """

    number: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    speaker: str | None = None
    prompt: str | None = None
    attributions: tuple[str | None, ...] = ()


@lru_cache(maxsize=1)
def _punkt():
    from sofa_cli.analysis import nltk_module

    punkt = nltk_module("nltk.tokenize.punkt")  # not `import nltk`: seconds and ~100 MB
    params = punkt.PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return punkt.PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of `text`; together with whitespace they cover it entirely."""
    if not text.strip():
        return ()
    spans = []
    for start, end in _punkt().span_tokenize(text):
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


def passages_of(doc: Document) -> list[Passage]:
    """Passages of a document, numbered from 1 in reading order; headings are not passages."""
    passages: list[Passage] = []
    last_turn: tuple[str, str] | None = None
    for block in doc.paragraphs():
        if is_heading(block):
            continue
        speaker = None
        text = block.strip()
        if doc.kind == "interview":
            turn = speaker_of(text)
            if turn:
                speaker, marker_end = turn
                text = text[marker_end:].strip()
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
            )
        )
    return passages
