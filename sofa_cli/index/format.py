"""The index file: a JSON header and flat little-endian arrays, memory-mapped on load.

Layout: MAGIC (8 bytes) | header length (4 bytes) | header CRC-32 (4 bytes) | header JSON |
sections, each aligned to 8 bytes; integers little-endian. The header lists every
section's offset, type code, item count and first block; the `block_crc` section holds
the CRC-32 of every BLOCK bytes of every section (its own CRC-32 is in the header).

Every byte an answer is read from is checked, however large the file: the header and the
block table on load, each block of a section the first time something in it is read (a
small section whole, on first use). An answer from a large index reads a few hundred
scattered passages and postings: checking the whole file would cost it more than it
costs to answer (bench/results/index_checksums.md). Nothing is unpickled: loading reads
JSON and maps bytes, so a hostile index file can at worst fail a check, never run code.

Writes go to a temporary file in the same folder, are fsynced, then renamed over the old
file: a crash leaves either the old index or the new one, never a torn one.
"""

from __future__ import annotations

import array
import json
import mmap
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from sofa_cli.errors import SofaError
from sofa_cli.index.atomic_write import signals_unwind, write_atomically

MAGIC = b"SOFAIDX\x00"
# 2: documents moved from the JSON header to sections (decoded on demand), numpy-built postings.
# 3: a header checksum; the vocabulary hash tables and form histograms required; the
#    header records everything the contents depend on (`schema.IndexDependencies`).
# 4: postings hold tf (`post_tf`) and passages their length (`p_len`) instead of float64 impacts.
# 5: passage text in zlib blocks (`text_blocks`).
# 6: the documents' bylines in the header (`authors`).
FORMAT_VERSION = 6


class IndexFileError(SofaError):
    """The file is not a usable sofa index (torn, corrupted, foreign, or too new)."""


class NewerFormatError(IndexFileError):
    pass


class OlderFormatError(IndexFileError):
    """Written by an older sofa: rebuilt without a warning, nothing is wrong with it."""


# Sections are checked in blocks of this many bytes, each the first time it is read.
BLOCK = 16 * 1024


# A section up to this size is checked whole the first time it is read, and is then a
# plain memoryview (no check on each read); a larger one is a `CheckedSection`.
WHOLE_SECTION = 2 * 1024 * 1024


# numpy dtypes (by name) as the array typecodes the header records.
_NUMPY_CODES = {"int32": "i", "int64": "q", "float64": "d", "float32": "f", "uint8": "B", "int8": "b", "uint16": "H"}


def json_bytes(value) -> bytes:
    """`value` as compact UTF-8 JSON; with a string holding lone surrogates (a file name that is
    not UTF-8, as `os` decodes it) as ASCII JSON, whose \\udcxx escapes read back exactly."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


class StreamedSection:
    """A section too large to hold in memory while the index is written: its type code, its
    item count, and `chunks()`, which yields its little-endian bytes in order (afresh on each
    call: a failed write can be retried, e.g. into memory by `cache`). `index.spill` makes
    them from the build's scratch files."""

    def __init__(self, code: str, count: int, chunks: Callable[[], Iterator]) -> None:
        self.code, self.count, self.chunks = code, count, chunks

    def __len__(self) -> int:
        return self.count

    def __bytes__(self) -> bytes:
        return b"".join(bytes(chunk) for chunk in self.chunks())


def _typed_bytes(data) -> tuple[str, int, memoryview]:
    """(typecode, item count, little-endian bytes) of an array.array, numpy array or bytes."""
    if isinstance(data, array.array):
        if sys.byteorder != "little" and data.itemsize > 1:
            data = array.array(data.typecode, data)
            data.byteswap()
        return data.typecode, len(data), memoryview(data).cast("B")
    dtype = getattr(data, "dtype", None)
    if dtype is not None:
        code = _NUMPY_CODES[dtype.name]
        data = data.astype(dtype.newbyteorder("<"), copy=False)
        if not data.flags.c_contiguous:
            data = data.copy()
        return code, len(data), memoryview(data).cast("B")
    raw = memoryview(data).cast("B")
    return "B", len(raw), raw


