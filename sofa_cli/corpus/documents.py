"""Loading: files in a corpus folder become documents (metadata + body text).

Formats: `.md` / `.txt` with an optional `---` metadata header, `.html` / `.htm`,
and `.jsonl` (one document per line). Reading is defensive: corpus folders hold files
sofa did not write, so undecodable, binary or vanished files are reported as
`Skipped`, never raised.

Memory stays bounded whatever the files: a text file larger than `STREAM_THRESHOLD` is
read in chunks and split into paragraphs as it goes (its `Document` carries a stream of
paragraphs instead of a body), `.jsonl` files are read a line at a time, and no paragraph
or line, however long, becomes a passage longer than `MAX_PASSAGE_CHARS`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sofa_cli.corpus.decode import BINARY_SNIFF, LATIN1_WARNING, decode, encoding_of
from sofa_cli.corpus.discover import HTML_SUFFIXES, JSONL_SUFFIXES, TEXT_SUFFIXES
from sofa_cli.corpus.paragraphs import (
    _BLANK_LINE_RE,
    MAX_PASSAGE_CHARS,
    _cuts,
    cap_length,
    first_heading,
    has_blank_line,
    looks_like_interview,
    split_paragraphs,
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

    def paragraphs(self) -> Iterator[str]:
        """The body's paragraphs (see `split_paragraphs`), read from the file if streamed."""
        if self.stream is not None:
            return self.stream()
        return iter(split_paragraphs(self.body))


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


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


def doc_id_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel.rsplit(".", 1)[0] if "." in rel else rel


def _document(path: Path, root: Path, doc_id: str, meta: dict, body: str, warnings, stream=None) -> Document:
    """A Document; for a streamed file, `body` is only its beginning, used for title and kind."""
    kind = (meta.get("kind") or "").lower()
    if kind not in KINDS:
        kind = "interview" if looks_like_interview(body) else "article"
    title = meta.get("title") or first_heading(body) or path.stem
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
    )


def load_file(path: Path, root: Path) -> Iterator[Document | Skipped]:
    """The documents of one file (several for .jsonl), or a Skipped with the reason."""
    rel = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    doc_id = doc_id_for(path, root)
    try:
        if suffix in JSONL_SUFFIXES:
            yield from _load_jsonl(path, rel, root, doc_id)
            return
        if suffix in TEXT_SUFFIXES and path.stat().st_size > STREAM_THRESHOLD:
            yield _streamed_text(path, root, doc_id)
            return
        data = path.read_bytes()
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
        from sofa_cli.corpus.html import html_to_text

        title, body = html_to_text(text)
        yield _document(path, root, doc_id, {"title": title}, body, [warning])
    else:
        meta, body = parse_front_matter(text)
        yield _document(path, root, doc_id, meta, body, [warning])


def _streamed_text(path: Path, root: Path, doc_id: str) -> Document:
    """A large text file as a Document whose paragraphs are read from disk when wanted.

    Only the first chunk is read now (metadata header, title, kind); raises OSError when
    the file cannot be read, ValueError when it is binary.
    """
    with open(path, "rb") as f:
        head_bytes = f.read(max(HEAD_BYTES, BINARY_SNIFF))
        whole = not f.read(1)
    codec, warning = encoding_of(head_bytes, whole)
    head = codecs.getincrementaldecoder(codec)("replace").decode(head_bytes, final=whole)
    meta, head_body = parse_front_matter(head)
    skip = len(head) - len(head_body)
    by_line = not has_blank_line(head_body.replace("\r\n", "\n").replace("\r", "\n"))
    warnings = [warning]

    def stream() -> Iterator[str]:
        yield from _stream_paragraphs(path, codec, skip, by_line, doc.warnings)

    doc = _document(path, root, doc_id, meta, head_body, warnings, stream=stream)
    return doc


def _decoded_chunks(path: Path, codec: str, warnings: list[str]) -> Iterator[str]:
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
        with open(path, "rb") as f:
            while chunk := f.read(READ_CHUNK):
                yield decoded(chunk)
    except OSError as err:
        warnings.append(f"stopped reading: {err.strerror or err}")
    yield decoded(b"", final=True)


def _stream_paragraphs(path: Path, codec: str, skip: int, by_line: bool, warnings: list[str]) -> Iterator[str]:
    """`split_paragraphs` of a file read in chunks: memory holds one chunk and one paragraph."""
    separator = re.compile(r"\n") if by_line else _BLANK_LINE_RE
    buffer = ""
    for text in _decoded_chunks(path, codec, warnings):
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


def _jsonl_lines(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text, warning) for each line; one line in memory at a time.

    A UTF-16 file (byte order mark) is decoded whole: it cannot be split on b"\\n".
    """
    with open(path, "rb") as f:
        head = f.read(BINARY_SNIFF)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            text, warning = decode(head + f.read())
            for n, line in enumerate(text.split("\n"), start=1):
                yield n, line, warning
            return
        if b"\x00" in head:
            raise ValueError("binary file")
        f.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)
        for n, raw in enumerate(f, start=1):
            try:
                yield n, raw.decode("utf-8"), None
            except UnicodeDecodeError:
                yield n, raw.decode("cp1252", errors="replace"), LATIN1_WARNING


def _load_jsonl(path: Path, rel: str, root: Path, doc_id: str) -> Iterator:
    for n, line, warning in _jsonl_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            yield Skipped(f"{rel}:{n}", "not valid JSON")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield Skipped(f"{rel}:{n}", 'no "text" field')
            continue
        meta = {k: str(record[k]) for k in METADATA_KEYS if record.get(k) is not None}
        yield _document(path, root, f"{doc_id}#{n}", meta, record["text"], [warning])
