"""Where a passage is in its file: line numbers for `$EDITOR +N FILE`, found in the file itself.

The index keeps passage text, not line numbers (a file's markup is not the passage's text), so
lines are found when asked, by searching the file for the passage's words, in one pass per document.
"""

from __future__ import annotations

from pathlib import Path

# Files larger than this are not read to find a passage's lines (results then have `lines: null`):
# finding them reads the file at answer time, which must stay cheap (an article is a few KB; a
# MiB is read and searched in about a millisecond).
MAX_LOCATE_BYTES = 1024 * 1024


def line_range(file_text: str, passage_text: str, start: int = 0, start_line: int = 1) -> tuple[int, int, int] | None:
    """(first line, last line, offset after the passage) of `passage_text` in `file_text` at or
    after offset `start` (which is on line `start_line`), found by the passage's first and last
    words (markup around them, such as a speaker's "**Name:**", may differ from the stored text);
    None when it is not there verbatim. Lines are counted from `start` only, so locating every
    passage of a document in order costs one pass over its file."""
    words = passage_text.split()
    if not words:
        return None
    head = " ".join(words[:6])
    at = file_text.find(head, start)
    if at < 0:
        head = words[0]
        at = file_text.find(head, start)
        if at < 0:
            return None
    tail = words[-1]
    end = file_text.find(tail, at + max(0, len(passage_text) - len(tail) - 200))
    end = at + len(head) if end < 0 else end + len(tail)
    first = start_line + file_text.count("\n", start, at)
    return first, first + file_text.count("\n", at, end), end


def locate_passages(path: Path, passages: list[str]) -> list[tuple[int, int] | None]:
    """(first, last) line of each of a document's passages in its file at `path`, in order;
    None for a passage not found there verbatim, or for all when the file is too large or gone."""
    try:
        if path.stat().st_size > MAX_LOCATE_BYTES:
            return [None] * len(passages)
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return [None] * len(passages)
    found: list[tuple[int, int] | None] = []
    cursor, line = 0, 1
    for passage in passages:
        span = line_range(text, passage, cursor, line)
        found.append(span[:2] if span else None)
        if span:
            cursor, line = span[2], span[1]
    return found
