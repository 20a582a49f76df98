"""Loading: files in a corpus folder become documents (metadata + body text).

Formats: `.md` / `.txt` with an optional `---` metadata header, `.html` / `.htm`,
and `.jsonl` (one document per line). Reading is defensive: corpus folders hold files
sofa did not write, so undecodable, binary or vanished files are reported as
`Skipped`, never raised.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = (".md", ".txt", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
CORPUS_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
KINDS = ("article", "interview")
METADATA_KEYS = ("title", "source", "author", "date", "kind", "url")

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
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


class CorpusError(Exception):
    """The corpus folder itself is unusable (missing, not a folder, unreadable)."""


def discover(root: Path) -> list[Path]:
    """All corpus files under `root`, sorted, hidden entries skipped, symlinked dirs not followed."""
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus is not a folder: {root}")
    found: list[Path] = []

    def on_error(err: OSError) -> None:
        if Path(err.filename or "") == root:
            raise CorpusError(f"cannot read corpus folder {root}: {err.strerror}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(CORPUS_SUFFIXES):
                continue
            path = Path(dirpath, name)
            if path.is_file():
                found.append(path)
    return sorted(found)


def decode(data: bytes) -> tuple[str, str | None]:
    """Text of a file and a warning when it was not plain UTF-8; raises ValueError for binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "decoded as UTF-16 (byte order mark)"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192]:
        raise ValueError("binary file")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "not valid UTF-8, decoded as Latin-1"


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


def split_paragraphs(body: str) -> list[str]:
    """Blocks separated by blank lines; a text with no blank line has one paragraph per line."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n[ \t]*\n", body.strip("\n")):
        blocks = re.split(r"\n[ \t]*\n", body)
    else:
        blocks = body.split("\n")
    return [b.strip("\n") for b in blocks if b.strip()]


def _document(path: Path, root: Path, doc_id: str, meta: dict, body: str, warnings) -> Document:
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
        warnings=tuple(w for w in warnings if w),
    )


def load_file(path: Path, root: Path) -> Iterator[Document | Skipped]:
    """The documents of one file (several for .jsonl), or a Skipped with the reason."""
    rel = path.relative_to(root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as err:
        yield Skipped(rel, err.strerror or str(err))
        return
    try:
        text, warning = decode(data)
    except ValueError as err:
        yield Skipped(rel, str(err))
        return
    suffix = path.suffix.lower()
    doc_id = doc_id_for(path, root)
    if suffix in HTML_SUFFIXES:
        from sofa_cli.html_text import html_to_text

        title, body = html_to_text(text)
        yield _document(path, root, doc_id, {"title": title}, body, [warning])
    elif suffix in JSONL_SUFFIXES:
        yield from _load_jsonl(path, root, doc_id, text, warning)
    else:
        meta, body = parse_front_matter(text)
        yield _document(path, root, doc_id, meta, body, [warning])


def _load_jsonl(path: Path, root: Path, doc_id: str, text: str, warning) -> Iterator:
    rel = path.relative_to(root).as_posix()
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            yield Skipped(f"{rel}:{n}", "not valid JSON")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield Skipped(f"{rel}:{n}", 'no "text" field')
            continue
        meta = {k: str(record[k]) for k in METADATA_KEYS if record.get(k) is not None}
        yield _document(path, root, f"{doc_id}#{n}", meta, record["text"], [warning])