def write_index(path: Path, header: dict, sections: dict) -> None:
    """Atomically write `header` and `sections` (array.array, numpy arrays, bytes or
    `StreamedSection`s) to `path`.

    Sections are streamed to the file as they are, never joined into one buffer: at a
    million passages that would double the memory a build needs; a `StreamedSection` is
    read from its scratch file a chunk at a time. The temporary file is removed on any
    error, on Ctrl-C, SIGTERM and SIGHUP (`signals_unwind`); after kill -9, by the next
    build (`cache`).
    """
    with signals_unwind():
        _write_index(path, header, sections)


# The header's room for the block table's CRC-32, written last: its widest value, so the
# header's length is known before the sections are written (a narrower value is followed
# by spaces, which JSON ignores).
_WIDEST_CRC = 0xFFFFFFFF


class _BlockCrcs:
    """The CRC-32 of every BLOCK bytes of one section, fed its bytes in chunks of any size."""

    def __init__(self, out: array.array) -> None:
        self.out, self.crc, self.filled = out, 0, 0

    def feed(self, raw: memoryview) -> None:
        at = 0
        if self.filled:
            take = min(BLOCK - self.filled, len(raw))
            self.crc = zlib.crc32(raw[:take], self.crc)
            self.filled += take
            at = take
            if self.filled == BLOCK:
                self.out.append(self.crc)
                self.crc = self.filled = 0
        whole = at + (len(raw) - at) // BLOCK * BLOCK
        self.out.extend(zlib.crc32(raw[a : a + BLOCK]) for a in range(at, whole, BLOCK))
        if whole < len(raw):
            self.crc, self.filled = zlib.crc32(raw[whole:]), len(raw) - whole

    def close(self) -> None:
        if self.filled:
            self.out.append(self.crc)
            self.crc = self.filled = 0


def _write_index(path: Path, header: dict, sections: dict) -> None:
    """The header's section table is laid out from the sections' sizes, room is left for the
    header, the sections are written (and their block CRCs computed) as they stream, then
    the block table, and last the header over the room left for it."""
    table = {}
    offset = blocks_before = 0
    for name, data in sections.items():
        if isinstance(data, StreamedSection):
            code, count = data.code, data.count
        else:
            code, count, _ = _typed_bytes(data)
        size = count * _ITEMSIZE[code]
        table[name] = [offset, code, count, blocks_before]
        blocks_before += _n_blocks(size)
        offset += size + (-size) % 8
    table["block_crc"] = [offset, "I", blocks_before, -1]
    room = len(_head_bytes(dict(header, format_version=FORMAT_VERSION, sections=table, block_crc=_WIDEST_CRC)))
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(out: BinaryIO) -> None:
        out.write(bytes(16 + room))
        blocks = array.array("I")
        for data in sections.values():
            crcs = _BlockCrcs(blocks)
            size = 0
            chunks = data.chunks() if isinstance(data, StreamedSection) else [_typed_bytes(data)[2]]
            for chunk in chunks:
                raw = memoryview(chunk).cast("B")
                crcs.feed(raw)
                out.write(raw)
                size += len(raw)
            crcs.close()
            out.write(b"\0" * ((-size) % 8))
        if len(blocks) != blocks_before:
            raise ValueError("a streamed section wrote other than its declared size")
        raw = _typed_bytes(blocks)[2]
        out.write(raw)
        head = _head_bytes(dict(header, format_version=FORMAT_VERSION, sections=table, block_crc=zlib.crc32(raw)))
        head += b" " * (room - len(head))
        out.seek(0)
        out.write(MAGIC)
        out.write(len(head).to_bytes(4, "little"))
        out.write(zlib.crc32(head).to_bytes(4, "little"))
        out.write(head)

    write_atomically(path, write)


def _head_bytes(header: dict) -> bytes:
    head = json_bytes(header)
    return head + b" " * ((-len(head)) % 8)


def read_block_crc(path: Path) -> int:
    """The block table checksum of the index file at `path`, read back from the written file:
    what a manifest records to recognise the file later."""
    written = IndexFile(path)
    try:
        return written.header["block_crc"]
    finally:
        written.close()


