"""The persisted index: passages, sentence spans, attributions and compiled BM25 postings.

One file per corpus folder in the cache folder (keyed by the folder's absolute path).
It records each corpus file's size and mtime, so `open_index` notices a file added,
changed or removed and rebuilds, reparsing only the files that changed.

The index also stores every surface form of the corpus vocabulary with its stem, so a
query made of corpus words is analysed without importing nltk.
"""

from __future__ import annotations

import array
import heapq
import json
import os
import sys
import time
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from sofa_cli import __version__, bm25
from sofa_cli.analysis import acronym_definitions, form_of, is_stopword, normalise_form, raw_tokens, stem
from sofa_cli.documents import CorpusError, Document, Skipped, discover, fingerprints, load_file
from sofa_cli.stopwords import STOPWORDS
from sofa_cli.store import IndexFile, IndexFileError, NewerFormatError, OlderFormatError, write_index
from sofa_cli.synonyms import SYNONYM_GROUPS

if TYPE_CHECKING:
    from sofa_cli.segment import Passage

INDEX_FILE = "index.sofa"
LOCK_FILE = "index.lock"
# Bump when analysis, segmentation or attribution change what an index holds: an index
# built by another version is then rebuilt even if no corpus file changed.
ANALYSIS_VERSION = 4
ANALYSIS_ID = (
    f"{__version__}/{ANALYSIS_VERSION}/{zlib.crc32(' '.join(sorted(STOPWORDS)).encode()):08x}"
    f"/{zlib.crc32(repr(SYNONYM_GROUPS).encode()):08x}"
)
# A query whose terms have more postings than this is scored with numpy; below it, pure
# Python is faster than importing numpy (~55 ms), which a small corpus never needs. Once
# numpy is imported (a long session, a large index), it pays from far fewer postings.
NUMPY_POSTINGS = 50_000
NUMPY_LOADED_POSTINGS = 1_000
# Corpus text beyond this size is parsed (read, segmented, attributed) by worker processes,
# one per core; below it, starting them costs more than it saves.
PARALLEL_BYTES = 8 * 1024 * 1024
# Postings are counted with numpy every this many tokens, so memory stays bounded; a
# chunk is counted while the workers go on parsing, so only the last one (at most this
# size) is counted after them (the postings do not depend on where chunks end).
TOKEN_CHUNK = 2_000_000
# Impacts are computed this many postings at a time (bounds the temporaries).
IMPACT_BLOCK = 4_000_000
# Typo correction scans the corpus forms in Python up to this many; beyond, numpy first
# narrows them with per-form character counts (HIST_BINS buckets, in the index).
FORM_SCAN = 5_000
HIST_BINS = 32


@dataclass(frozen=True)
class DocInfo:
    id: str
    path: str
    title: str
    kind: str
    source: str | None
    author: str | None
    date: str | None
    url: str | None
    first_passage: int
    passage_count: int


@dataclass(frozen=True)
class StoredPassage:
    """A passage as the index holds it; `pid` is its position in the whole index."""

    pid: int
    doc: DocInfo
    number: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    speaker: str | None
    attributions: tuple[str | None, ...]
    prompt_pid: int


@dataclass
class BuildReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"
            f" ({self.documents} documents, {self.passages} passages, {self.seconds:.2f}s)"
        )


class _Docs(Sequence):
    """The documents of an index, decoded one at a time from the mapped file.

    At a million passages there are tens of thousands of documents: decoding them all
    would cost more than a whole one-shot answer, which needs only the few it cites.
    """

    def __init__(self, blob: memoryview, offsets: memoryview, first: memoryview) -> None:
        self._blob, self._off, self._first = blob, offsets, first
        self._cache: dict[int, DocInfo] = {}
        self._by_id: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._off) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        info = self._cache.get(i)
        if info is None:
            record = json.loads(bytes(self._blob[self._off[i] : self._off[i + 1]]))
            first = self._first[i]
            info = self._cache[i] = DocInfo(**record, first_passage=first, passage_count=self._first[i + 1] - first)
        return info

    def find(self, doc_id: str) -> DocInfo | None:
        if self._by_id is None:
            self._by_id = {d.id: n for n, d in enumerate(self)}
        n = self._by_id.get(doc_id)
        return None if n is None else self[n]


