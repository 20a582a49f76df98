"""Loading: files in a corpus folder become documents (metadata + body text).

Formats: `.md` / `.txt` with an optional `---` metadata header, `.html` / `.htm`,
and `.jsonl` (one document per line). Reading is defensive: corpus folders hold files
sofa did not write, so undecodable, binary or vanished files are reported as
`Skipped`, never raised.

Memory stays bounded whatever the files: a text file larger than `STREAM_THRESHOLD` is
read in chunks and split into paragraphs as it goes (its `Document` carries a stream of
paragraphs instead of a body), `.jsonl` files are read a line at a time (a line over
`MAX_JSONL_LINE` is skipped unread), an HTML page is read up to `MAX_HTML_BYTES`, and no
paragraph or line, however long, becomes a passage longer than `MAX_PASSAGE_CHARS`.

Every file is opened without blocking and read only when it is a regular file: one swapped
for a FIFO between the scan and the read is skipped, not waited on forever.
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sofa_cli.corpus.decode import BINARY_SNIFF, LATIN1_WARNING, bom_codec, decode, drop_invisible, encoding_of, loads_json
from sofa_cli.corpus.discover import HTML_SUFFIXES, JSONL_SUFFIXES, OUTSIDE_LINK, TEXT_SUFFIXES, Skipped
from sofa_cli.corpus.paragraphs import (
    _BLANK_LINE_RE,
    MAX_PASSAGE_CHARS,
    _cuts,
    cap_length,
    first_heading,
    has_blank_line,
    is_reflowed,
    leading_title,
    looks_like_interview,
    reflow,
    spaced_wrap_width,
    split_paragraphs,
    unwrap_block,
    wrap_width,
)
from sofa_cli.model import KINDS

METADATA_KEYS = ("title", "source", "author", "date", "kind", "url")


# Limits that keep one odd file from costing more than its share (see docs/robustness.md).
# Above this size a text file is streamed rather than read whole: well above any article,
# small enough that reading one whole costs little memory.
STREAM_THRESHOLD = 8 * 1024 * 1024


# Bytes decoded at a time when streaming: large enough that the per-chunk work is negligible.
READ_CHUNK = 1024 * 1024


# The beginning of a streamed file that decides its encoding, metadata header, title, kind
# and paragraph style (blank-line separated or one per line).
HEAD_BYTES = 1024 * 1024


# A `.jsonl` line longer than this is skipped without being held: a document that size is
# not an article, and a line is decoded and parsed whole (a 100 MB line took 1.1 GB).
MAX_JSONL_LINE = 8 * 1024 * 1024


# The part of an HTML page that is read (the rest is dropped, with a warning): parsing holds
# the page several times over (a 100 MB page took 2.1 GB), and no article's page is this big.
MAX_HTML_BYTES = 16 * 1024 * 1024


# JSON integers longer than this stay strings: Python refuses to convert more than 4,300
# digits (ValueError), and no metadata field needs a number this long.
MAX_JSON_DIGITS = 100


@dataclass(frozen=True)
class Document:
    """A document before segmentation; `id` is stable across runs (from the file path)."""

    id: str
    path: str
    title: str
    kind: str
    body: str
    source: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    # A list, not a tuple: a streamed document can only report a late decoding problem
    # once its paragraphs have been read, after the Document exists.
    warnings: list[str] = field(default_factory=list, compare=False)
    # For a streamed (large) file: a function returning its paragraphs; `body` is then "".
    stream: Callable[[], Iterator[str]] | None = field(default=None, compare=False, repr=False)
    # Whether its paragraphs were hard-wrapped lines joined again (`is_reflowed`), for the
    # index summary: a reader should know sofa changed the line structure it was given.
    reflowed: bool = field(default=False, compare=False)

    def paragraphs(self) -> Iterator[str]:
        """The body's paragraphs (see `split_paragraphs`), read from the file if streamed."""
        if self.stream is not None:
            return self.stream()
        return iter(split_paragraphs(self.body))


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a `---` metadata header (simple `key: value` lines) from the body."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    meta: dict[str, str] = {}
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return meta, "\n".join(lines[n + 1 :])
        key, sep, value = line.partition(":")
        if not sep:
            return {}, text
        meta[key.strip().lower()] = value.strip().strip("\"'")
    return {}, text