class IndexFile:
    """A mapped index file: `header` (dict) and `section(name)`, each checked before use."""

    def __init__(self, path: Path) -> None:
        try:
            # O_NONBLOCK: opening a FIFO planted as the index must not wait for a writer.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise IndexFileError("index is not a regular file")
                size = st.st_size
                if size < 16:
                    raise IndexFileError("index file is truncated")
                self._map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            finally:
                os.close(fd)
        except (ValueError, OSError) as err:
            raise IndexFileError(f"cannot read index: {err}") from err
        view = memoryview(self._map)
        self._handed_out: list[memoryview] = [view]
        if bytes(view[:8]) != MAGIC:
            raise IndexFileError("not a sofa index file")
        head_len = int.from_bytes(view[8:12], "little")
        if 16 + head_len > size:
            raise IndexFileError("index file is truncated")
        head = bytes(view[16 : 16 + head_len])
        crc = int.from_bytes(view[12:16], "little")
        if zlib.crc32(head) != crc:
            # Format 2 held an 8-byte length there, whose high half was zero.
            if crc == 0 and isinstance(version := _version(head), int) and version < FORMAT_VERSION:
                raise OlderFormatError(f"index format {version} is older than this sofa's")
            raise IndexFileError("index header fails its checksum")
        try:
            self.header = json.loads(head)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise IndexFileError("index header is corrupted") from err
        if not isinstance(self.header, dict):
            raise IndexFileError("index header is corrupted")
        version = self.header.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise NewerFormatError(f"index format {version} is newer than this sofa understands")
        if version < FORMAT_VERSION:
            raise OlderFormatError(f"index format {version} is older than this sofa's")
        self._view = view
        self._table = _section_table(self.header.get("sections"), 16 + head_len, size)
        self._sections: dict[str, memoryview | CheckedSection] = {}
        start, end, _, _, _ = self._table.get("block_crc") or (0, 0, "I", 0, -1)
        blocks = view[start:end]
        if "block_crc" not in self._table or zlib.crc32(blocks) != self.header.get("block_crc"):
            raise IndexFileError("index block table fails its checksum")
        self._block_crcs = blocks.cast("I")
        self._handed_out.append(self._block_crcs)
        self._checked = bytearray(len(self._block_crcs))  # 1: that block was checked
        for name, (start, end, _, _, first) in self._table.items():
            if name != "block_crc" and not 0 <= first <= first + _n_blocks(end - start) <= len(self._block_crcs):
                raise IndexFileError("index header is corrupted (block table)")

    def count(self, name: str) -> int:
        """How many items the section holds (read from the header: nothing is checked)."""
        return self._table[name][3]

    def section(self, name: str) -> memoryview | CheckedSection:
        """The section as a typed sequence whose every item is checked before it is read:
        a small section is checked whole now, a large one block by block as it is read."""
        found = self._sections.get(name)
        if found is None:
            start, end, code, count, _ = self._table[name]
            raw = self._view[start:end]
            typed = raw.cast(code) if code != "B" else raw
            self._handed_out += [raw, typed]
            if end - start <= WHOLE_SECTION:
                self.check(name, 0, count)
                found = typed
            else:
                found = CheckedSection(self, name, typed)
            self._sections[name] = found
        return found

    def check(self, name: str, first: int, end: int) -> None:
        """Check the blocks holding items first..end-1 of the section (once each)."""
        start, stop, code, count, block0 = self._table[name]
        if end <= first or block0 < 0:  # nothing to read, or the block table (checked on load)
            return
        itemsize = _ITEMSIZE[code]
        a = block0 + (first * itemsize) // BLOCK
        b = block0 + (min(end, count) * itemsize - 1) // BLOCK
        checked = self._checked
        if a == b:
            if not checked[a]:
                self.check_block(name, a)
        elif checked.find(0, a, b + 1) >= 0:
            for n in range(a, b + 1):
                if not checked[n]:
                    self.check_block(name, n)

    def check_block(self, name: str, n: int) -> None:
        """Check block `n` (of the whole file's block table), which lies in section `name`."""
        start, stop, _, _, block0 = self._table[name]
        at = start + (n - block0) * BLOCK
        if zlib.crc32(self._view[at : min(at + BLOCK, stop)]) != self._block_crcs[n]:
            raise IndexFileError(f"index section {name!r} fails its checksum")
        self._checked[n] = 1

    def check_all(self) -> None:
        """Check every block of every section (what `sofa index` does with an index it keeps)."""
        for name in self._table:
            self.check(name, 0, self.count(name))

    def unchecked_bytes(self, name: str) -> memoryview:
        """The section's bytes, not checked: for numpy.frombuffer, whose reader must `check`
        every range it reads."""
        start, end, _, _, _ = self._table[name]
        raw = self._view[start:end]
        self._handed_out.append(raw)
        return raw

    def unchecked_items(self, name: str) -> memoryview:
        """The section as a typed memoryview, not checked: for a search (a bisection) whose
        reader then checks the items it settles on (`Index.passage_text`)."""
        code = self._table[name][2]
        raw = self.unchecked_bytes(name)
        typed = raw.cast(code) if code != "B" else raw
        self._handed_out.append(typed)
        return typed

    def close(self) -> None:
        """Release every view of the mapping and unmap it. A view still exported (a numpy
        array someone kept) leaves the mapping to be unmapped when that is collected."""
        self._sections.clear()
        for view in reversed(self._handed_out):
            try:
                view.release()
            except BufferError:
                pass
        self._handed_out.clear()
        try:
            self._map.close()
        except BufferError:
            pass


