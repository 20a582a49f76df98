"""Bounded memory for large builds: what the compiler accumulates moves to scratch files.

As Lucene and tantivy write segments, the compiler writes its postings, once they reach a
budget, as a sorted run (`Run`: a segment's postings, ordered by term bytes then passage),
and `merge` joins the runs term by term into the index's postings, a block of terms at a
time. Sentence terms, spans and the compressed text blocks (text_blocks.py) need no sorting:
they are appended to a scratch file (`SpillArray`) and read back a chunk at a time as the
index is written (`StreamedSection`).

Scratch files are made beside the index being written and have no name from the start
(`tempfile.TemporaryFile`: O_TMPFILE, or unlinked as it is created): whatever ends the build
(success, an error, Ctrl-C, SIGTERM, kill -9), the kernel frees them when the last file
descriptor closes, and no leftover is ever there to clean up.
"""

from __future__ import annotations

import array
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from sofa_cli.index.format import StreamedSection

# Bytes read from a scratch file at a time while the index is written.
READ_CHUNK = 4 * 1024 * 1024


def scratch_file(folder: Path | None):
    """An unnamed read-write file in `folder` (beside the index, on its filesystem), or in the
    system's temporary folder when `folder` cannot take one."""
    import tempfile

    if folder is not None:
        try:
            return tempfile.TemporaryFile(dir=folder)
        except OSError:
            pass
    return tempfile.TemporaryFile()


def _read(file, offset: int, size: int) -> bytes:
    out = os.pread(file.fileno(), size, offset)
    if len(out) != size:
        raise OSError(f"scratch file cut short ({len(out)} of {size} bytes at {offset})")
    return out


def write_at(file, raw, offset: int) -> None:
    view = memoryview(raw).cast("B")
    while view:
        done = os.pwrite(file.fileno(), view, offset)
        view, offset = view[done:], offset + done


# mallopt's parameter number for the mmap threshold (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3


def keep_large_allocations_mapped() -> None:
    """Serve every allocation over 128 KiB from its own mmap for the rest of the process, so
    freeing it gives its memory back (glibc's `mallopt`; nothing where there is none).

    glibc does so until freeing such a block raises that threshold to the block's size (up to
    32 MiB): from then on a build's numpy temporaries (a chunk's keys, a merged block) come
    from the heap, and what they leave free between the arrays a build keeps stays resident.
    Setting the threshold ends that adjustment. At 100,000 passages: peak RSS 178 -> 150 MB
    (`malloc_trim` after each step instead: 171 MB). Its cost is page faults (each large
    temporary is fresh pages): +1.0 s of system CPU in the building process at 100k, some 3%
    of the build's CPU; a threshold of 1 MiB saves half the memory for +0.4 s, 4 MiB little
    (bench/results/build_memory.md).
    """
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError, TypeError):  # no glibc (macOS, Windows)
        pass


class SpillArray:
    """An array appended to in memory and moved to a scratch file each time it reaches
    `limit` bytes; `section` gives it back whole (never spilled) or streamed from the file."""

    def __init__(self, typecode: str, folder: Path | None, limit: int, initial: tuple = ()) -> None:
        self.buffer = array.array(typecode, initial)
        self.typecode, self.folder, self.limit = typecode, folder, limit
        self.file = None
        self.spilled = 0  # items in the file

    def __len__(self) -> int:
        return self.spilled + len(self.buffer)

    def frombytes(self, raw) -> None:
        self.buffer.frombytes(raw)
        if len(self.buffer) * self.buffer.itemsize >= self.limit:
            self.spill()

    def extend(self, items) -> None:
        self.buffer.extend(items)
        if len(self.buffer) * self.buffer.itemsize >= self.limit:
            self.spill()

    def spill(self) -> None:
        if not self.buffer:
            return
        if self.file is None:
            self.file = scratch_file(self.folder)
        write_at(self.file, self.buffer, self.spilled * self.buffer.itemsize)
        self.spilled += len(self.buffer)
        self.buffer = array.array(self.typecode)

    def section(self, convert: Callable | None = None, code: str | None = None):
        """The array (or `convert` of it, whose type code is `code`): in memory when it never
        reached its limit, else a `StreamedSection` reading the file a chunk at a time."""
        if self.file is None:
            return convert(self.buffer) if convert else self.buffer
        self.spill()
        file, total, itemsize = self.file, self.spilled * self.buffer.itemsize, self.buffer.itemsize
        step = READ_CHUNK // itemsize * itemsize

        def chunks() -> Iterator:
            for at in range(0, total, step):
                raw = _read(file, at, min(step, total - at))
                yield convert(raw) if convert else raw

        return StreamedSection(code or self.typecode, self.spilled, chunks)


