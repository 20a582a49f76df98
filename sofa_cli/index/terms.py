"""Numbering the terms of passages where they are parsed, and packing a document's passages
into the compact arrays the compiler appends (what crosses a worker's process boundary)."""

from __future__ import annotations

import array
import os
from typing import NamedTuple

from sofa_cli.corpus.segment import Passage
from sofa_cli.text.analysis import acronym_definitions, form_of, is_stopword, raw_tokens

_ITEM = array.array("i").itemsize  # bytes a term number takes in `TermNumberer.term_bytes`


class NewTerms(NamedTuple):
    """What a term numberer reports to the compiler (`TermNumberer.take_new`): acronyms
    defined, and the forms it numbered since its last report, in number order."""

    acronyms: dict[str, list[str]]
    source: tuple[int, int]
    forms: list[str]


class PackedDocument(NamedTuple):
    """One document's passages as compact arrays, relative to the document: what crosses
    a parse worker's process boundary to `Compiler.add`.

    Names (speakers, attributed people) are numbers into `names`; prompts are passage
    numbers within the document; tokens are the numberer's (`source`) form numbers.
    """

    text: bytes  # the passages' UTF-8 text, one after another
    text_end: array.array  # "q": where each passage's text ends in `text`
    numbers: array.array  # "i": each passage's paragraph number
    speakers: array.array  # "i": each passage's speaker in `names`, -1 for none
    prompts: array.array  # "i": the passage (of this document) each one answers, -1 for none
    sent_end: array.array  # "i": where each passage's sentences end in the sentence arrays
    s_start: array.array  # "i": each sentence's start in its passage's text
    s_end: array.array  # "i": each sentence's end
    s_attr: array.array  # "i": the person each sentence is attributed to in `names`, -1 for none
    names: list[str]
    tokens: array.array  # "i": every passage's form numbers, one passage after another
    p_len: array.array  # "i": how many of `tokens` each passage has
    source: tuple[int, int]  # the numberer whose form numbers `tokens` and `s_tokens` are
    s_tokens: array.array  # "i": every sentence's form numbers in order, one sentence after another
    s_len: array.array  # "i": how many of `s_tokens` each sentence has
    unstored: array.array  # "i": passages (of this document) whose sentences' terms are not stored


