"""Reading an index: documents, passages, vocabulary and BM25 postings, looked up lazily
from the memory-mapped file (`format.IndexFile`)."""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from pathlib import Path

from sofa_cli.index.base_reader import DocTable, IndexReader
from sofa_cli.index.format import IndexFile, IndexFileError, OlderFormatError
from sofa_cli.index.postings import Postings
from sofa_cli.index.schema import ANALYSIS_VERSION, DocInfo, StoredPassage
from sofa_cli.index.text_blocks import inflate
from sofa_cli.index.vocabulary import FORM_SCAN, HIST_BINS, char_hist, find

# An index with more postings than this starts importing numpy when it is opened (in a thread,
# `preload`: the open itself is ~10 ms, the import ~55), not at the first question whose words
# have NUMPY_POSTINGS: else that question pays the import (the BM25-only p99 at 100k passages)
# and the ones before it the slower pure-Python sums. At this size (about 5,000 passages) common
# words have tens of thousands of postings, so numpy is soon needed anyway; the bundled corpus,
# far smaller, answers a one-shot question without it.
NUMPY_AT_OPEN = 200_000


# Inflated text blocks kept (up to 1 KiB each): an answer's candidates and a document read passage by
# passage come back to the same few blocks.
TEXT_BLOCKS_KEPT = 64


class _Docs(DocTable):
    """The documents of an index file."""

    def __init__(self, file: IndexFile, count: int) -> None:
        super().__init__()
        self._file, self._count = file, count

    def __len__(self) -> int:
        return self._count

    def _load(self, i: int) -> DocInfo:
        blob, offsets, firsts = (self._file.section(name) for name in ("doc_blob", "doc_off", "doc_first"))
        record = json.loads(bytes(blob[offsets[i] : offsets[i + 1]]))
        first = firsts[i]
        return DocInfo(**record, first_passage=first, passage_count=firsts[i + 1] - first)


# The sections the reader reads, by the private attribute each is bound to on first use.
_SECTIONS = {
    "_text": "text",
    "_text_off": "text_off",
    "_text_block": "text_block",
    "_text_start": "text_start",
    "_p_doc": "p_doc",
    "_p_num": "p_num",
    "_p_speaker": "p_speaker",
    "_p_prompt": "p_prompt",
    "_p_sent": "p_sent",
    "_s_start": "s_start",
    "_s_end": "s_end",
    "_s_attr": "s_attr",
    "_term_blob": "term_blob",
    "_term_off": "term_off",
    "_term_hash": "term_hash",
    "_form_blob": "form_blob",
    "_form_off": "form_off",
    "_form_term": "form_term",
    "_form_hash": "form_hash",
    "_post_off": "post_off",
    "_post_pid": "post_pid",
    "_post_tf": "post_tf",
    "_p_len": "p_len",
    "_s_terms": "s_terms",
    "_s_terms_end": "s_terms_end",
    "_p_unstored": "p_unstored",
    "_title_terms": "title_terms",
    "_title_end": "title_end",
    "idf": "idf",
}


# Vocabulary look-ups kept per table: each word a question is asked about is looked up, found
# or not, and a stdin batch of 100,000 questions of new words kept every one of them (RSS
# 37 -> 83 MB, issue 17 #15). 65,536 covers the words of any one answer many times over.
LOOKUPS_KEPT = 1 << 16


def _keep(table: dict, key: str, value):
    """`table[key] = value`, the table emptied first when it holds LOOKUPS_KEPT; `value`."""
    if len(table) >= LOOKUPS_KEPT:
        table.clear()
    table[key] = value
    return value