class Run:
    """One sorted run of postings: `terms` (provisional ids, each once, in term-bytes order),
    `counts` (postings of each), and the postings' passage ids and tfs (int32 each), ordered
    by term then passage, in memory or in a scratch file (passages, then tfs)."""

    def __init__(self, terms, counts, pid=None, tf=None, file=None) -> None:
        import numpy as np

        self.terms, self.pid, self.tf, self.file = terms, pid, tf, file
        # Where each term's postings start (the counts are its differences, not kept: a build
        # at a million passages holds some forty runs' per-term arrays until `finish`).
        self.starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.starts[1:])
        self.positions = None  # each term's place in the order being merged into (`place`)

    @property
    def counts(self):
        """Postings of each term."""
        import numpy as np

        return np.diff(self.starts)

    @property
    def size(self) -> int:
        return int(self.starts[-1])

    def place(self, rank) -> None:
        """Take each term's final id; term-bytes order makes them ascending in every run."""
        import numpy as np

        self.positions = rank[self.terms]
        if len(self.positions) > 1 and not bool(np.all(self.positions[1:] > self.positions[:-1])):
            raise AssertionError("a postings run is not in term order")

    def rows(self, first: int, end: int):
        """(passage ids, tfs) of rows first..end-1."""
        import numpy as np

        if self.file is None:
            return self.pid[first:end], self.tf[first:end]
        n = end - first
        pid = np.frombuffer(_read(self.file, 4 * first, 4 * n), dtype=np.int32)
        tf = np.frombuffer(_read(self.file, 4 * (self.size + first), 4 * n), dtype=np.int32)
        return pid, tf


def sorted_chunk(term, passage, tf, rank) -> Run:
    """A chunk counted in provisional-id order (`Compiler._flush`), its terms' groups of
    postings reordered by `rank` (each group's passages stay ascending): an in-memory run."""
    import numpy as np

    if not len(term):
        empty = np.empty(0, dtype=np.int32)
        return Run(empty, np.empty(0, dtype=np.int64), empty, empty)
    first = np.flatnonzero(np.concatenate(([True], term[1:] != term[:-1])))
    counts = np.diff(np.append(first, len(term)))
    order = np.argsort(rank[term[first]], kind="stable")
    counts, first = counts[order], first[order]
    # Each posting's row in the chunk, made in place and as int32 when the chunk allows
    # (every chunk in practice: TOKEN_CHUNK tokens): 8 bytes a posting at once rather than the
    # 24 of int64 temporaries, at the peak of a build's memory (bench/results/build_memory.md).
    row_type = np.int32 if len(term) < 1 << 31 else np.int64
    rows = np.repeat((first - (np.cumsum(counts) - counts)).astype(row_type), counts)
    rows += np.arange(len(term), dtype=row_type)
    return Run(term[first], counts, passage[rows], tf[rows])


def document_frequencies(runs: list[Run], n_terms: int):
    """Postings per final term id over the placed runs."""
    import numpy as np

    df = np.zeros(n_terms, dtype=np.int64)
    for run in runs:
        df[run.positions] += run.counts
    return df


def merge(runs: list[Run], post_off, block: int) -> Iterator[tuple]:
    """The placed runs' postings joined term by term, `block` postings or so at a time (a
    term's postings are never split): (first term, last term + 1, passage ids, tfs), each
    term's passages ascending (runs come in passage order). `post_off`: each term's first
    posting in the joined order (len n_terms + 1)."""
    import numpy as np

    n_terms, total = len(post_off) - 1, int(post_off[-1])
    cuts = np.searchsorted(post_off, np.arange(block, total, block), side="right") - 1
    bounds = np.unique(np.concatenate(([0], cuts, [n_terms])))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        base = int(post_off[a])
        n = int(post_off[b]) - base
        pid = np.empty(n, dtype=np.int32)
        tf = np.empty(n, dtype=np.int32)
        fill = post_off[a:b] - base
        for run in runs:
            lo, hi = np.searchsorted(run.positions, [a, b])
            if lo == hi:
                continue
            counts = np.diff(run.starts[lo : hi + 1])
            local = run.positions[lo:hi] - a
            run_pid, run_tf = run.rows(int(run.starts[lo]), int(run.starts[hi]))
            within = np.arange(len(run_pid)) - np.repeat(np.cumsum(counts) - counts, counts)
            where = np.repeat(fill[local], counts) + within
            pid[where] = run_pid
            tf[where] = run_tf
            fill[local] += counts
        yield a, b, pid, tf