class Index:
    """Read access to an index file; everything is looked up lazily from the mapped arrays."""

    def __init__(self, path: Path, verify: bool | None = None) -> None:
        self.path = path
        self.file = IndexFile(path, verify=verify)
        h = self.file.header
        s = self.file.section
        try:
            self.corpus = h["corpus"]
            self.variant = h["variant"]
            self.avgdl = h["avgdl"]
            self.files = h["files"]
            self.names: list[str] = h["names"]
            self.acronyms: dict[str, list[str]] = h.get("acronyms", {})
            self.synonym_groups: list[dict[str, str]] = h.get("synonyms", [])
            self.docs = _Docs(self.file.raw("doc_blob"), s("doc_off"), s("doc_first"))
            self.text_blob = self.file.raw("text")
            self.text_off = s("text_off")
            self.p_doc, self.p_num, self.p_speaker = s("p_doc"), s("p_num"), s("p_speaker")
            self.p_prompt, self.p_sent = s("p_prompt"), s("p_sent")
            self.s_start, self.s_end, self.s_attr = s("s_start"), s("s_end"), s("s_attr")
            self.term_blob, self.term_off = self.file.raw("term_blob"), s("term_off")
            self.form_blob, self.form_off = self.file.raw("form_blob"), s("form_off")
            self.form_term = s("form_term")
            sections = self.file.header["sections"]
            # Hash tables of the two vocabularies (absent from indexes built before them:
            # then the sorted tables are binary-searched, with the same answers).
            self.term_hash = s("term_hash") if "term_hash" in sections else None
            self.form_hash = s("form_hash") if "form_hash" in sections else None
            self.idf, self.post_off = s("idf"), s("post_off")
            self.post_pid, self.post_w = s("post_pid"), s("post_w")
        except (KeyError, TypeError) as err:
            raise IndexFileError(f"index is missing {err}") from err
        self.n_passages = len(self.p_doc)
        self.n_terms = len(self.idf)
        # Vocabulary look-ups go through hash tables in the mapped file; a question and the
        # passages it ranks repeat words, so each answer is kept.
        self._term_ids: dict[str, int | None] = {}
        self._stems: dict[str, str | None] = {}
        self._form_tids: dict[str, int | None] = {}
        self._arrays: dict[str, object] = {}

    # -- passages -------------------------------------------------------------------
    def passage(self, pid: int) -> StoredPassage:
        a, b = self.p_sent[pid], self.p_sent[pid + 1]
        speaker_id = self.p_speaker[pid]
        return StoredPassage(
            pid=pid,
            doc=self.docs[self.p_doc[pid]],
            number=self.p_num[pid],
            text=self.passage_text(pid),
            sentences=tuple(zip(self.s_start[a:b], self.s_end[a:b])),
            speaker=self.names[speaker_id] if speaker_id >= 0 else None,
            attributions=tuple(self.names[x] if x >= 0 else None for x in self.s_attr[a:b]),
            prompt_pid=self.p_prompt[pid],
        )

    def passage_text(self, pid: int) -> str:
        return bytes(self.text_blob[self.text_off[pid] : self.text_off[pid + 1]]).decode("utf-8")

    def doc_by_id(self, doc_id: str) -> DocInfo | None:
        return self.docs.find(doc_id)

    # -- vocabulary -----------------------------------------------------------------
    def term_id(self, term: str) -> int | None:
        try:
            return self._term_ids[term]
        except KeyError:
            tid = self._term_ids[term] = _find(self.term_hash, self.term_blob, self.term_off, term.encode("utf-8"))
            return tid

    def is_number(self, tid: int) -> bool:
        """Whether a term is a number ("118", "14000", "four")."""
        memo = self.__dict__.setdefault("_numbers", {})
        value = memo.get(tid)
        if value is None:
            term = self.term(tid)
            value = memo[tid] = term[:1].isdigit() or term in _NUMBER_WORDS
        return value

    def synonyms_of(self, term: str) -> dict[str, str]:
        """Stems that share a synonym group with `term` (see sofa_cli.synonyms), each with a
        word it stands for; the corpus need not hold them, nor `term`."""
        by_term = self.__dict__.get("_synonyms")
        if by_term is None:
            by_term = self._synonyms = {}
            for group in self.synonym_groups:
                for t in group:
                    by_term.setdefault(t, {}).update(group)
        return {s: w for s, w in by_term.get(term, {}).items() if s != term}

    def term(self, tid: int) -> str:
        return bytes(self.term_blob[self.term_off[tid] : self.term_off[tid + 1]]).decode("utf-8")

    def stem_of(self, form: str) -> str | None:
        """The stem of a corpus word form, without nltk; None for a form the corpus lacks."""
        try:
            return self._stems[form]
        except KeyError:
            pass
        i = _find(self.form_hash, self.form_blob, self.form_off, form.encode("utf-8"))
        if i is None:
            term = None
        else:
            tid = self.form_term[i]
            term = self.term(tid)
            self._term_ids[term] = tid
        self._stems[form] = term
        return term

    def term_of_form(self, form: str) -> int | None:
        """The term id of a corpus word form (None for a form the corpus lacks): reranking's
        look-up, once per distinct word of the candidates, with no term string decoded."""
        try:
            return self._form_tids[form]
        except KeyError:
            i = _find(self.form_hash, self.form_blob, self.form_off, form.encode("utf-8"))
            tid = self._form_tids[form] = None if i is None else self.form_term[i]
            return tid

    def form_candidates(self, form: str, limit: int) -> Iterable[int]:
        """Numbers of the corpus forms that may lie within `limit` edits of `form`.

        A necessary condition only (callers measure the distance): the UTF-8 length differs
        by at most 4 bytes an edit and, for large vocabularies, the bag of characters by at
        most `limit` in each direction (one edit changes each side's surplus by at most
        one), checked for every form at once against the `form_hist` section: scanning
        100,000 forms with an edit distance in Python would take seconds.
        """
        n = len(self.form_off) - 1
        size = len(form.encode("utf-8"))
        if n <= FORM_SCAN or "form_hist" not in self.file.header["sections"]:
            off = self.form_off
            return (i for i in range(n) if abs((off[i + 1] - off[i]) - size) <= 4 * limit)
        import numpy as np

        hist = self._array("form_hist").reshape(n, HIST_BINS)
        wanted = np.frombuffer(_char_hist(form), dtype=np.uint8).astype(np.int16)
        chars = self._arrays.get("form_chars")
        if chars is None:
            chars = self._arrays["form_chars"] = hist.sum(1, dtype=np.int16)
        # The character counts differ by at most `limit` (a cheap first cut), then the bags.
        rows = np.flatnonzero(np.abs(chars - int(wanted.sum())) <= limit)
        diff = hist[rows].astype(np.int16) - wanted
        ok = (np.maximum(diff, 0).sum(1) <= limit) & (np.maximum(-diff, 0).sum(1) <= limit)
        return rows[ok].tolist()

    def doc_freq(self, tid: int) -> int:
        return self.post_off[tid + 1] - self.post_off[tid]

    # -- scoring --------------------------------------------------------------------
    def bm25(self, term_ids: Iterable[int], top: int | None = None) -> dict[int, float]:
        """BM25 scores (the model's exact values) of the passages matching any of `term_ids`.

        Repeated ids count again, as rank-bm25 does with repeated query tokens. With `top`,
        only the `top` best passages (ties broken by passage id), which is all a ranking
        needs and, at a million passages, far cheaper than a dict of every match.
        """
        term_ids = list(term_ids)
        base = sum(bm25.constant(self.variant, self.idf[t]) for t in term_ids)
        postings = sum(self.doc_freq(t) for t in term_ids)
        if postings > NUMPY_POSTINGS or (postings > NUMPY_LOADED_POSTINGS and "numpy" in sys.modules):
            return self._bm25_numpy(term_ids, base, top)
        scores: dict[int, float] = {}
        get = scores.get
        for tid in term_ids:
            a, b = self.post_off[tid], self.post_off[tid + 1]
            for pid, w in zip(self.post_pid[a:b], self.post_w[a:b]):
                scores[pid] = get(pid, 0.0) + w
        if base:
            for pid in scores:
                scores[pid] += base
        if top is not None and len(scores) > top:
            best = heapq.nsmallest(top, scores.items(), key=lambda kv: (-kv[1], kv[0]))
            scores = dict(best)
        return scores

    def impact(self, tid: int, pid: int) -> float:
        """The term's impact on one passage (0.0 when absent), by binary search of its postings."""
        a, b = self.post_off[tid], self.post_off[tid + 1]
        i = bisect_left(self.post_pid, pid, a, b)
        return self.post_w[i] if i < b and self.post_pid[i] == pid else 0.0

    def occurs_between(self, tid: int, first_pid: int, end_pid: int) -> bool:
        """Whether the term occurs in any passage first_pid <= pid < end_pid (e.g. one document's)."""
        a, b = self.post_off[tid], self.post_off[tid + 1]
        i = bisect_left(self.post_pid, first_pid, a, b)
        return i < b and self.post_pid[i] < end_pid

    def _array(self, name: str):
        """A section as a numpy array over the mapping (no copy)."""
        arr = self._arrays.get(name)
        if arr is None:
            import numpy as np

            dtype = np.dtype(self.file.header["sections"][name][1]).newbyteorder("<")
            arr = self._arrays[name] = np.frombuffer(self.file.raw(name), dtype=dtype)
        return arr

    def _bm25_numpy(self, term_ids: list[int], base: float, top: int | None) -> dict[int, float]:
        """The same sums as the pure path, in the same order (so the same floats), vectorised.

        np.bincount adds each passage's weights in input order, term by term, exactly as
        the dict loop does; the per-term constant is added last, as there.
        """
        import numpy as np

        post_pid, post_w = self._array("post_pid"), self._array("post_w")
        spans = [(self.post_off[t], self.post_off[t + 1]) for t in term_ids]
        pids = np.concatenate([post_pid[a:b] for a, b in spans])
        weights = np.concatenate([post_w[a:b] for a, b in spans])
        if len(pids) * 4 < self.n_passages:
            matched, where = np.unique(pids, return_inverse=True)
            scores = np.bincount(where.ravel(), weights=weights)
        else:
            dense = np.bincount(pids, weights=weights, minlength=self.n_passages)
            matched = np.flatnonzero(np.bincount(pids, minlength=self.n_passages))
            scores = dense[matched]
        if base:
            scores += base
        if top is not None and len(scores) > top:
            keep = _top_positions(np, scores, top)
            matched, scores = matched[keep], scores[keep]
        return dict(zip(matched.tolist(), scores.tolist()))

    def impacts(self, tid: int) -> dict[int, float]:
        a, b = self.post_off[tid], self.post_off[tid + 1]
        return dict(zip(self.post_pid[a:b], self.post_w[a:b]))


