"""Paragraphs of a document body: blank-line blocks (or lines), headings, speaker turns, length caps."""

from __future__ import annotations

import re
from collections.abc import Iterator

# A longer paragraph or line (a minified page, a log, a file with no line breaks) is cut
# into pieces of at most this, at a sentence end or a space when there is one. Natural
# paragraphs stay whole: the longest XQuAD paragraph has 3,326 characters.
MAX_PASSAGE_CHARS = 8000


_SPEAKER_RE = re.compile(
    r"^\s*(?:\*\*(?P<md>[^*\n]{1,60}?):\*\*|\*\*(?P<md2>[^*\n]{1,60}?)\*\*:"
    r"|(?P<caps>[A-Z][A-Z .'\-]{1,40}[A-Z.]):)\s*"
)


def heading_text(line: str) -> str | None:
    """The text of a one-line Markdown heading (`# Title #`, `**Title**`), else None.

    String operations, not a regex: the pattern this replaces (`#{1,6}\\s+(.+?)\\s*#*\\s*$`)
    backtracked on `# a` followed by thousands of spaces (28 s for 2,000; issue 17 #5).
    It reads the same lines the same way (tests/test_regex_safety.py compares them).
    """
    text = line.strip()
    if not text or "\n" in text:
        return None
    if text.startswith("#"):
        level = len(text) - len(text.lstrip("#"))
        after = line.lstrip()[level:]  # the whitespace the pattern's `\\s+` needed is kept
        if level > 6 or not after[:1].isspace():
            return None
        rest = text[level:].lstrip()
        if not rest:  # "#" and whitespace: a heading with a blank title when `.+?` finds a character
            return "" if any(c != "\n" for c in after[1:]) else None
        return rest.rstrip("#").rstrip() or rest[:1]
    if len(text) >= 5 and text.startswith("**") and text.endswith("**") and "*" not in text[2:-2]:
        return text[2:-2].strip()
    return None


def first_heading(body: str) -> str | None:
    for line in body.split("\n"):
        if line.strip():
            return heading_text(line)
    return None


def is_heading(paragraph: str) -> bool:
    return heading_text(paragraph) is not None


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
