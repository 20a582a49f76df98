"""Compiling analysed documents into the index's arrays: passages, vocabulary and BM25 postings
(term frequencies and passage lengths, from which a reader computes each impact)."""

from __future__ import annotations

import array
import time
from collections.abc import Callable
from pathlib import Path

from sofa_cli.index import bm25, text_blocks
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.format import json_bytes
from sofa_cli.index.schema import dependencies
from sofa_cli.index.spill import (
    Run,
    SpillArray,
    document_frequencies,
    keep_large_allocations_mapped,
    merge,
    scratch_file,
    sorted_chunk,
    write_at,
)
from sofa_cli.index.terms import NewTerms, PackedDocument
from sofa_cli.index.vocabulary import char_hists, hash_table, string_table, synonym_groups
from sofa_cli.text.analysis import form_of, raw_tokens
from sofa_cli.text.analysis import stem as snowball_stem

# Postings are counted with numpy every this many tokens, so memory stays bounded; a
# chunk is counted while the workers go on parsing, so only the last one (at most this
# size) is counted after them (the postings do not depend on where chunks end). Counting
# one takes some 16 bytes a token at once (int64 keys sorted in place, `_flush`), while
# the parse workers are alive: 250k tokens (4 MB) rather than 500k, for the build's memory
# with its workers counted (bench/results/build_memory.md).
TOKEN_CHUNK = 250_000


# Counted postings (12 bytes each) held in memory before they are written out as one sorted
# run (spill.py): about 1.4 million postings, a fortieth of a million-passage corpus's, so a
# build's memory stops growing with its corpus (as tantivy's 128 MB writer heap does) while
# a million passages make some forty runs, merged in one pass. Peak RSS of the building
# process at 1M / 100k: 151 / 130 MB with 32 MB and 1M-token chunks, 132 / 99 MB with 16 MB and
# 500k, for the same CPU; 8 MB and 250k peaked higher at 1M (140 MB: the merge's many runs).
# Where runs end changes no byte of the index (bench/compare_indexes.py, 34 sections equal).
POSTINGS_BUDGET = 16 * 1024 * 1024


# Bytes of each per-passage and per-sentence array (the text blocks, the sentence terms,
# the spans...) held in memory before they are appended to a scratch file: they need no
# sorting, so this is a write buffer, not a budget; fourteen arrays hold at most 3.5 MB (at
# 1 MiB each, 14 MB, held while the parse workers are alive; at 4 MB each, 56 MB).
SPILL_BUFFER = 256 * 1024


# The postings are merged this many at a time: the temporaries of a block (int64 positions)
# are some 40 bytes a posting, 5 MB a block (40 MB at a million). Runs are also merged while
# the parse workers are alive (`_spill_run`), where the build's process tree peaked at 1M with
# 250k (bench/results/build_memory.md).
MERGE_BLOCK = 125_000


