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
import errno
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = (".md", ".txt", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
CORPUS_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
KINDS = ("article", "interview")
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
# A longer paragraph or line (a minified page, a log, a file with no line breaks) is cut
# into pieces of at most this, at a sentence end or a space when there is one. Natural
# paragraphs stay whole: the longest XQuAD paragraph has 3,326 characters.
MAX_PASSAGE_CHARS = 8000
# A NUL byte in the first bytes marks a binary file, as ripgrep and git decide.
BINARY_SNIFF = 8192

_SPEAKER_RE = re.compile(
    r"^\s*(?:\*\*(?P<md>[^*\n]{1,60}?):\*\*|\*\*(?P<md2>[^*\n]{1,60}?)\*\*:"
    r"|(?P<caps>[A-Z][A-Z .'\-]{1,40}[A-Z.]):)\s*"
)
_HEADING_RE = re.compile(r"^\s*(?:#{1,6}\s+(?P<hash>.+?)\s*#*|\*\*(?P<bold>[^*\n]+)\*\*)\s*$")


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


class CorpusError(Exception):
    """The corpus folder itself is unusable (missing, not a folder, unreadable)."""


def discover(root: Path) -> list[Path]:
    """All corpus files under `root`, sorted, hidden entries skipped, symlinked dirs not followed."""
    return sorted(Path(path) for path, _ in _corpus_files(root))


def fingerprints(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of each corpus file `discover` finds, by its path relative to `root`.

    One stat a file and no Path objects: every one-shot `sofa ask` checks its index is fresh
    with this, and a corpus of tens of thousands of files would spend longer on pathlib.
    """
    skip = len(os.path.join(str(root), ""))
    out = {}
    for path, st in _corpus_files(root):
        rel = path[skip:]
        out[rel if os.sep == "/" else rel.replace(os.sep, "/")] = (st.st_size, st.st_mtime_ns)
    return out


_NOT_A_FILE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def _corpus_files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus is not a folder: {root}")

    def on_error(err: OSError) -> None:
        if Path(err.filename or "") == root:
            raise CorpusError(f"cannot read corpus folder {root}: {err.strerror}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(CORPUS_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError as err:
                if err.errno in _NOT_A_FILE:  # vanished, a dangling symlink: as Path.is_file()
                    continue
                raise
            if stat.S_ISREG(st.st_mode):
                yield path, st


UTF16_WARNING = "decoded as UTF-16 (byte order mark)"
LATIN1_WARNING = "not valid UTF-8, decoded as Latin-1"


def decode(data: bytes) -> tuple[str, str | None]:
    """Text of a file and a warning when it was not plain UTF-8; raises ValueError for binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), UTF16_WARNING
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:BINARY_SNIFF]:
        raise ValueError("binary file")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), LATIN1_WARNING


def encoding_of(head: bytes, whole: bool = False) -> tuple[str, str | None]:
    """The codec for a file starting with `head`, and its warning; ValueError for binary.

    For streamed files: the choice is made on the first chunk; a later chunk that is not
    UTF-8 switches the rest of the file to Latin-1 (see `_decoded_chunks`).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", UTF16_WARNING
    if b"\x00" in head[:BINARY_SNIFF]:
        raise ValueError("binary file")
    codec = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(head, final=whole)
    except UnicodeDecodeError:
        return "cp1252", LATIN1_WARNING
    return codec, None


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


def first_heading(body: str) -> str | None:
    for line in body.split("\n"):
        if not line.strip():
            continue
        match = _HEADING_RE.match(line)
        if match:
            return (match.group("hash") or match.group("bold")).strip()
        return None
    return None


def is_heading(paragraph: str) -> bool:
    return "\n" not in paragraph.strip() and bool(_HEADING_RE.match(paragraph))


def speaker_of(paragraph: str) -> tuple[str, int] | None:
    """(speaker, end of the marker) when a paragraph opens with `**Name:**` or `NAME:`."""
    match = _SPEAKER_RE.match(paragraph)
    if not match:
        return None
    name = (match.group("md") or match.group("md2") or match.group("caps")).strip()
    return name, match.end()


def looks_like_interview(body: str) -> bool:
    turns = sum(1 for block in split_paragraphs(body) if speaker_of(block))
    return turns >= 2


_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
_CUT_RE = re.compile(r"[.!?…。！？][\"'”’)\]]*\s+|\n")


def has_blank_line(body: str) -> bool:
    """Whether paragraphs are blank-line separated (else: one paragraph per line)."""
    return bool(_BLANK_LINE_RE.search(body.strip("\n")))


def split_paragraphs(body: str) -> list[str]:
    """Blocks separated by blank lines; a text with no blank line has one paragraph per line.

    A block longer than MAX_PASSAGE_CHARS is cut into bounded pieces (`cap_length`).
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _BLANK_LINE_RE.split(body) if has_blank_line(body) else body.split("\n")
    return [piece for b in blocks if b.strip() for piece in cap_length(b.strip("\n"))]


def cap_length(block: str, limit: int = MAX_PASSAGE_CHARS) -> Iterator[str]:
    """`block` in consecutive pieces of at most `limit` characters, verbatim but for the
    whitespace at the cuts; cut after the last sentence end (or line break) in the second
    half of the window, else at the last space, else hard."""
    start = 0
    for a, b in _cuts(block, len(block), limit):
        piece = block[a:b].strip()
        if piece:
            yield piece
        start = b
    piece = block[start:].strip("\n")
    if piece.strip():
        yield piece


def _cuts(block: str, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Spans of the pieces `cap_length` cuts from `block[:end]`, but for the last piece."""
    start = 0
    while end - start > limit:
        window_end = start + limit
        cut = None
        for match in _CUT_RE.finditer(block, start + limit // 2, window_end):
            cut = match.end()
        if cut is None:
            space = max(block.rfind(" ", start + 1, window_end), block.rfind("\t", start + 1, window_end))
            cut = space + 1 if space > start else window_end
        yield start, cut
        start = cut


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
        from sofa_cli.html_text import html_to_text

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