class TermNumberer:
    """Numbers the index terms of passages, analysing each distinct raw token once.

    A corpus repeats its words: at a million passages almost every token is a dict hit,
    and only a new raw token is normalised. Surface forms (stopwords left out) are
    numbered in this numberer's own order of first sight (`source` names that
    numbering), so a parse worker sends arrays of numbers, not strings; the compiler
    stems each form once for all workers (every worker used to stem the whole
    vocabulary) and maps the numbers to its term ids. `new_forms` lists the forms
    numbered since the last report, in number order.
    """

    def __init__(self) -> None:
        self.source = (os.getpid(), id(self))
        self.memo: dict[str, int] = {}  # raw token -> form number, 0 for a stopword
        self.chunks: dict[str, bytes] = {}  # text between whitespace -> its form numbers ("i" array bytes)
        self.numbers: dict[str, int] = {}  # form -> number (from 1)
        self.new_forms: list[str] = []
        self.acronyms: dict[str, list[str]] = {}
        self.people: dict[str, bytes] = {}  # the people of a passage -> their term numbers (bytes)

    def _miss(self, raw: str) -> int:
        form = form_of.__wrapped__(raw)  # `memo` holds it: form_of's own cache would be a second copy
        number = 0
        if form and not is_stopword(form):
            number = self.numbers.get(form, 0)
            if not number:
                number = self.numbers[form] = len(self.numbers) + 1
                self.new_forms.append(form)
        self.memo[raw] = number
        return number

    def term_bytes(self, text: str) -> bytes:
        """The term numbers of `text`'s tokens, stopwords left out, as the bytes of an "i" array.

        No token spans whitespace or depends on what lies beyond it, so the tokens of a
        text are those of its whitespace-separated chunks in turn; chunks repeat like
        words ("said", "said,"), so each is tokenized and looked up once, and a known
        text costs a split and one dict look-up per chunk. A chunk's numbers are kept as
        bytes, so a text's are one `bytes.join`, and a document's one array made from
        bytes: no int object per token, and no array built from a list of ints (each
        item parsed as a call argument: 15% of packing, counted by callgrind).
        """
        chunks = text.split()
        try:
            return b"".join(map(self.chunks.__getitem__, chunks))
        except KeyError:  # new chunks (in any order: form numbers are only names)
            if len(self.chunks) >= 1 << 21:
                self.chunks.clear()
            memo = self.memo
            for chunk in set(chunks).difference(self.chunks):
                raws = raw_tokens(chunk)
                self.chunks[chunk] = array.array(
                    "i", filter(None, [memo[r] if r in memo else self._miss(r) for r in raws])
                ).tobytes()
            return b"".join(map(self.chunks.__getitem__, chunks))

    def known_bytes(self, text: str) -> bytes | None:
        """The form numbers of `text`'s tokens in order (stopwords left out), as `term_bytes`
        gives them, but None rather than numbering a raw token this numberer has never met.

        For a sentence of a passage already numbered: its chunks are the passage's (cache
        hits), but a sentence that ends inside a chunk ("U.S.A" cut after "U.S.") can make a
        raw token the passage lacks; numbering it would add a form to the index's vocabulary,
        and change what questions match. Such a sentence is left to be tokenised at query time.
        """
        chunks = text.split()
        try:
            return b"".join(map(self.chunks.__getitem__, chunks))
        except KeyError:
            memo, out = self.memo, []
            for chunk in chunks:
                numbers = self.chunks.get(chunk)
                if numbers is None:
                    raws = raw_tokens(chunk)
                    if not all(r in memo for r in raws):
                        return None
                    numbers = array.array("i", filter(None, [memo[r] for r in raws])).tobytes()
                out.append(numbers)
            return b"".join(out)

    def passage_bytes(self, p: Passage) -> bytes:
        """A passage's term numbers: its text, the question it answers, the people it reports."""
        return self._with_extras(p, self.term_bytes(p.text))

    def passage_and_sentence_bytes(self, p: Passage) -> tuple[bytes, list[bytes | None]]:
        """`passage_bytes(p)`, and each sentence's `known_bytes` (None when a sentence
        cannot be numbered exactly), as bytes (`term_bytes`), from one split of each
        sentence instead of a split of the passage and another of each sentence (a third
        of the build's tokenising).

        Exact when every sentence starts and ends at whitespace (or the text's ends) and
        only whitespace lies outside the sentences: the passage's chunks are then the
        sentences' chunks in order, so its numbers are theirs joined, and every raw token
        of a sentence is one the passage numbered, so `known_bytes` would give the same.
        Any other passage (a span cutting "U.S.A.") takes the two separate passes.
        """
        text = p.text
        if not _clean_spans(text, p.sentences):
            numbers = self.term_bytes(text)
            return self._with_extras(p, numbers), [self.known_bytes(text[a:b]) for a, b in p.sentences]
        getitem = self.chunks.__getitem__
        sequences = []
        for a, b in p.sentences:
            words = text[a:b].split()
            try:
                sequences.append(b"".join(map(getitem, words)))
            except KeyError:
                sequences.append(self.term_bytes(text[a:b]))
        return self._with_extras(p, b"".join(sequences)), sequences

    def _with_extras(self, p: Passage, numbers: bytes) -> bytes:
        """`numbers` (the passage text's) with the acronyms it defines noted, and the
        numbers of its prompt and of the people it reports appended."""
        if "(" in p.text:
            self.acronyms.update(acronym_definitions(p.text))
        if p.prompt:
            numbers += self.term_bytes(p.prompt)
        # The people a passage reports are matched as if named in it: "he clarified" is Hornung's.
        if p.speaker is None and p.attributions.count(None) == len(p.attributions):
            return numbers  # no one reported (most passages of an article)
        people = sorted({who for who in (p.speaker, *p.attributions) if who})
        if people:
            joined = " ".join(people)
            known = self.people.get(joined)
            if known is None:
                if len(self.people) >= 1 << 12:  # (a worker's memory grew with the corpus: 65k of them, ~6 MB at 1M)
                    self.people.clear()
                known = self.people[joined] = self.term_bytes(joined)
            numbers += known
        return numbers

    def take_new(self) -> NewTerms:
        """The acronyms defined and the forms numbered (in number order) since the last
        call, with this numberer's `source`."""
        acronyms, self.acronyms = self.acronyms, {}
        forms, self.new_forms = self.new_forms, []
        return NewTerms(acronyms, self.source, forms)