def readable_name(name: str) -> str:
    """A file name for reading, not for opening: bytes that are not UTF-8 (which `os` hands
    back as lone surrogates) written as `\\xe9`. Ids and paths keep the surrogates, so the
    file can be found again; a title is text, tokenized and printed, and must be valid."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def doc_id_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel.rsplit(".", 1)[0] if "." in rel else rel


def _document(path: Path, root: Path, doc_id: str, meta: dict, body: str, warnings, stream=None) -> Document:
    """A Document; for a streamed file, `body` is only its beginning, used for title and kind.

    A plain text's title line ("Interview: Chef Ines Moreau on bread") is its title, and,
    like a heading, not a passage (for a streamed file, `_streamed_text` has done this).
    """
    title = meta.get("title") or first_heading(body)
    if not title and stream is None:
        titled = leading_title(body)
        if titled:
            title, body = titled
    kind = (meta.get("kind") or "").lower()
    if kind not in KINDS:
        kind = "interview" if looks_like_interview(body) else "article"
    title = title or readable_name(path.stem)
    return Document(
        id=doc_id,
        path=path.relative_to(root).as_posix(),
        title=title,
        kind=kind,
        body=body,
        source=meta.get("source") or None,
        author=meta.get("author") or None,
        date=str(meta["date"]) if meta.get("date") else None,
        url=meta.get("url") or None,
        warnings=[w for w in warnings if w],
        stream=stream,
        reflowed=is_reflowed(body),
    )


def load_file(path: Path, root: Path, follow_links: bool = False) -> Iterator[Document | Skipped]:
    """The documents of one file (several for .jsonl), or a Skipped with the reason.

    The file opened must lie in `root` (unless `follow_links`), whatever the scan saw: a
    file swapped for a link to outside the folder after the scan is refused, not read."""
    rel = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    doc_id = doc_id_for(path, root)
    inside = None if follow_links else _real_folder(root)
    try:
        if suffix in JSONL_SUFFIXES:
            yield from _load_jsonl(path, rel, root, doc_id, inside)
            return
        with open_regular(path, inside) as f:
            if suffix in TEXT_SUFFIXES and os.fstat(f.fileno()).st_size > STREAM_THRESHOLD:
                f.close()
                yield _streamed_text(path, root, doc_id, inside)
                return
            limit = MAX_HTML_BYTES if suffix in HTML_SUFFIXES else -1
            data = f.read(limit)
            cut = limit > 0 and len(data) == limit and bool(f.read(1))
    except OSError as err:
        yield Skipped(rel, err.strerror or str(err))
        return
    except ValueError as err:
        yield Skipped(rel, str(err))
        return
    try:
        text, warning = decode(data)
    except ValueError as err:
        yield Skipped(rel, str(err))
        return
    del data
    if suffix in HTML_SUFFIXES:
        from sofa_cli.corpus.html import read_page

        page = read_page(text)
        cut_warning = f"only the first {MAX_HTML_BYTES >> 10:,} KiB read" if cut else None
        yield _document(path, root, doc_id, page.meta, page.body, [warning, cut_warning])
    else:
        meta, body = parse_front_matter(text)
        yield _document(path, root, doc_id, meta, body, [warning])


@functools.lru_cache(maxsize=8)
def _real_folder(root: Path) -> str:
    """`root` with every link resolved, ending in a separator (a prefix of what lies in it)."""
    return os.path.join(os.path.realpath(root), "")


def _lies_outside(fd: int, inside: str) -> bool:
    """True when the file open at `fd` is not under the folder `inside` (by the path the
    kernel opened, /proc/self/fd; where there is no /proc the scan's check stands alone)."""
    try:
        opened = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False
    return not opened.startswith(inside)


def open_regular(path: Path, inside: str | None = None) -> io.BufferedReader:
    """`path` opened for reading in binary, when it is a regular file (and, given `inside`,
    one under that folder); else ValueError.

    Opened with O_NONBLOCK, so a FIFO (put in a file's place after the folder was scanned)
    opens at once instead of waiting for a writer, and is then refused by its fstat. For a
    regular file the flag changes nothing. What was opened is checked, not the path before
    opening, so a file swapped for a link to outside after the scan cannot slip through.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError("not a regular file (a FIFO or device), not read")
        if inside is not None and _lies_outside(fd, inside):
            raise ValueError(OUTSIDE_LINK)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "rb")


def _streamed_text(path: Path, root: Path, doc_id: str, inside: str | None = None) -> Document:
    """A large text file as a Document whose paragraphs are read from disk when wanted.

    Only the first chunk is read now (metadata header, title, kind); raises OSError when
    the file cannot be read, ValueError when it is binary.
    """
    with open_regular(path, inside) as f:
        head_bytes = f.read(max(HEAD_BYTES, BINARY_SNIFF))
        whole = not f.read(1)
    codec, warning = encoding_of(head_bytes, whole)
    head = drop_invisible(codecs.getincrementaldecoder(codec)("replace").decode(head_bytes, final=whole))
    meta, head_body = parse_front_matter(head)
    if not meta.get("title") and not first_heading(head_body):
        titled = leading_title(head_body)  # as `_document` does for a file read whole
        if titled:
            meta = dict(meta, title=titled[0])
            head_body = titled[1]
    skip = len(head) - len(head_body)
    head_body_lines = head_body.replace("\r\n", "\n").replace("\r", "\n")
    by_line = not has_blank_line(head_body_lines)
    # Decided on the first chunk, as the paragraph style is: a file this large is one kind of text.
    if by_line:
        width = wrap_width(head_body_lines.split("\n"))
    else:
        width = spaced_wrap_width(_BLANK_LINE_RE.split(head_body_lines))
    warnings = [warning]

    def stream() -> Iterator[str]:
        pieces = _stream_paragraphs(path, codec, skip, by_line, doc.warnings, inside)
        if width:  # hard-wrapped lines, double-spaced or not (each at most WRAP_MAX_WIDTH, so no line was cut)
            return (piece for p in reflow(pieces, width) for piece in cap_length(p))
        if not by_line:
            return (p for piece in pieces for p in unwrap_block(piece))
        return pieces

    doc = _document(path, root, doc_id, meta, head_body, warnings, stream=stream)
    return doc


def _decoded_chunks(path: Path, codec: str, warnings: list[str], inside: str | None = None) -> Iterator[str]:
    """The file's text in chunks. A chunk that is not valid UTF-8 switches the rest to Latin-1
    (with a warning); a file that vanishes or fails mid-read ends early (with a warning)."""
    decoder = codecs.getincrementaldecoder(codec)("strict" if codec.startswith("utf-8") else "replace")

    def decoded(chunk: bytes, final: bool = False) -> str:
        nonlocal decoder
        try:
            return decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            pending = decoder.getstate()[0]
            decoder = codecs.getincrementaldecoder("cp1252")("replace")
            if LATIN1_WARNING not in warnings:
                warnings.append(LATIN1_WARNING)
            return decoder.decode(pending + chunk, final=final)

    try:
        with open_regular(path, inside) as f:
            while chunk := f.read(READ_CHUNK):
                yield drop_invisible(decoded(chunk))
    except OSError as err:
        warnings.append(f"stopped reading: {err.strerror or err}")
    except ValueError as err:
        warnings.append(f"stopped reading: {err}")
    yield drop_invisible(decoded(b"", final=True))


def _stream_paragraphs(
    path: Path, codec: str, skip: int, by_line: bool, warnings: list[str], inside: str | None = None
) -> Iterator[str]:
    """`split_paragraphs` of a file read in chunks: memory holds one chunk and one paragraph."""
    separator = re.compile(r"\n") if by_line else _BLANK_LINE_RE
    buffer = ""
    for text in _decoded_chunks(path, codec, warnings, inside):
        if skip:
            text, skip = text[skip:], max(0, skip - len(text))
        buffer += text
        # Keep a trailing CR: it may be the first half of a CRLF split between chunks.
        held = "\r" if buffer.endswith("\r") else ""
        buffer = buffer[: len(buffer) - len(held)].replace("\r\n", "\n").replace("\r", "\n")
        cut = None
        for match in separator.finditer(buffer):
            cut = match.span()
        if cut is not None:
            complete, buffer = buffer[: cut[0]], buffer[cut[1] :]
            blocks = complete.split("\n") if by_line else _BLANK_LINE_RE.split(complete)
            for block in blocks:
                if block.strip():
                    yield from cap_length(block.strip("\n"))
        if len(buffer) > MAX_PASSAGE_CHARS:  # a paragraph still open and already too long
            buffer = buffer.lstrip("\n")
            # Cut only where the next chunk cannot matter: before a last line break that may
            # yet turn out to start a blank line.
            last_nl = buffer.rfind("\n")
            settled = last_nl if last_nl >= 0 and not buffer[last_nl + 1 :].strip(" \t") else len(buffer)
            start = 0
            for a, b in _cuts(buffer, settled, MAX_PASSAGE_CHARS):
                piece = buffer[a:b].strip()
                if piece:
                    yield piece
                start = b
            buffer = buffer[start:]
        buffer += held
    buffer = buffer.replace("\r\n", "\n").replace("\r", "\n")
    blocks = buffer.split("\n") if by_line else _BLANK_LINE_RE.split(buffer)
    for block in blocks:
        if block.strip():
            yield from cap_length(block.strip("\n"))


def _jsonl_lines(path: Path, inside: str | None = None) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, warning) for each line; one line in memory at a time.

    A line longer than MAX_JSONL_LINE comes as (number, None, None), skipped unread. A
    UTF-16 or UTF-32 file (byte order mark) is decoded as it is read: it cannot be split
    on b"\\n".
    """
    with open_regular(path, inside) as f:
        head = f.read(BINARY_SNIFF)
        wide = bom_codec(head)
        f.seek(0)
        if wide:
            codec, warning = wide
            text = io.TextIOWrapper(f, encoding=codec, errors="replace", newline="")
            n = 0
            while line := text.readline(MAX_JSONL_LINE + 1):
                n += 1
                if len(line) > MAX_JSONL_LINE:
                    while line and not line.endswith(("\n", "\r")):
                        line = text.readline(READ_CHUNK)
                    yield n, None, None
                else:
                    yield n, drop_invisible(line), warning
            return
        if b"\x00" in head:
            raise ValueError("binary file")
        f.seek(3 if head.startswith(codecs.BOM_UTF8) else 0)
        n = 0
        while raw := f.readline(MAX_JSONL_LINE + 1):
            n += 1
            if len(raw) > MAX_JSONL_LINE:
                while raw and not raw.endswith(b"\n"):
                    raw = f.readline(READ_CHUNK)
                yield n, None, None
                continue
            try:
                yield n, drop_invisible(raw.decode("utf-8")), None
            except UnicodeDecodeError:
                yield n, drop_invisible(raw.decode("cp1252", errors="replace")), LATIN1_WARNING


def _json_int(digits: str) -> int | str:
    """A JSON integer, or its digits when it is too long to be a number anyone means."""
    return int(digits) if len(digits) <= MAX_JSON_DIGITS else digits


def _load_jsonl(path: Path, rel: str, root: Path, doc_id: str, inside: str | None = None) -> Iterator:
    """The documents of a `.jsonl` file; a line that cannot be one is skipped and named
    (`feed.jsonl:2`), and the lines after it are read as usual."""
    for n, line, warning in _jsonl_lines(path, inside):
        if line is None:
            yield Skipped(f"{rel}:{n}", f"line longer than {MAX_JSONL_LINE >> 10:,} KiB, not read")
            continue
        if not line.strip():
            continue
        try:
            record = loads_json(line, parse_int=_json_int)
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
            yield Skipped(f"{rel}:{n}", "not valid JSON")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield Skipped(f"{rel}:{n}", 'no "text" field')
            continue
        meta = {k: str(record[k]) for k in METADATA_KEYS if record.get(k) is not None}
        yield _document(path, root, f"{doc_id}#{n}", meta, record["text"], [warning])
