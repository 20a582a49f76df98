"""The index file: a JSON header and flat little-endian arrays, memory-mapped on load.

Layout: MAGIC (8 bytes) | header length (4 bytes) | header CRC-32 (4 bytes) | header JSON |
sections, each aligned to 8 bytes; integers little-endian. The header lists every
section's offset, type code, length and CRC-32. Every byte an answer is read from is
checked: the header on load, each section the first time it is read. Nothing is
unpickled: loading reads JSON and maps bytes, so a hostile index file can at worst fail a
check, never run code.

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
from contextlib import contextmanager
from pathlib import Path

from sofa_cli.errors import SofaError

MAGIC = b"SOFAIDX\x00"
# 2: documents moved from the JSON header to sections (decoded on demand), numpy-built postings.
# 3: a header checksum; the vocabulary hash tables and form histograms required; the
#    header records everything the contents depend on (`schema.IndexDependencies`).
FORMAT_VERSION = 3


class IndexFileError(SofaError):
    """The file is not a usable sofa index (torn, corrupted, foreign, or too new)."""


class NewerFormatError(IndexFileError):
    pass


class OlderFormatError(IndexFileError):
    """Written by an older sofa: rebuilt without a warning, nothing is wrong with it."""


# numpy dtypes (by name) as the array typecodes the header records.
_NUMPY_CODES = {"int32": "i", "int64": "q", "float64": "d", "float32": "f", "uint8": "B", "int8": "b"}


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


class _Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the process was so that clean-ups run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_unwind():
    """Within the block, SIGTERM and SIGHUP unwind it (its `finally` and `except` clauses
    remove temporary files), then end the process as the signal would have: with the
    handler that was there before (by default, killed by that signal).

    Only in the main thread (the only one that gets Python signal handlers), and not for a
    signal that is ignored (`nohup`). A forked child (a parse worker) keeps the default.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise _Terminated(signum)

    wanted = [s for s in (signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) is not signal.SIG_IGN]
    before = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    except _Terminated as stop:
        for s, old in before.items():
            signal.signal(s, old)
        before = {}
        os.kill(os.getpid(), stop.signum)  # the previous handler's turn (the default: the end)
        raise SystemExit(128 + stop.signum) from None
    finally:
        for s, old in before.items():
            signal.signal(s, old)


def write_index(path: Path, header: dict, sections: dict) -> None:
    """Atomically write `header` and `sections` (array.array, numpy arrays or bytes) to `path`.

    Sections are streamed to the file as they are, never joined into one buffer: at a
    million passages that would double the memory a build needs. The temporary file is
    removed on any error, on Ctrl-C, SIGTERM and SIGHUP (`signals_unwind`); after kill -9,
    by the next build (`cache`).
    """
    with signals_unwind():
        _write_index(path, header, sections)


def _write_index(path: Path, header: dict, sections: dict) -> None:
    table = {}
    offset = 0
    views = []
    for name, data in sections.items():
        code, count, raw = _typed_bytes(data)
        table[name] = [offset, code, count, zlib.crc32(raw)]
        pad = (-len(raw)) % 8
        views.append((raw, pad))
        offset += len(raw) + pad
    header = dict(header, format_version=FORMAT_VERSION, sections=table)
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head += b" " * ((-len(head)) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # only when writing: it imports random, shutil, ...

    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC)
            out.write(len(head).to_bytes(4, "little"))
            out.write(zlib.crc32(head).to_bytes(4, "little"))
            out.write(head)
            for raw, pad in views:
                out.write(raw)
                out.write(b"\0" * pad)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


class IndexFile:
    """A mapped index file: `header` (dict) and `section(name)` (a typed memoryview).

    Each section is checked against its CRC-32 the first time it is read, whatever the
    file's size: an answer pays for the sections it reads, once per process.
    """

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
        self._handed_out: list[memoryview] = [view]
        self._sections: dict[str, memoryview] = {}
        self._table = _section_table(self.header.get("sections"), 16 + head_len, size)

    def count(self, name: str) -> int:
        """How many items the section holds (read from the header: nothing is checked)."""
        return self._table[name][3]

    def section(self, name: str) -> memoryview:
        """The section as a typed memoryview, checked against its CRC-32 on first use."""
        view = self._sections.get(name)
        if view is None:
            start, end, code, _count, crc = self._table[name]
            raw = self._view[start:end]
            if zlib.crc32(raw) != crc:
                raise IndexFileError(f"index section {name!r} fails its checksum")
            view = self._sections[name] = raw.cast(code) if code != "B" else raw
        return view

    def raw(self, name: str) -> memoryview:
        """The section's bytes (for numpy.frombuffer, or a blob of strings)."""
        raw = self.section(name).cast("B")
        self._handed_out.append(raw)
        return raw

    def close(self) -> None:
        """Release every view of the mapping and unmap it. A view still exported (a numpy
        array someone kept) leaves the mapping to be unmapped when that is collected."""
        for view in [*self._sections.values(), *reversed(self._handed_out)]:
            try:
                view.release()
            except BufferError:
                pass
        self._sections.clear()
        self._handed_out.clear()
        try:
            self._map.close()
        except BufferError:
            pass


def _version(head: bytes) -> object:
    """The format version a header claims, None when it is no JSON object."""
    try:
        header = json.loads(head)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return header.get("format_version") if isinstance(header, dict) else None


def _section_table(sections, base: int, size: int) -> dict[str, tuple[int, int, str, int, int]]:
    """Each section's (start, end, type code, item count, CRC-32), from the header's table,
    checked to lie inside the file: a header that lies about its sections fails here."""
    if not isinstance(sections, dict):
        raise IndexFileError("index header is corrupted (no sections)")
    table = {}
    try:
        for name, (offset, code, count, crc) in sections.items():
            itemsize = array.array(code).itemsize
            start = base + offset
            end = start + itemsize * count
            if not (base <= start <= end <= size) or count < 0:
                raise IndexFileError("index file is truncated")
            table[name] = (start, end, code, count, crc)
    except (TypeError, ValueError, AttributeError) as err:
        raise IndexFileError(f"index header is corrupted ({err})") from err
    return table