def _top_positions(np, scores, top: int):
    """Positions of the `top` highest scores; among equal scores the lowest positions
    (passage ids are sorted), which is the order `sorted(key=(-score, pid))` gives."""
    part = np.argpartition(-scores, top - 1)[:top]
    threshold = scores[part].min()
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)[: top - len(above)]
    return np.concatenate([above, ties])


def _char_hist(form: str) -> bytes:
    """Counts of a form's characters in HIST_BINS buckets (merging characters can only
    hide differences, so the edit-distance bound stays a necessary condition)."""
    counts = [0] * HIST_BINS
    for ch in form:
        counts[ord(ch) % HIST_BINS] += 1
    return bytes(min(c, 255) for c in counts)


def _hash_table(strings: list[str]):
    """Open addressing over `strings` (slot -> position, -1 empty), keyed by CRC-32.

    A look-up is one checksum and usually one comparison, against some twenty slices of
    the mapped blob for a binary search: reranking looks up every word of a hundred
    passages, so that was a fifth of a one-shot answer at 100,000 passages.
    """
    size = 1 << max(3, (2 * len(strings)).bit_length())
    mask = size - 1
    table = array.array("i", [-1]) * size
    slots = [zlib.crc32(s.encode("utf-8")) & mask for s in strings]
    for position, slot in enumerate(slots):
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = position
    return table


def _find(table: memoryview | None, blob: memoryview, offsets: memoryview, key: bytes) -> int | None:
    """Position of `key` in a string table: through its hash table when the index has one."""
    if table is None:
        return _lookup(blob, offsets, key)
    mask = len(table) - 1
    slot = zlib.crc32(key) & mask
    while (i := table[slot]) >= 0:
        if blob[offsets[i] : offsets[i + 1]] == key:
            return i
        slot = (slot + 1) & mask
    return None