def pack_document(passages: list[Passage], numberer: TermNumberer) -> PackedDocument:
    """One document's passages as the compiler's arrays, relative to the document.

    Made where the document is parsed (in a worker for a large corpus), so what crosses
    to the compiler is a few arrays, not passage objects and lists of term strings.
    Names are numbered in the order `Compiler.add` used to meet them (each passage's
    speaker, then its sentences' people), so the index's table of names keeps its order.
    The columns are gathered in lists and made arrays once per document: an array's
    append costs as much as a list's, and a passage has a dozen of them.
    """
    names: dict[str, int] = {}
    texts: list[bytes] = []
    columns: tuple[list[int], ...] = tuple([] for _ in range(10))
    text_end, speakers, prompts, sent_end, s_start, s_end, s_attr, p_len, s_len, unstored = columns
    token_bytes: list[bytes] = []  # each passage's term numbers (`TermNumberer.term_bytes`)
    s_token_bytes: list[bytes] = []  # each stored sentence's
    prompt_at: dict[str, int] = {}
    size = 0
    for n, p in enumerate(passages):
        encoded = p.text.encode("utf-8")
        texts.append(encoded)
        size += len(encoded)
        text_end.append(size)
        speakers.append(-1 if p.speaker is None else names.setdefault(p.speaker, len(names)))
        prompts.append(prompt_at.get(p.prompt, -1) if p.prompt else -1)
        prompt_at[p.text] = n
        spans = p.sentences
        for (a, b), who in zip(spans, p.attributions or (None,) * len(spans)):
            s_start.append(a)
            s_end.append(b)
            s_attr.append(-1 if who is None else names.setdefault(who, len(names)))
        sent_end.append(len(s_start))
        ids, sequences = numberer.passage_and_sentence_bytes(p)
        token_bytes.append(ids)
        p_len.append(len(ids) // _ITEM)
        # Each sentence's form numbers, which reranking reads instead of tokenising a hundred
        # candidates per question; when one sentence cannot be numbered exactly as a question
        # would tokenise it, none of the passage's are stored (empty) and it is listed.
        if None in sequences:
            unstored.append(n)
            s_len.extend([0] * len(spans))
        else:
            s_token_bytes += sequences
            s_len += [len(seq) // _ITEM for seq in sequences]
    return PackedDocument(
        b"".join(texts),
        array.array("q", text_end),
        array.array("i", [p.number for p in passages]),
        array.array("i", speakers),
        array.array("i", prompts),
        array.array("i", sent_end),
        array.array("i", s_start),
        array.array("i", s_end),
        array.array("i", s_attr),
        list(names),
        array.array("i", b"".join(token_bytes)),
        array.array("i", p_len),
        numberer.source,
        array.array("i", b"".join(s_token_bytes)),
        array.array("i", s_len),
        array.array("i", unstored),
    )


def _clean_spans(text: str, spans) -> bool:
    """Whether the sentence `spans` cut `text` only at whitespace: each starts at the text's
    start or after whitespace, ends at its end or before whitespace, and nothing but
    whitespace lies outside them (then the text's whitespace-separated chunks are the
    sentences' chunks, in order)."""
    if not spans:
        return not text.strip()
    end = 0
    last = len(text)
    for a, b in spans:
        if a < end or (a and not text[a - 1].isspace()) or (end < a and text[end:a].strip()):
            return False
        if b < last and not text[b].isspace():
            return False
        end = b
    return end == last or not text[end:].strip()