class Index(Postings, IndexReader):
    """Read access to an index file: documents, passages, terms, forms and postings, each
    looked up lazily from the mapped sections, which nobody outside this class reads.

    `idf` is public: a read-only sequence of every term's inverse document frequency.
    """

    def __init__(self, path: Path, stored_terms: bool = True) -> None:
        """`stored_terms=False`: `sentence_terms` and `title_terms` answer None, so reranking
        tokenises the text as it did before they were stored (the same terms; for tests and
        benchmarks that compare the two)."""
        self.path = path
        self.stored_terms = stored_terms
        self._file = IndexFile(path)
        h = self._file.header
        try:
            self._read_header(h)
            self.n_passages = self._file.count("p_doc")
            self.n_terms = self._file.count("idf")
            self.n_forms = self._file.count("form_off") - 1
            for name in (*_SECTIONS.values(), "doc_blob", "doc_off", "doc_first", "form_hist"):
                self._file.count(name)
        except (KeyError, TypeError, ValueError) as err:
            self._file.close()
            if _older_analysis(h):  # sections added since (e.g. the stored sentence terms): rebuilt quietly
                raise OlderFormatError(f"index analysis {h['depends']['analysis']} is older than this sofa's") from err
            raise IndexFileError(f"index is missing {err}") from err
        self.docs = _Docs(self._file, self._file.count("doc_off") - 1)
        # Vocabulary look-ups go through hash tables in the mapped file; a question and the
        # passages it ranks repeat words, so each answer is kept, up to LOOKUPS_KEPT (`_keep`).
        self._term_ids: dict[str, int | None] = {}
        self._stems: dict[str, str | None] = {}
        self._form_tids: dict[str, int | None] = {}
        self._arrays: dict[str, object] = {}
        self._blocks: dict[int, bytes] = {}
        if self._file.count("post_pid") > NUMPY_AT_OPEN:
            from sofa_cli.index.preload import start_numpy_import  # (a small index never needs it)

            start_numpy_import()  # (see NUMPY_AT_OPEN)

    def __getattr__(self, name: str):
        """A section, mapped (and checked by `IndexFile.section`) the first time it is read,
        then kept as a plain attribute: most answers read a few sections of a large index."""
        section = _SECTIONS.get(name)
        if section is None:
            raise AttributeError(name)
        view = self._file.section(section)
        setattr(self, name, view)
        return view

    def check_all(self) -> None:
        """Check every byte of the file now (raises IndexFileError), not as it is read."""
        self._file.check_all()

    @property
    def header(self) -> dict:
        """The index file's header (what it was built from and with)."""
        return self._file.header

    def close(self) -> None:
        """Unmap the file; the index cannot be read afterwards."""
        self._arrays.clear()
        self._blocks.clear()
        self._file.close()

    # -- passages -------------------------------------------------------------------
    def passage(self, pid: int) -> StoredPassage:
        a, b = self._p_sent[pid : pid + 2]
        speaker_id = self._p_speaker[pid]
        return StoredPassage(
            pid=pid,
            doc=self.docs[self._p_doc[pid]],
            number=self._p_num[pid],
            text=self.passage_text(pid),
            sentences=tuple(zip(self._s_start[a:b], self._s_end[a:b])),
            speaker=self.names[speaker_id] if speaker_id >= 0 else None,
            attributions=tuple(self.names[x] if x >= 0 else None for x in self._s_attr[a:b]),
            prompt_pid=self._p_prompt[pid],
        )

    def passage_doc(self, pid: int) -> DocInfo:
        """The document holding passage `pid` (what ranking needs of a candidate before it
        decides to read the passage)."""
        return self.docs[self._p_doc[pid]]

    def sentence_terms(self, pid: int) -> list[list[int]] | None:
        """Each sentence's content terms in order, as the index stored them at build time:
        what tokenising the sentence and looking up each word's form gives (stopwords and
        words no term dropped). None when not stored for this passage (see
        `terms.TermNumberer.known_bytes`) or the index was opened with `stored_terms=False`:
        the caller tokenises."""
        if not self.stored_terms or _sorted_has(self._p_unstored, pid):
            return None
        a, b = self._p_sent[pid : pid + 2]
        ends = self._s_terms_end[a : b + 1].tolist()
        base = ends[0]
        terms = self._s_terms[base : ends[-1]].tolist() if b > a else []
        return [terms[x - base : y - base] for x, y in zip(ends, ends[1:])]

    def title_terms(self, pid: int) -> list[int] | None:
        """The content terms of the title of the document holding passage `pid`, in order,
        stored at build time (looked up in the vocabulary as a question's words are). None
        when the index was opened with `stored_terms=False`."""
        if not self.stored_terms:
            return None
        d = self._p_doc[pid]
        a, b = self._title_end[d : d + 2]
        return list(self._title_terms[a:b])

    def passage_text(self, pid: int) -> str:
        start, end = self._text_off[pid : pid + 2]
        if start == end:
            return ""
        k = self._text_block_of(start)
        raw = self._blocks.get(k)
        if raw is None:
            first, last = self._text_start[k : k + 2]
            raw = inflate(bytes(self._text[self._text_block[k] : self._text_block[k + 1]]), last - first)
            if len(self._blocks) >= TEXT_BLOCKS_KEPT:
                del self._blocks[next(iter(self._blocks))]
            self._blocks[k] = raw
        else:
            first = self._text_start[k]
        return raw[start - first : end - first].decode("utf-8")

    def _text_block_of(self, start: int) -> int:
        """The text block holding uncompressed offset `start`: bisected over the unchecked
        `text_start` (a checked bisection pays a block check for each of its ~20 reads, a
        fifth of reading a passage at 1M), then the two items that decide it are read checked.
        A damaged item the bisection met can only mislead it: then the checked search decides."""
        starts = self.__dict__.get("_text_start_unchecked")
        if starts is None:
            starts = self._text_start_unchecked = self._file.unchecked_items("text_start")
        k = bisect_right(starts, start) - 1
        if 0 <= k < len(starts) - 1:
            first, last = self._text_start[k : k + 2]
            if first <= start < last:
                return k
        return bisect_right(self._text_start, start) - 1

    def is_question_turn(self, pid: int) -> bool:
        """An interview turn that prompted the next one (the interviewer's question)."""
        return pid + 1 < self.n_passages and self._p_prompt[pid + 1] == pid

    # -- vocabulary -----------------------------------------------------------------
    def term_id(self, term: str) -> int | None:
        try:
            return self._term_ids[term]
        except KeyError:
            tid = _keep(self._term_ids, term, find(self._term_hash, self._term_blob, self._term_off, term.encode("utf-8")))
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
        """Stems that share a synonym group with `term` (see sofa_cli.text.synonyms), each with a
        word it stands for; the corpus need not hold them, nor `term`."""
        by_term = self.__dict__.get("_synonyms")
        if by_term is None:
            by_term = self._synonyms = {}
            for group in self.synonym_groups:
                for t in group:
                    by_term.setdefault(t, {}).update(group)
        return {s: w for s, w in by_term.get(term, {}).items() if s != term}

    def term(self, tid: int) -> str:
        return bytes(self._term_blob[self._term_off[tid] : self._term_off[tid + 1]]).decode("utf-8")

    def stem_of(self, form: str) -> str | None:
        """The stem of a corpus word form, without nltk; None for a form the corpus lacks."""
        try:
            return self._stems[form]
        except KeyError:
            pass
        i = find(self._form_hash, self._form_blob, self._form_off, form.encode("utf-8"))
        if i is None:
            term = None
        else:
            tid = self._form_term[i]
            term = self.term(tid)
            _keep(self._term_ids, term, tid)
        return _keep(self._stems, form, term)

    def term_of_form(self, form: str) -> int | None:
        """The term id of a corpus word form (None for a form the corpus lacks): reranking's
        look-up, once per distinct word of the candidates, with no term string decoded."""
        try:
            return self._form_tids[form]
        except KeyError:
            i = find(self._form_hash, self._form_blob, self._form_off, form.encode("utf-8"))
            return _keep(self._form_tids, form, None if i is None else self._form_term[i])

    def form_candidates(self, form: str, limit: int, use_histograms: bool | None = None) -> Iterable[int]:
        """Numbers of the corpus forms that may lie within `limit` edits of `form`.

        A necessary condition only (callers measure the distance): the UTF-8 length differs
        by at most 4 bytes an edit and, for large vocabularies, the bag of characters by at
        most `limit` in each direction (one edit changes each side's surplus by at most
        one), checked for every form at once against the `form_hist` section: scanning
        100,000 forms with an edit distance in Python would take seconds. `use_histograms`
        forces either way (default: beyond FORM_SCAN forms).
        """
        n = self.n_forms
        size = len(form.encode("utf-8"))
        if use_histograms is None:
            use_histograms = n > FORM_SCAN
        if not use_histograms:
            off = self._form_off
            return (i for i in range(n) if abs((off[i + 1] - off[i]) - size) <= 4 * limit)
        import numpy as np

        self._file.check("form_hist", 0, n * HIST_BINS)
        hist = self._array("form_hist").reshape(n, HIST_BINS)
        wanted = np.frombuffer(char_hist(form), dtype=np.uint8).astype(np.int16)
        chars = self._arrays.get("form_chars")
        if chars is None:
            chars = self._arrays["form_chars"] = hist.sum(1, dtype=np.int16)
        # The character counts differ by at most `limit` (a cheap first cut), then the bags.
        rows = np.flatnonzero(np.abs(chars - int(wanted.sum())) <= limit)
        diff = hist[rows].astype(np.int16) - wanted
        ok = (np.maximum(diff, 0).sum(1) <= limit) & (np.maximum(-diff, 0).sum(1) <= limit)
        return rows[ok].tolist()

    def form(self, i: int) -> str:
        """Corpus word form number `i` (forms are numbered in byte order)."""
        return bytes(self._form_blob[self._form_off[i] : self._form_off[i + 1]]).decode("utf-8")

    def form_term_id(self, i: int) -> int:
        """The term id of corpus word form number `i`."""
        return self._form_term[i]

    def _array(self, name: str):
        """A section as a numpy array over the mapping (no copy), not checked: callers
        `self._file.check` each range they read."""
        arr = self._arrays.get(name)
        if arr is None:
            import numpy as np

            dtype = np.dtype(self._file.header["sections"][name][1]).newbyteorder("<")
            arr = self._arrays[name] = np.frombuffer(self._file.unchecked_bytes(name), dtype=dtype)
        return arr


def _older_analysis(header: dict) -> bool:
    """Whether the header says an older analysis built the index: one that lacks sections
    this sofa reads is then out of date, not damaged (rebuilt without a warning)."""
    try:
        return int(header["depends"]["analysis"]) < ANALYSIS_VERSION
    except (KeyError, TypeError, ValueError):
        return False


def _sorted_has(values: Sequence[int], x: int) -> bool:
    """Whether ascending `values` hold `x` (usually empty: one look-up per candidate)."""
    if not len(values):
        return False
    i = bisect_left(values, x)
    return i < len(values) and values[i] == x


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenti thirti forti fifti sixti seventi eighti nineti hundr thousand million billion dozen".split()
)
