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

from sofa_cli.index.format import IndexFileError

TEXT_BLOCK = 1024


LEVEL = 6  # at these sizes, as fast to compress as level 1 and 2% smaller


def compress(np, text, text_off, folder=None, buffer: int = 4 * 1024 * 1024) -> dict:
    """The four text sections of `text` whose passages start at `text_off` (int64, with the
    end last): bytes or arrays, or the build's `SpillArray`s (index/spill.py), read a window at
    a time and the compressed blocks written out past `buffer` bytes, so a large build never
    holds its text. A block holds whole passages; a passage longer than TEXT_BLOCK is a block."""
    import array

    from sofa_cli.index.spill import SpillArray

    off = np.frombuffer(bytes(_whole(text_off)), dtype=np.int64)
    n = len(off) - 1
    # Arrays, not lists: 8 bytes a block, not 36 (at a million passages, 400,000 blocks).
    cuts = array.array("q", [0])
    while cuts[-1] < n:
        first = cuts[-1]
        end = int(np.searchsorted(off, off[first] + TEXT_BLOCK, side="right")) - 1
        cuts.append(min(n, max(end, first + 1)))
    blob, ends = SpillArray("B", folder, buffer), array.array("q", [0])
    window = _Window(text)
    for a, b in zip(cuts, cuts[1:]):
        blob.frombytes(zlib.compress(window.read(int(off[a]), int(off[b])), LEVEL))
        ends.append(len(blob))
    return {
        "text": blob.section(),
        "text_block": _narrow(np, np.frombuffer(ends, dtype=np.int64)),
        "text_start": _narrow(np, off[np.frombuffer(cuts, dtype=np.int64)]),
        "text_off": _narrow(np, off),
    }


def _whole(data):
    """An array, or a SpillArray's contents joined (the passages' offsets: 8 bytes a passage)."""
    section = data.section() if hasattr(data, "section") else data
    return bytes(section) if not isinstance(section, (bytes, bytearray)) else section


class _Window:
    """Byte ranges read in order from bytes, an array, or a SpillArray's file then buffer,
    holding one read chunk at a time."""

    def __init__(self, text) -> None:
        section = text.section() if hasattr(text, "section") else text
        if hasattr(section, "chunks"):
            self.chunks = (bytes(chunk) for chunk in section.chunks())
            self.data, self.start = b"", 0
        else:
            self.chunks = iter(())
            self.data, self.start = memoryview(section).cast("B"), 0

    def read(self, a: int, b: int) -> bytes:
        while self.start + len(self.data) < b:
            kept = self.data[a - self.start :]
            self.data, self.start = bytes(kept) + next(self.chunks), a
        return bytes(self.data[a - self.start : b - self.start])


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