def _char_hists(forms: list[str]) -> bytes:
    """`b"".join(map(_char_hist, forms))`, counted by numpy for the whole vocabulary at once."""
    import numpy as np

    try:
        codes = np.frombuffer("".join(forms).encode("utf-32-le"), dtype="<u4")
    except UnicodeEncodeError:  # a lone surrogate: one form at a time
        return b"".join(map(_char_hist, forms))
    lengths = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
    owner = np.repeat(np.arange(len(forms), dtype=np.int64), lengths)
    counts = np.bincount(owner * HIST_BINS + codes % HIST_BINS, minlength=len(forms) * HIST_BINS)
    return np.minimum(counts, 255).astype(np.uint8).tobytes()


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenti thirti forti fifti sixti seventi eighti nineti hundr thousand million billion dozen".split()
)


def synonym_groups() -> list[dict[str, str]]:
    """Each synonym group as stem -> the first of its words with that stem (for saying which
    word stood in), for groups of two stems or more. Stored whole in the index: a question
    word the corpus lacks is looked up in them too, and the query path has no stemmer."""
    groups = []
    for group in SYNONYM_GROUPS:
        words: dict[str, str] = {}
        for word in group:
            words.setdefault(stem(normalise_form(word)), word)
        if len(words) > 1:
            groups.append(words)
    return groups


def _lookup(blob: memoryview, offsets: memoryview, key: bytes) -> int | None:
    """Binary search of `key` in a blob of byte-sorted strings."""
    n = len(offsets) - 1
    i = bisect_left(range(n), key, key=lambda j: bytes(blob[offsets[j] : offsets[j + 1]]))
    if i < n and bytes(blob[offsets[i] : offsets[i + 1]]) == key:
        return i
    return None


# -- building ---------------------------------------------------------------------------