class CheckedSection(Sequence):
    """A large section, read as its typed memoryview is, whose blocks are checked against
    their CRC-32 the first time an item in them is read (`IndexFile.check`)."""

    __slots__ = ("_file", "_name", "_view", "_len", "_checked", "_block0", "_per_block")

    def __init__(self, file: IndexFile, name: str, view: memoryview) -> None:
        self._file, self._name, self._view, self._len = file, name, view, len(view)
        self._checked = file._checked
        self._block0 = file._table[name][4]
        self._per_block = BLOCK // view.itemsize

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i):
        if isinstance(i, slice):
            first, end = i.start, i.stop
            # The reader's usual slice, [a:b] with 0 <= a < b <= len in at most two blocks
            # already checked, is seen inline (a question reads a dozen per candidate).
            if i.step is None and first.__class__ is int and end.__class__ is int and 0 <= first < end <= self._len:
                a = self._block0 + first // self._per_block
                b = self._block0 + (end - 1) // self._per_block
                checked = self._checked
                if b - a > 1 or not (checked[a] and checked[b]):
                    self._file.check(self._name, first, end)
                return self._view[first:end]
            first, end, step = i.indices(self._len)
            if step != 1:
                raise ValueError("a checked section is sliced with step 1")
            self._file.check(self._name, first, end)
        else:  # one item: the one block, inline (this is on the path of every posting look-up)
            at = i + self._len if i < 0 else i
            if 0 <= at < self._len:
                n = self._block0 + at // self._per_block
                if not self._checked[n]:
                    self._file.check_block(self._name, n)
        return self._view[i]


_ITEMSIZE = {code: array.array(code).itemsize for code in "bBhHiIlLqQfd"}


def _n_blocks(nbytes: int) -> int:
    return -(-nbytes // BLOCK)


def _version(head: bytes) -> object:
    """The format version a header claims, None when it is no JSON object."""
    try:
        header = json.loads(head)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return header.get("format_version") if isinstance(header, dict) else None


def _section_table(sections, base: int, size: int) -> dict[str, tuple[int, int, str, int, int]]:
    """Each section's (start, end, type code, item count, first block), from the header's
    table, checked to lie inside the file: a header that lies about its sections fails here."""
    if not isinstance(sections, dict):
        raise IndexFileError("index header is corrupted (no sections)")
    table = {}
    try:
        for name, (offset, code, count, first) in sections.items():
            itemsize = array.array(code).itemsize
            start = base + offset
            end = start + itemsize * count
            if not (base <= start <= end <= size) or count < 0 or not isinstance(first, int):
                raise IndexFileError("index file is truncated")
            table[name] = (start, end, code, count, first)
    except (TypeError, ValueError, AttributeError) as err:
        raise IndexFileError(f"index header is corrupted ({err})") from err
    return table
