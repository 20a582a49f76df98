"""Passage text stored in zlib blocks: runs of whole passages of up to TEXT_BLOCK bytes, each
compressed on its own, so reading one passage inflates one small block.

The text was 39% of an index at 100,000 passages. An answer reads the text of its ~100
candidates (the rerank reads their sentences), so the block size trades disk for answer time,
measured at 100k (bench/results/index_disk.md): 512-byte blocks take 0.61x the text's bytes and
1.1 ms more CPU a question, 1 KiB 0.58x and 1.8 ms, 2 KiB 0.54x and 2.5 ms (16 KiB, tantivy's,
0.46x and several times more).

Sections: `text` the compressed blocks end to end, `text_block` where each block ends in it
(with a leading 0), `text_start` where each block starts in the uncompressed text (with its
end last), `text_off` where each passage starts in the uncompressed text (with its end last).
"""

from __future__ import annotations

import zlib
from bisect import bisect_right

from sofa_cli.index.format import IndexFileError

TEXT_BLOCK = 1024


LEVEL = 6  # at these sizes, as fast to compress as level 1 and 2% smaller


class TextBlocks:
    """The four text sections, compressed as the passages arrive (`add`), as Lucene and
    tantivy compress stored fields a chunk at a time: a build never writes its text out
    uncompressed to read it back, and the compression no longer waits, alone on one core, for
    the last file to be parsed (at a million passages it was 21 of `finish`'s 28 s).

    A block is the longest run of whole passages, from where the last block ended, whose text
    fits in TEXT_BLOCK bytes; a passage longer than that is a block of its own. The passages
    that could still join a block wait in `pending` until one ends past the block's room (or
    `sections` ends the text), so the blocks are those the whole text would be cut into."""

    def __init__(self, folder=None, buffer: int = 4 * 1024 * 1024) -> None:
        from sofa_cli.index.spill import SpillArray

        self.blob = SpillArray("B", folder, buffer)
        # Where each block ends in `blob` and starts in the text, and each passage starts (the
        # ends last): written out too, as they grow with the corpus (16 bytes a block, 8 a passage).
        self.ends, self.starts, self.off = (SpillArray("q", folder, buffer, (0,)) for _ in range(3))
        self.pending = b""  # the text from the last block's end on
        self.bounds = [0]  # where the pending passages start, and the last one's end

    def add(self, text: bytes, ends) -> None:
        """A document's passages: their text end to end, and where each ends in it."""
        base = self.bounds[-1]
        ends = [base + end for end in ends]
        self.off.extend(ends)
        self.pending += text
        self.bounds += ends
        self._cut(final=False)

    def _cut(self, final: bool) -> None:
        bounds, pending, blob = self.bounds, self.pending, self.blob
        first, last = 0, len(bounds) - 1
        ends, starts = [], []
        while first < last:
            room = bounds[first] + TEXT_BLOCK
            if bounds[last] <= room and not final:
                break  # passages still to come may fit in this block
            end = max(bisect_right(bounds, room, first) - 1, first + 1)
            a, b = bounds[first] - bounds[0], bounds[end] - bounds[0]
            blob.frombytes(zlib.compress(pending[a:b], LEVEL))
            ends.append(len(blob))
            starts.append(bounds[end])
            first = end
        if first:
            self.ends.extend(ends)
            self.starts.extend(starts)
            self.pending = pending[bounds[first] - bounds[0] :]
            del bounds[:first]

    def sections(self, np) -> dict:
        """`text` (streamed from its scratch file once it outgrew the buffer), and
        `text_block`, `text_start` and `text_off` as arrays."""
        self._cut(final=True)
        return {
            "text": self.blob.section(),
            "text_block": _narrow(np, _int64s(np, self.ends)),
            "text_start": _narrow(np, _int64s(np, self.starts)),
            "text_off": _narrow(np, _int64s(np, self.off)),
        }


def _int64s(np, spilled):
    """A SpillArray of int64s whole, from memory or its scratch file (at a million passages,
    8 MB of passage offsets; read when the parse workers are gone)."""
    section = spilled.section()
    return np.frombuffer(b"".join(section.chunks()) if hasattr(section, "chunks") else section, dtype=np.int64)


def inflate(compressed: bytes, size: int) -> bytes:
    """One block, which must inflate to exactly `size` bytes: a damaged or hostile block fails
    here as an index error, and never inflates to more than `size` + 1 bytes."""
    try:
        raw = zlib.decompressobj().decompress(compressed, size + 1)
    except zlib.error as err:
        raise IndexFileError(f"index section 'text' is corrupted ({err})") from err
    if len(raw) != size:
        raise IndexFileError("index section 'text' is corrupted (a block's length)")
    return raw


def _narrow(np, offsets):
    """Offsets as int32 while they fit (under 2 GB of text), else int64."""
    return offsets.astype(np.int32) if not len(offsets) or offsets[-1] < 1 << 31 else offsets.astype(np.int64)