def _fingerprint(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


_parse_attribute: Callable | None = None


class _Analyser:
    """Index terms of passages, analysing each distinct raw token once.

    A corpus repeats its words: at a million passages almost every token is a dict hit,
    and only a new raw token is normalised. Surface forms (stopwords left out) are
    numbered in this analyser's own order of first sight (`source` names that
    numbering), so a parse worker sends arrays of numbers, not strings; the compiler
    stems each form once for all workers (every worker used to stem the whole
    vocabulary) and maps the numbers to its term ids. `new_forms` lists the forms
    numbered since the last report, in number order.
    """

    def __init__(self) -> None:
        self.source = (os.getpid(), id(self))
        self.memo: dict[str, int] = {}  # raw token -> form number, 0 for a stopword
        self.chunks: dict[str, tuple[int, ...]] = {}  # text between whitespace -> its form numbers
        self.numbers: dict[str, int] = {}  # form -> number (from 1)
        self.new_forms: list[str] = []
        self.acronyms: dict[str, list[str]] = {}
        self.people: dict[str, list[int]] = {}  # the people of a passage -> their term numbers

    def _miss(self, raw: str) -> int:
        form = form_of(raw)
        number = 0
        if form and not is_stopword(form):
            number = self.numbers.get(form, 0)
            if not number:
                number = self.numbers[form] = len(self.numbers) + 1
                self.new_forms.append(form)
        self.memo[raw] = number
        return number

    def term_numbers(self, text: str) -> list[int]:
        """The term numbers of `text`'s tokens, stopwords left out.

        No token spans whitespace or depends on what lies beyond it, so the tokens of a
        text are those of its whitespace-separated chunks in turn; chunks repeat like
        words ("said", "said,"), so each is tokenized and looked up once, and a known
        text costs a split and one dict look-up per chunk.
        """
        chunks = text.split()
        try:
            return list(chain.from_iterable(map(self.chunks.__getitem__, chunks)))
        except KeyError:  # new chunks (in any order: form numbers are only names)
            if len(self.chunks) >= 1 << 21:
                self.chunks.clear()
            memo = self.memo
            for chunk in set(chunks).difference(self.chunks):
                raws = raw_tokens(chunk)
                self.chunks[chunk] = tuple(filter(None, [memo[r] if r in memo else self._miss(r) for r in raws]))
            return list(chain.from_iterable(map(self.chunks.__getitem__, chunks)))

    def passage_numbers(self, p: Passage) -> list[int]:
        """A passage's term numbers: its text, the question it answers, the people it reports."""
        numbers = self.term_numbers(p.text)
        if "(" in p.text:
            self.acronyms.update(acronym_definitions(p.text))
        if p.prompt:
            numbers += self.term_numbers(p.prompt)
        # The people a passage reports are matched as if named in it: "he clarified" is Hornung's.
        people = sorted({who for who in (p.speaker, *p.attributions) if who})
        if people:
            joined = " ".join(people)
            known = self.people.get(joined)
            if known is None:
                if len(self.people) >= 1 << 16:
                    self.people.clear()
                known = self.people[joined] = self.term_numbers(joined)
            numbers += known
        return numbers

    def take_new(self) -> tuple[dict[str, list[str]], tuple, list[str]]:
        """The acronyms defined and the forms numbered (in number order) since the last
        call, with this analyser's `source`."""
        acronyms, self.acronyms = self.acronyms, {}
        forms, self.new_forms = self.new_forms, []
        return acronyms, self.source, forms


_analyser = _Analyser()  # per build, and a fresh one per parse worker (_fresh_analyser)


def _fresh_analyser() -> None:
    """A forked worker's own analyser: the build's, copied by the fork, numbers terms the
    compiler has already been told about under the build's `source`."""
    global _analyser
    _analyser = _Analyser()


def _pack(passages: list[Passage], analyser: _Analyser) -> tuple:
    """One document's passages as the compiler's arrays, relative to the document.

    Made where the document is parsed (in a worker for a large corpus), so what crosses
    to the compiler is a few arrays, not passage objects and lists of term strings.
    Names are numbered in the order `_Compiler.add` used to meet them (each passage's
    speaker, then its sentences' people), so the index's table of names keeps its order.
    """
    names: dict[str, int] = {}
    text = bytearray()
    text_end, numbers, speakers, prompts = array.array("q"), array.array("i"), array.array("i"), array.array("i")
    sent_end, s_start, s_end, s_attr = array.array("i"), array.array("i"), array.array("i"), array.array("i")
    tokens, p_len = array.array("i"), array.array("i")
    prompt_at: dict[str, int] = {}
    for n, p in enumerate(passages):
        text += p.text.encode("utf-8")
        text_end.append(len(text))
        numbers.append(p.number)
        speakers.append(-1 if p.speaker is None else names.setdefault(p.speaker, len(names)))
        prompts.append(prompt_at.get(p.prompt, -1) if p.prompt else -1)
        prompt_at[p.text] = n
        attributions = p.attributions or (None,) * len(p.sentences)
        for (a, b), who in zip(p.sentences, attributions):
            s_start.append(a)
            s_end.append(b)
            s_attr.append(-1 if who is None else names.setdefault(who, len(names)))
        sent_end.append(len(s_start))
        ids = analyser.passage_numbers(p)
        tokens.extend(ids)
        p_len.append(len(ids))
    packed = (bytes(text), text_end, numbers, speakers, prompts, sent_end, s_start, s_end, s_attr, list(names))
    return (*packed, tokens, p_len, analyser.source)


def _parse_file(job: tuple[Path, Path]) -> tuple[list, tuple]:
    """Read, segment, attribute, analyse and pack one corpus file; with the acronyms
    and forms first seen (`_Analyser.take_new`).

    Runs in a worker process for large corpora: everything per passage happens here, so
    the main process only appends compact arrays. Each document comes as its record,
    its warnings and its packed passages (`_pack`).
    """
    from sofa_cli.segment import passages_of

    path, root = job
    out = []
    for item in load_file(path, root):
        if isinstance(item, Skipped):
            out.append(item)
        else:
            passages = _parse_attribute(item, passages_of(item))
            out.append((_doc_record(item), item.warnings, _pack(passages, _analyser)))
    return out, _analyser.take_new()


def _parsed_files(jobs: list[tuple[Path, Path]], parallel: bool):
    """`_parse_file` of each job, in order; across worker processes when `parallel`."""
    if not parallel or (os.cpu_count() or 1) < 2:
        yield from map(_parse_file, jobs)
        return
    import multiprocessing

    from sofa_cli.segment import _punkt

    _punkt()  # loaded once here, inherited by the forked workers
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        yield from map(_parse_file, jobs)
        return
    with context.Pool(os.cpu_count(), initializer=_fresh_analyser) as pool:
        yield from pool.imap(_parse_file, jobs, chunksize=1)


def build(
    root: Path,
    previous: Index | None = None,
    variant: str = bm25.DEFAULT_VARIANT,
    progress: Callable[[int, int], None] | None = None,
    attribute: Callable[[Document, list[Passage]], list[Passage]] | None = None,
) -> tuple[dict, dict, BuildReport]:
    """Parse the corpus at `root` (reusing `previous` for unchanged files) into index data.

    Documents stream into the compiler as they are parsed, so memory holds the compact
    index being built, not the parsed corpus. Large corpora are parsed by one worker
    process per core (segmenting and attribution are pure Python, the bulk of the time).
    """
    global _parse_attribute, _analyser
    if attribute is None:
        from sofa_cli.attribution import attribute
    _parse_attribute = attribute
    _analyser = _Analyser()  # a fresh one: its forms must all be reported to this build
    started = time.perf_counter()
    report = BuildReport()
    paths = discover(root)
    old_files = {f["path"]: f for f in previous.files} if previous else {}
    if previous and (previous.variant != variant or previous.file.header.get("analysis") != ANALYSIS_ID):
        old_files = {}
    compiler = _Compiler(variant)
    files = []
    seen: set[str] = set()
    plan: list[tuple[Path, str, tuple[int, int] | None, dict | None]] = []
    to_parse: list[tuple[Path, Path]] = []
    parse_bytes = 0
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            fingerprint = _fingerprint(path)
        except OSError as err:
            report.skipped.append(Skipped(rel, err.strerror or str(err)))
            continue
        old = old_files.get(rel)
        if old and (old["size"], old["mtime_ns"]) == fingerprint:
            plan.append((path, rel, fingerprint, old))
        else:
            plan.append((path, rel, fingerprint, None))
            to_parse.append((path, root))
            parse_bytes += fingerprint[0]
    parsed = _parsed_files(to_parse, parallel=parse_bytes > PARALLEL_BYTES)
    for n, (_path, rel, (size, mtime), old) in enumerate(plan):
        if progress:
            progress(n, len(plan))
        entry = {"path": rel, "size": size, "mtime_ns": mtime, "docs": [], "skipped": None}
        if old is not None:
            report.unchanged += 1
            for d in old["docs"]:
                info = previous.docs[d]
                record = _doc_record(info)
                record["id"] = _unique_id(info.id, info.path, seen, report)
                packed = _pack(_reuse_passages(previous, info), _analyser)
                compiler.add_vocabulary(*_analyser.take_new())
                entry["docs"].append(compiler.add(record, packed))
            entry["skipped"] = old.get("skipped")
            if old.get("skipped"):
                report.skipped.append(Skipped(rel, old["skipped"]))
            files.append(entry)
            continue
        report.updated += 1 if rel in old_files else 0
        report.new += 0 if rel in old_files else 1
        items, new = next(parsed)
        compiler.add_vocabulary(*new)
        for item in items:
            if isinstance(item, Skipped):
                report.skipped.append(item)
                if item.path == rel:
                    entry["skipped"] = item.reason
                continue
            record, warnings, packed = item
            # After parsing: a streamed file reports late decoding problems as it is read.
            report.warnings.extend(f"{record['path']}: {w}" for w in warnings)
            record["id"] = _unique_id(record["id"], record["path"], seen, report)
            entry["docs"].append(compiler.add(record, packed))
        files.append(entry)
    report.removed = len(set(old_files) - {f["path"] for f in files})
    if progress:
        progress(len(plan), len(plan))
    header, sections = compiler.finish(root, files)
    report.documents = len(sections["doc_first"]) - 1
    report.passages = len(sections["p_doc"])
    report.seconds = time.perf_counter() - started
    return header, sections, report


def _unique_id(doc_id: str, path: str, seen: set[str], report: BuildReport) -> str:
    """`doc_id`, or for a second document with the same id (notes.md beside notes.txt) its
    file name with extension, so every citation names one document."""
    unique = doc_id
    if unique in seen:
        unique = path if "#" not in doc_id else f"{path}#{doc_id.rsplit('#', 1)[1]}"
        n = 2
        while unique in seen:
            unique, n = f"{path}~{n}", n + 1
        report.warnings.append(f"{path}: document id {doc_id!r} is taken; cited as {unique!r}")
    seen.add(unique)
    return unique


def _doc_record(doc) -> dict:
    return {
        "id": doc.id,
        "path": doc.path,
        "title": doc.title,
        "kind": doc.kind,
        "source": doc.source,
        "author": doc.author,
        "date": doc.date,
        "url": doc.url,
    }


def _reuse_passages(previous: Index, info: DocInfo) -> list[Passage]:
    from sofa_cli.segment import Passage

    out = []
    for pid in range(info.first_passage, info.first_passage + info.passage_count):
        p = previous.passage(pid)
        prompt = previous.passage_text(p.prompt_pid) if p.prompt_pid >= 0 else None
        out.append(Passage(p.number, p.text, p.sentences, p.speaker, prompt, p.attributions))
    return out


def compile_index(root: Path, docs: list[tuple[dict, list[Passage]]], files: list, variant: str):
    """Lay the parsed corpus out as header + arrays, with BM25 compiled into impacts."""
    compiler = _Compiler(variant)
    analyser = _Analyser()
    for record, passages in docs:
        packed = _pack(passages, analyser)
        compiler.add_vocabulary(*analyser.take_new())
        compiler.add(record, packed)
    return compiler.finish(root, files)


class _Compiler:
    """Accumulates analysed documents into flat arrays, then compiles BM25 into impacts.

    Per passage it keeps only its text (UTF-8) and the term ids of its tokens (4 bytes
    each). Every TOKEN_CHUNK tokens numpy turns them into (term, passage, tf) postings;
    `finish` sorts the vocabulary, merges the chunks and computes every impact in one
    vectorised pass (bm25.impacts: the same formulas as bm25.impact).
    """

    def __init__(self, variant: str) -> None:
        self.variant = variant
        self.names: dict[str, int] = {}
        self.text = bytearray()
        self.text_off = array.array("q", [0])
        self.p_doc, self.p_num, self.p_speaker, self.p_prompt = (array.array("i") for _ in range(4))
        self.p_sent = array.array("i", [0])
        self.s_start, self.s_end, self.s_attr = (array.array("i") for _ in range(3))
        self.p_len = array.array("i")
        self.doc_blob = bytearray()
        self.doc_off = array.array("q", [0])
        self.doc_first = array.array("i", [0])
        self.vocab: dict[str, int] = {}  # term -> provisional id (order of first sight)
        self.forms: dict[str, str] = {}  # surface form -> term
        self.acronyms: dict[str, list[str]] = {}  # acronym term -> its expansion's terms
        self.tokens = array.array("i")
        self.chunk_first_pid = 0
        self.chunks: list[tuple] = []
        # Per analyser (`_Analyser.source`): its term number -> provisional term id (0 unused).
        self.term_ids: dict[tuple, array.array] = {}
        self.form_ids: dict[str, int] = {}  # surface form -> provisional term id
        self._np = None

    def _name_id(self, name: str | None) -> int:
        if name is None:
            return -1
        return self.names.setdefault(name, len(self.names))

    def add_vocabulary(self, acronyms: dict[str, list[str]], source: tuple, forms: list[str]) -> None:
        """What an analyser reports (`_Analyser.take_new`): acronyms, and the forms it
        numbered since its last report, stemmed here (once per form) into terms with
        provisional ids. A form whose stem is empty is no term (id -1)."""
        self.acronyms.update(acronyms)
        ids = self.term_ids.get(source)
        if ids is None:
            ids = self.term_ids[source] = array.array("i", [-1])
        vocab, form_ids = self.vocab, self.form_ids
        for form in forms:
            tid = form_ids.get(form)
            if tid is None:
                term = stem(form)
                if term:
                    self.forms[form] = term
                    tid = vocab.setdefault(term, len(vocab))
                else:
                    tid = -1
                form_ids[form] = tid
            ids.append(tid)

    def add(self, record: dict, packed: tuple) -> int:
        """Append one document and its packed passages (`_pack`); returns its number.

        The analyser that packed them must have reported its new terms first."""
        text, text_end, numbers, speakers, prompts, sent_end, s_start, s_end, s_attr, names, tokens, p_len, source = packed
        d = len(self.doc_first) - 1
        raw = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.doc_blob += raw
        self.doc_off.append(len(self.doc_blob))
        name_ids = [self._name_id(name) for name in names]
        first_pid, text_base, sentence_base = len(self.p_doc), len(self.text), len(self.s_start)
        self.text += text
        self.text_off.extend(text_base + end for end in text_end)
        self.p_doc.extend(array.array("i", [d]) * len(numbers))
        self.p_num.extend(numbers)
        self.p_speaker.extend(name_ids[n] if n >= 0 else -1 for n in speakers)
        self.p_prompt.extend(first_pid + n if n >= 0 else -1 for n in prompts)
        self.s_start.extend(s_start)
        self.s_end.extend(s_end)
        self.s_attr.extend(name_ids[n] if n >= 0 else -1 for n in s_attr)
        self.p_sent.extend(sentence_base + end for end in sent_end)
        if tokens:
            np = self._np
            if np is None:
                import numpy as np

                self._np = np
            ids = np.frombuffer(self.term_ids[source], dtype=np.int32)
            mapped = ids[np.frombuffer(tokens, dtype=np.int32)]
            del ids
            if mapped.min() < 0:  # forms that are no term: drop them, and shorten their passages
                keep = mapped >= 0
                owner = np.repeat(np.arange(len(p_len)), np.frombuffer(p_len, dtype=np.int32))
                p_len = array.array("i", np.bincount(owner[keep], minlength=len(p_len)).astype(np.int32).tobytes())
                mapped = mapped[keep]
            self.tokens.frombytes(mapped.tobytes())
        self.p_len.extend(p_len)
        self.doc_first.append(len(self.p_doc))
        if len(self.tokens) >= TOKEN_CHUNK:
            self._flush()
        return d

    def _flush(self) -> None:
        """Count this chunk's (term, passage) pairs: provisional term ids, passage ids and
        tf, int32 each, ordered by term then passage (np.unique of term << 32 | pid)."""
        import numpy as np

        first, last = self.chunk_first_pid, len(self.p_doc)
        if last > first:
            lengths = np.frombuffer(self.p_len, dtype=np.int32)[first:last]
            tids = np.frombuffer(self.tokens, dtype=np.int32).astype(np.int64)
            pids = np.repeat(np.arange(first, last, dtype=np.int64), lengths)
            keys, tf = np.unique((tids << 32) | pids, return_counts=True)
            del tids, pids
            term = (keys >> 32).astype(np.int32)
            passage = (keys & 0xFFFFFFFF).astype(np.int32)
            self.chunks.append((term, passage, tf.astype(np.int32)))
        self.tokens = array.array("i")
        self.chunk_first_pid = last

    def finish(self, root: Path, files: list) -> tuple[dict, dict]:
        """Sort the vocabulary, lay the postings out term by term, compute every impact.

        The chunks are scattered into the final arrays one at a time (a counting sort by
        term: chunks come in passage order, so each term's passages stay sorted), and the
        impacts are computed in blocks, so the peak memory is the postings, not several
        temporary copies of them.
        """
        import numpy as np

        self._flush()
        n = len(self.p_doc)
        doc_len = np.frombuffer(self.p_len, dtype=np.int32).astype(np.float64)
        avgdl = float(doc_len.mean()) if n else 0.0
        # Sorted vocabulary: byte order (binary-searchable; the hash tables below are the fast path).
        vocab = sorted(self.vocab, key=lambda t: t.encode("utf-8"))
        n_terms = len(vocab)
        rank = np.empty(n_terms, dtype=np.int32)
        rank[[self.vocab[t] for t in vocab]] = np.arange(n_terms, dtype=np.int32)
        df = np.zeros(n_terms, dtype=np.int64)
        for term, _, _ in self.chunks:
            term[:] = rank[term]  # final term ids
            df += np.bincount(term, minlength=n_terms)
        post_off = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=post_off[1:])
        post_pid = np.empty(int(post_off[-1]), dtype=np.int32)
        post_tf = np.empty(int(post_off[-1]), dtype=np.int32)
        fill = post_off[:-1].copy()
        while self.chunks:
            term, passage, tf = self.chunks.pop(0)
            order = np.argsort(term, kind="stable")
            term = term[order]
            counts = np.bincount(term, minlength=n_terms)
            starts = np.cumsum(counts) - counts
            where = fill[term] + (np.arange(len(term)) - starts[term])
            post_pid[where] = passage[order]
            post_tf[where] = tf[order]
            fill += counts
            del term, passage, tf, order, where
        idf = bm25.idf_array(self.variant, df, n)
        term_of = np.repeat(np.arange(n_terms, dtype=np.int32), df)
        post_w = np.empty(len(post_pid), dtype=np.float64)
        for a in range(0, len(post_w), IMPACT_BLOCK):
            b = a + IMPACT_BLOCK
            post_w[a:b] = bm25.impacts(self.variant, idf[term_of[a:b]], post_tf[a:b], doc_len[post_pid[a:b]], avgdl)
        del term_of, post_tf
        term_blob, term_off = _string_table(vocab)
        form_list = sorted((f for f in self.forms if self.forms[f] in self.vocab), key=lambda f: f.encode("utf-8"))
        form_blob, form_off = _string_table(form_list)
        form_term = rank[[self.vocab[self.forms[f]] for f in form_list]].astype(np.int32)
        form_hist = _char_hists(form_list)
        header = {
            "corpus": str(root),
            "variant": self.variant,
            "analysis": ANALYSIS_ID,
            "avgdl": avgdl,
            "built": time.time(),
            "files": files,
            "names": list(self.names),
            "acronyms": {a: e for a, e in self.acronyms.items() if a in self.vocab},
            "synonyms": synonym_groups(),
            "k1": bm25.K1,
            "b": bm25.B,
            "delta": bm25.DELTA,
        }
        sections = {
            "text": self.text,
            "text_off": self.text_off,
            "p_doc": self.p_doc,
            "p_num": self.p_num,
            "p_speaker": self.p_speaker,
            "p_prompt": self.p_prompt,
            "p_sent": self.p_sent,
            "s_start": self.s_start,
            "s_end": self.s_end,
            "s_attr": self.s_attr,
            "doc_blob": self.doc_blob,
            "doc_off": self.doc_off,
            "doc_first": self.doc_first,
            "term_blob": term_blob,
            "term_off": term_off,
            "form_blob": form_blob,
            "form_off": form_off,
            "form_term": form_term,
            "form_hist": form_hist,
            "term_hash": _hash_table(vocab),
            "form_hash": _hash_table(form_list),
            "idf": idf,
            "post_off": post_off,
            "post_pid": post_pid,
            "post_w": post_w,
        }
        return header, sections