class Compiler:
    """Accumulates analysed documents into flat arrays, then lays out the BM25 postings.

    Per passage it keeps only its text (compressed in blocks as it comes) and the term ids
    of its tokens (4 bytes each). Every TOKEN_CHUNK tokens numpy turns them into (term,
    passage, tf) postings; every `postings_budget` bytes of those are written to a scratch
    file as a run sorted by term (spill.py), as are the per-passage and per-sentence arrays
    past SPILL_BUFFER; `finish` sorts the vocabulary and merges the runs term by term. Where
    the runs end changes no byte of the index: each term's postings come out in passage
    order either way.

    It stores each posting's tf and each passage's length, not the float64 impact: a reader
    computes the impacts of the postings a question reads with the same formula
    (bm25.impacts), the same floats at an eighth of the bytes (bench/results/index_disk.md).
    """

    def __init__(
        self,
        params: BM25Params,
        stem: Callable[[str], str] = snowball_stem,
        scratch: Path | None = None,
    ) -> None:
        """`stem` turns a surface form into its term (an empty stem: no term); `scratch` is the
        folder for scratch files (beside the index being written; None: the system's)."""
        keep_large_allocations_mapped()
        self.params = params
        self.stem = stem
        self.scratch = scratch
        # Read when the compiler is made, so that a test can shrink them to force many runs.
        self.postings_budget, self.spill_buffer = POSTINGS_BUDGET, SPILL_BUFFER
        spill_buffer = self.spill_buffer
        self.names: dict[str, int] = {}
        self.authors: dict[str, None] = {}  # each byline once, in document order
        self.text = text_blocks.TextBlocks(scratch, spill_buffer)  # compressed as it comes
        # Per passage and per sentence: written out as they fill a buffer, read back as the
        # index is written.
        self.p_doc, self.p_num, self.p_speaker, self.p_prompt = (SpillArray("i", scratch, spill_buffer) for _ in range(4))
        self.p_sent = SpillArray("i", scratch, spill_buffer, (0,))
        self.s_start, self.s_end, self.s_attr = (SpillArray("i", scratch, spill_buffer) for _ in range(3))
        # Each passage's length: written out too (4 bytes a passage grew with the corpus), so
        # the chunk being counted keeps its own, and the sum and longest are kept for `finish`.
        self.p_len = SpillArray("i", scratch, spill_buffer)
        self.chunk_lengths = array.array("i")
        self.token_count = self.longest = 0
        # What reranking reads instead of tokenising (provisional term ids until `finish`):
        # each sentence's terms in order, where each sentence's end there, and the passages
        # whose sentences are not stored (`terms._pack_sentence_numbers`).
        self.s_terms = SpillArray("i", scratch, spill_buffer)
        self.s_terms_end = SpillArray("q", scratch, spill_buffer, (0,))
        self.p_unstored = array.array("i")
        self.titles: list[str] = []
        self.doc_blob = SpillArray("B", scratch, spill_buffer)  # each document's record (JSON)
        self.doc_off = array.array("q", [0])
        self.doc_first = array.array("i", [0])
        self.vocab: dict[str, int] = {}  # term -> provisional id (order of first sight)
        self.forms: dict[str, str] = {}  # surface form -> term
        self.acronyms: dict[str, list[str]] = {}  # acronym term -> its expansion's terms
        self.tokens = array.array("i")
        self.chunk_first_pid = 0
        self.chunks: list[tuple] = []
        self.chunk_bytes = 0
        self.runs: list[Run] = []  # postings written out, in passage order
        # Per numberer (`TermNumberer.source`): its form number -> provisional term id (0 unused).
        self.term_ids: dict[tuple, array.array] = {}
        self.form_ids: dict[str, int] = {}  # surface form -> provisional term id
        self._np = None

    def _name_id(self, name: str | None) -> int:
        if name is None:
            return -1
        return self.names.setdefault(name, len(self.names))

    def add_vocabulary(self, new: NewTerms) -> None:
        """What a term numberer reports (`TermNumberer.take_new`): acronyms, and the forms it
        numbered since its last report, stemmed here (once per form) into terms with
        provisional ids. A form whose stem is empty is no term (id -1)."""
        self.acronyms.update(new.acronyms)
        ids = self.term_ids.get(new.source)
        if ids is None:
            ids = self.term_ids[new.source] = array.array("i", [-1])
        vocab, form_ids, stem = self.vocab, self.form_ids, self.stem
        for form in new.forms:
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

    def add(self, record: dict, packed: PackedDocument) -> int:
        """Append one document and its packed passages (`pack_document`); returns its number.

        The numberer that packed them must have reported its new terms first."""
        text, text_end, numbers, speakers, prompts, sent_end, s_start, s_end, s_attr, names, tokens, p_len, source = packed[:13]
        d = len(self.doc_first) - 1
        self.titles.append(record["title"])
        if record["author"]:
            self.authors.setdefault(record["author"])
        raw = json_bytes(record)
        self.doc_blob.frombytes(raw)
        self.doc_off.append(len(self.doc_blob))
        name_ids = [self._name_id(name) for name in names]
        first_pid, sentence_base = len(self.p_doc), len(self.s_start)
        self.text.add(text, text_end)
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
        self.chunk_lengths.extend(p_len)
        self.token_count += sum(p_len)
        self.longest = max(self.longest, max(p_len, default=0))
        self._add_sentence_terms(packed, first_pid)
        self.doc_first.append(len(self.p_doc))
        if len(self.tokens) >= TOKEN_CHUNK:
            self._flush()
        return d

    def _add_sentence_terms(self, packed: PackedDocument, first_pid: int) -> None:
        """Append the packed sentences' terms as provisional ids, dropping forms that are no
        term (as the query's `term_of_form` finds none for them)."""
        self.p_unstored.extend(first_pid + n for n in packed.unstored)
        s_len, end = packed.s_len, len(self.s_terms)
        if not packed.s_tokens:
            self.s_terms_end.extend(array.array("q", [end]) * len(s_len))
            return
        import numpy as np

        ids = np.frombuffer(self.term_ids[packed.source], dtype=np.int32)
        mapped = ids[np.frombuffer(packed.s_tokens, dtype=np.int32)]
        del ids  # (the numberer's array grows: no view of it may outlive this call)
        lengths = np.frombuffer(s_len, dtype=np.int32)
        if mapped.min() < 0:
            keep = mapped >= 0
            owner = np.repeat(np.arange(len(lengths)), lengths)
            lengths = np.bincount(owner[keep], minlength=len(lengths))
            mapped = mapped[keep]
        self.s_terms.frombytes(mapped.astype(np.int32).tobytes())
        self.s_terms_end.frombytes((end + np.cumsum(lengths, dtype=np.int64)).tobytes())

    def _title_terms(self, rank) -> tuple:
        """Each document title's terms in order, as final ids, with where each title's end:
        looked up in the finished vocabulary only (a title word no passage holds is no term,
        as the query's `term_of_form` finds none), never numbered into it."""
        import numpy as np

        form_ids, out, ends = self.form_ids, array.array("i"), array.array("q", [0])
        for title in self.titles:
            for raw in raw_tokens(title):
                tid = form_ids.get(form_of(raw), -1)
                if tid >= 0:
                    out.append(tid)
            ends.append(len(out))
        return _narrow_ids(np, rank, len(rank))[np.frombuffer(out, dtype=np.int32)], ends

    def _flush(self) -> None:
        """Count this chunk's (term, passage) pairs: provisional term ids, passage ids and
        tf, int32 each, ordered by term then passage (np.unique of term << 32 | pid)."""
        import numpy as np

        first, last = self.chunk_first_pid, len(self.p_doc)
        tokens, self.tokens = self.tokens, array.array("i")
        lengths, self.chunk_lengths = self.chunk_lengths, array.array("i")
        if last > first:
            # np.unique's steps, done in place: its copies and temporaries (some 40 bytes a
            # token) were the peak of a build's memory at 100k passages (bench/results/build_memory.md).
            lengths = np.frombuffer(lengths, dtype=np.int32)
            keys = np.frombuffer(tokens, dtype=np.int32).astype(np.int64)
            del tokens
            keys <<= 32
            keys |= np.repeat(np.arange(first, last, dtype=np.int32), lengths)
            keys.sort()
            new = np.empty(len(keys), dtype=bool)
            new[:1] = True
            np.not_equal(keys[1:], keys[:-1], out=new[1:])
            starts = np.flatnonzero(new)
            del new
            tf = np.diff(starts, append=len(keys)).astype(np.int32)
            keys = keys[starts]
            del starts
            term = (keys >> 32).astype(np.int32)
            keys &= 0xFFFFFFFF
            self.chunks.append((term, keys.astype(np.int32), tf))
            self.chunk_bytes += 12 * len(term)
        self.chunk_first_pid = last
        if self.chunk_bytes >= self.postings_budget:
            self._spill_run()

    def _byte_order(self) -> tuple[list[str], object]:
        """The vocabulary so far in byte order, and each provisional id's place in it."""
        import numpy as np

        vocab = sorted(self.vocab, key=lambda t: t.encode("utf-8"))
        rank = np.empty(len(vocab), dtype=np.int32)
        rank[[self.vocab[t] for t in vocab]] = np.arange(len(vocab), dtype=np.int32)
        return vocab, rank

    def _spill_run(self) -> None:
        """The chunks in memory merged into one run in term-bytes order, written to a scratch
        file: byte order is the final vocabulary's, whatever terms come later, so `finish`
        merges runs without sorting them again."""
        import numpy as np

        _, rank = self._byte_order()
        runs = []
        while self.chunks:
            runs.append(sorted_chunk(*self.chunks.pop(0), rank))
            runs[-1].place(rank)
        self.chunk_bytes = 0
        df = document_frequencies(runs, len(rank))
        post_off = np.zeros(len(rank) + 1, dtype=np.int64)
        np.cumsum(df, out=post_off[1:])
        file = scratch_file(self.scratch)
        size = int(post_off[-1])
        for a, _, pid, tf in merge(runs, post_off, MERGE_BLOCK):
            at = int(post_off[a])
            write_at(file, pid, 4 * at)
            write_at(file, tf, 4 * (size + at))
        del runs
        present = np.flatnonzero(df)
        by_place = np.empty(len(rank), dtype=np.int32)
        by_place[rank] = np.arange(len(rank), dtype=np.int32)
        self.runs.append(Run(by_place[present], df[present], file=file))

    def finish(self, root: Path, files: list) -> tuple[dict, dict]:
        """Sort the vocabulary, lay the postings out term by term, compute each term's idf.

        The runs (those written out, then the chunks still in memory) are merged a block of
        terms at a time (`spill.merge`: runs come in passage order, so each term's passages
        stay sorted) and appended to the postings, which are written out past a buffer: the
        peak memory is a budget and a block, not the corpus's postings. Large sections come
        back as `StreamedSection`s, read from their scratch files as the index is written.
        Sharded indexes (sofa_cli/index/shards.py) read the same `post_tf` and `p_len` with
        collection-wide statistics instead of this index's own (docs/scale.md).
        """
        import numpy as np

        self._flush()
        n = len(self.p_doc)
        # The mean as numpy took it (a float64 sum of integers is exact, then one division).
        avgdl = self.token_count / n if n else 0.0
        # Sorted vocabulary: byte order (binary-searchable; the hash tables below are the fast path).
        vocab, rank = self._byte_order()
        n_terms = len(vocab)
        runs = self.runs
        self.runs = []
        while self.chunks:
            runs.append(sorted_chunk(*self.chunks.pop(0), rank))
        self.chunk_bytes = 0
        for run in runs:
            run.place(rank)
        df = document_frequencies(runs, n_terms)
        post_off = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=post_off[1:])
        idf = bm25.idf_array(self.params, df, n)
        # Written out as they are merged, past a write buffer: the postings are the largest arrays.
        post_pid = SpillArray("i", self.scratch, self.spill_buffer)
        post_tf = SpillArray("i", self.scratch, self.spill_buffer)
        top_tf = 0
        for _a, _b, pid, tf in merge(runs, post_off, MERGE_BLOCK):
            post_pid.frombytes(pid.tobytes())
            post_tf.frombytes(tf.tobytes())
            top_tf = max(top_tf, int(tf.max()) if len(tf) else 0)
        del runs
        tf_type = _count_type(np, top_tf)
        len_type = np.dtype(_count_type(np, self.longest))
        post_tf = post_tf.section(lambda raw: np.frombuffer(raw, dtype=np.int32).astype(tf_type), np.dtype(tf_type).char)
        term_blob, term_off = string_table(vocab)
        form_list = sorted((f for f in self.forms if self.forms[f] in self.vocab), key=lambda f: f.encode("utf-8"))
        form_blob, form_off = string_table(form_list)
        form_term = rank[[self.vocab[self.forms[f]] for f in form_list]].astype(np.int32)
        form_hist = char_hists(form_list)
        title_terms, title_end = self._title_terms(rank)
        # Narrowed before the look-up, so the one temporary is the stored array itself (a
        # chunk of it, when the sentence terms were written out).
        narrow = _narrow_ids(np, rank, n_terms)
        s_terms = self.s_terms.section(lambda raw: narrow[np.frombuffer(raw, dtype=np.int32)], narrow.dtype.char)
        # int32 when the last offset fits (under 2^31 stored terms: about 50 million passages),
        # else int64: the sentence offsets are a fifth of what the stored terms cost.
        if len(self.s_terms) < 1 << 31:
            s_terms_end = self.s_terms_end.section(lambda raw: np.frombuffer(raw, dtype=np.int64).astype(np.int32), "i")
        else:
            s_terms_end = self.s_terms_end.section()
        header = {
            "corpus": str(root),
            "depends": dependencies(self.params).record(),
            "avgdl": avgdl,
            "built": time.time(),
            "files": files,
            "names": list(self.names),
            "authors": list(self.authors),
            "acronyms": {a: e for a, e in self.acronyms.items() if a in self.vocab},
            "synonyms": synonym_groups(),
        }
        sections = {
            **self.text.sections(np),
            "p_doc": self.p_doc.section(),
            "p_num": self.p_num.section(),
            "p_speaker": self.p_speaker.section(),
            "p_prompt": self.p_prompt.section(),
            "p_sent": self.p_sent.section(),
            "s_start": self.s_start.section(),
            "s_end": self.s_end.section(),
            "s_attr": self.s_attr.section(),
            "doc_blob": self.doc_blob.section(),
            "doc_off": self.doc_off,
            "doc_first": self.doc_first,
            "term_blob": term_blob,
            "term_off": term_off,
            "form_blob": form_blob,
            "form_off": form_off,
            "form_term": form_term,
            "form_hist": form_hist,
            "term_hash": hash_table(vocab),
            "form_hash": hash_table(form_list),
            "idf": idf,
            "post_off": post_off,
            "post_pid": post_pid.section(),
            "post_tf": post_tf,
            "p_len": self.p_len.section(lambda raw: np.frombuffer(raw, dtype=np.int32).astype(len_type), len_type.char),
            "s_terms": s_terms,
            "s_terms_end": s_terms_end,
            "p_unstored": self.p_unstored,
            "title_terms": title_terms,
            "title_end": title_end,
        }
        return header, sections


def _narrow_ids(np, ids, n_terms: int):
    """Term ids as uint16 when every id fits (a vocabulary under 65,536 terms: half the
    bytes for the stored sentence terms, the largest of the sections reranking reads), else int32."""
    return ids.astype(np.uint16) if n_terms <= 1 << 16 else ids.astype(np.int32)


def _count_type(np, top: int):
    """Counts (a posting's tf, a passage's length) as uint8 when all fit, else uint16, else
    int32: a passage is capped at MAX_PASSAGE_CHARS characters, so in practice uint8 tf and
    uint16 lengths, 3 bytes a posting less 8 for a float64 impact."""
    for dtype in (np.uint8, np.uint16):
        if top <= np.iinfo(dtype).max:
            return dtype
    return np.int32