def _string_table(strings: list[str]) -> tuple[bytes, array.array]:
    offsets = array.array("q", [0])
    parts = []
    total = 0
    for s in strings:
        raw = s.encode("utf-8")
        parts.append(raw)
        total += len(raw)
        offsets.append(total)
    return b"".join(parts), offsets


# -- where indexes live, and keeping them fresh ---------------------------------------------


def cache_dir(index_dir: str | None = None) -> Path:
    if index_dir:
        return Path(index_dir).expanduser()
    env = os.environ.get("SOFA_INDEX_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sofa"


def index_path(root: Path, index_dir: str | None = None) -> Path:
    import hashlib  # here, not at the top: its OpenSSL set-up costs a one-shot answer ~5 ms

    key = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_dir(index_dir) / f"{root.name or 'corpus'}-{key}" / INDEX_FILE


def is_fresh(index: Index, root: Path) -> bool:
    """True when no corpus file was added, changed or removed since `index` was built."""
    if index.file.header.get("analysis") != ANALYSIS_ID:
        return False  # built by a sofa that analysed or segmented text differently
    known = {f["path"]: (f["size"], f["mtime_ns"]) for f in index.files}
    try:
        return fingerprints(root) == known
    except OSError:
        return False


@dataclass
class Opened:
    index: Index
    report: BuildReport | None
    warnings: list[str]


def open_index(
    root: Path,
    index_dir: str | None = None,
    rebuild: bool = False,
    variant: str = bm25.DEFAULT_VARIANT,
    progress: Callable[[int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> Opened:
    """The index of `root`, built or refreshed as needed; `notice` hears at once that this
    process waits for another one's build (other warnings come back in `Opened`).

    A damaged index is rebuilt with a warning. An index written by a newer sofa is left
    alone (that sofa still wants it) and this one indexes into memory; so it does, with a
    warning, when the cache folder cannot be written (read-only, full).
    """
    root = root.resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    path = index_path(root, index_dir)
    warnings: list[str] = []
    previous = None
    keep_file = True
    if path.exists():
        try:
            previous = Index(path)
        except OlderFormatError:
            pass
        except NewerFormatError as err:
            keep_file = False
            warnings.append(f"{err} at {path}; leaving it for that sofa and indexing in memory (or use --index-dir)")
        except IndexFileError as err:
            warnings.append(f"index at {path} unusable ({err}); rebuilding")
    if previous and not rebuild and previous.variant == variant and is_fresh(previous, root):
        return Opened(previous, None, warnings)
    if not keep_file:
        header, sections, report = build(root, None, variant, progress)
        return Opened(_in_memory(header, sections), report, warnings)
    with _lock(path.parent, notice or warnings.append):
        _remove_torn_writes(path)
        if not rebuild and path.exists() and previous is not None:
            try:  # another process may have rebuilt it while we waited for the lock
                latest = Index(path)
                if latest.variant == variant and is_fresh(latest, root):
                    return Opened(latest, None, warnings)
                previous = latest
            except IndexFileError:
                pass
        header, sections, report = build(root, None if rebuild else previous, variant, progress)
        try:
            write_index(path, header, sections)
        except OSError as err:
            warnings.append(f"cannot write index to {path.parent} ({err.strerror or err}); answering from memory")
            return Opened(_in_memory(header, sections), report, warnings)
    return Opened(Index(path), report, warnings)


def _in_memory(header: dict, sections: dict) -> Index:
    """An index that lives only as long as this process: written to an unlinked temporary
    file (tmpfs on most systems), so it is read through the same mapped format."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix="sofa-", suffix=".sofa")
    os.close(fd)
    try:
        write_index(Path(tmp), header, sections)
        return Index(Path(tmp))
    finally:
        os.unlink(tmp)


def _remove_torn_writes(path: Path) -> None:
    """Temporary files left by a writer killed before its rename (kill -9, power loss).

    Called under the lock, so no live writer owns them.
    """
    for leftover in path.parent.glob(f"{path.name}.*.tmp"):
        try:
            leftover.unlink()
        except OSError:
            pass


class _lock:
    """An exclusive flock beside the index, so two `sofa index` runs do not build at once."""

    def __init__(self, folder: Path, notice: Callable[[str], None]) -> None:
        self.folder = folder
        self.notice = notice
        self.fd: int | None = None

    def __enter__(self):
        try:
            import fcntl

            self.folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.notice("another sofa is indexing this corpus; waiting for it")
                fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (OSError, ImportError):
            self.fd = None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
