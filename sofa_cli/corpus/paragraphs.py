"""Paragraphs of a document body: blank-line blocks (or lines), headings, speaker turns, length caps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A longer paragraph or line (a minified page, a log, a file with no line breaks) is cut
# into pieces of at most this, at a sentence end or a space when there is one. Natural
# paragraphs stay whole: the longest XQuAD paragraph has 3,326 characters.
MAX_PASSAGE_CHARS = 8000


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


_SPEAKER_RE = re.compile(
    r"^\s*(?:\*\*(?P<md>[^*\n]{1,60}?):\*\*|\*\*(?P<md2>[^*\n]{1,60}?)\*\*:"
    r"|(?P<caps>[A-Z][A-Z .'\-]{1,40}[A-Z.]):"
    r"|(?P<plain>[A-Z][\w.'’-]{0,30}(?: [A-Z][\w.'’-]{0,30}){0,4}):(?=\s))\s*"
)


# Job titles that can stand before a speaker's name in a transcript's labels ("Baker Tomas
# Eid:", "Chef Ines Moreau:"): split off as the turn's role, the name being the speaker. Not
# honorifics (Dr., Mr.): "Dr. Tanaka" is how the speaker is named and asked for.
ROLE_WORDS = frozenset(
    """
    agronomist analyst architect baker brewer butcher captain ceo chairman chairwoman chef
    chief coach commissioner correspondent councillor councilor curator designer director
    economist editor engineer farmer fisherman founder governor historian host interviewer
    journalist judge lawyer manager mayor minister moderator nurse officer owner pharmacist
    photographer pilot presenter principal producer professor reporter researcher scientist
    senator sergeant spokesperson spokesman spokeswoman student teacher vintner winemaker
    """.split()
)


@dataclass(frozen=True)
class Turn:
    """A speaker's label at the start of a paragraph: who, in what role, where the text starts.

    `plain` labels ("Ines Moreau:") are told from an article's "Note:" only by recurring (see
    `looks_like_interview`); marked ones (`**Name:**`, `NAME:`) count at once."""

    speaker: str
    role: str | None
    end: int
    plain: bool


def split_role(label: str) -> tuple[str, str | None]:
    """("Tomas Eid", "Baker") for "Baker Tomas Eid": leading job titles off, when a name of
    at least two words is left."""
    words = label.split()
    n = 0
    while n < len(words) - 2 and words[n].lower().rstrip(".") in ROLE_WORDS:
        n += 1
    if n == 0:
        return label, None
    return " ".join(words[n:]), " ".join(words[:n])


def turn_of(paragraph: str) -> Turn | None:
    """The speaker label a paragraph opens with (`**Name:**`, `NAME:`, `Name Name:`), if any."""
    match = _SPEAKER_RE.match(paragraph)
    if not match:
        return None
    label = (match.group("md") or match.group("md2") or match.group("caps") or match.group("plain")).strip()
    name, role = split_role(label)
    return Turn(name, role, match.end(), plain=match.group("plain") is not None)


def speaker_of(paragraph: str) -> tuple[str, int] | None:
    """(speaker, end of the marker) when a paragraph opens with a speaker label (`turn_of`)."""
    turn = turn_of(paragraph)
    return (turn.speaker, turn.end) if turn else None


def looks_like_interview(body: str) -> bool:
    """Two marked turns, or plain-labelled turns of two speakers with one speaking twice."""
    marked = 0
    plain: dict[str, int] = {}
    for block in split_paragraphs(body):
        turn = turn_of(block)
        if turn is None:
            continue
        if not turn.plain:
            marked += 1
            if marked >= 2:
                return True
        else:
            plain[turn.speaker] = plain.get(turn.speaker, 0) + 1
    return len(plain) >= 2 and max(plain.values()) >= 2


# A first line that titles a plain-text transcript: "Interview: Chef Ines Moreau on bread".
_TITLE_LINE_RE = re.compile(r"(?:interview|transcript|conversation|q ?& ?a|podcast|episode\b[^:\n]{0,20})\s*[:—–]\s*\S", re.I)
_TITLE_LINE_MAX = 150


def leading_title(body: str) -> tuple[str, str] | None:
    """(title, rest of the body) when a plain text opens with a title line: one that says so
    ("Interview: ...", "Transcript — ..."), or a short line without a sentence end before the
    turns of an interview. None otherwise (the text is then titled by its file name)."""
    first, newline, rest = body.lstrip().partition("\n")
    first = first.strip()
    if not newline or not rest.strip() or len(first) > _TITLE_LINE_MAX or heading_text(first) is not None:
        return None
    if _TITLE_LINE_RE.match(first):
        return first, rest
    if not first.endswith(_SENTENCE_END) and turn_of(first) is None and looks_like_interview(rest):
        return first, rest
    return None


_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


_CUT_RE = re.compile(r"[.!?…。！？][\"'”’)\]]*\s+|\n")


def has_blank_line(body: str) -> bool:
    """Whether paragraphs are blank-line separated (else: one paragraph per line)."""
    return bool(_BLANK_LINE_RE.search(body.strip("\n")))


# Hard-wrapped text (issue 13): lines cut at a fixed column by an editor or a mail client,
# 60-80 columns in practice. A text without blank lines whose lines are no longer than this,
# mostly fill their width and often end mid-sentence is wrapped; else each line is a paragraph
# (as in the bundled corpus, whose lines are whole paragraphs of hundreds of characters).
WRAP_MAX_WIDTH = 100
_WRAP_MIN_WIDTH = 40  # nobody wraps prose narrower; shorter lines are a list, a poem, a table
_WRAP_MIN_LINES = 4  # fewer lines tell nothing about a width
_WRAP_FULL = 0.75  # a line this share of the width or longer "fills" it
_WRAP_FULL_SHARE = 0.5  # wrapped: at least half the lines fill the width ...
_WRAP_OPEN_SHARE = 0.3  # ... and at least this share ends mid-sentence
_SENTENCE_END = tuple('.!?:;…"”’)。！？')
# A line that starts its own paragraph whatever its neighbours: a list item.
_LIST_ITEM_RE = re.compile(r"\s*(?:[-*•]|\d{1,3}[.)])\s")


# Not every wrap is greedy: typeset text (TIME.ALL) ends lines well short of its widest one,
# so "the line had room for the next word" would break it at most lines. The width reflow
# tests room against is then lowered until only this share of the lines that end
# mid-sentence (certainly not a paragraph's end) would break, judged on at least this many.
_WRAP_SLACK_SHARE = 0.05
_WRAP_SLACK_MIN_LINES = 20


def wrap_width(lines: list[str]) -> int | None:
    """The width hard-wrapped `lines` (a text without blank lines, or a double-spaced text's
    lines) are reflowed at (see `reflow`), or None when each line is a paragraph. Decided
    from line lengths and how lines end."""
    lines = [line.rstrip() for line in lines if line.strip()]
    lengths = [len(line) for line in lines]
    if len(lengths) < _WRAP_MIN_LINES:
        return None
    width = max(lengths)
    if not _WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return None
    full = sum(1 for n in lengths if n >= _WRAP_FULL * width)
    open_ended = sum(1 for line in lines if not line.endswith(_SENTENCE_END))
    if full >= _WRAP_FULL_SHARE * len(lengths) and open_ended >= _WRAP_OPEN_SHARE * len(lengths):
        return _room_width(lines, width)
    return None


def _room_width(lines: list[str], width: int) -> int:
    """`width`, or less for a wrap that is not greedy (`_WRAP_SLACK_SHARE`): for each line
    ending mid-sentence, the width at which it would have had room for the next line's
    first word; the width returned leaves all but that share of them unbroken."""
    needed = sorted(
        len(line) + 1 + len(after.split(None, 1)[0]) for line, after in zip(lines, lines[1:]) if not line.endswith(_SENTENCE_END)
    )
    if len(needed) < _WRAP_SLACK_MIN_LINES:
        return width
    return min(width, needed[int(len(needed) * _WRAP_SLACK_SHARE)] - 1)


# Double-spaced hard-wrapped text (TIME.ALL: a blank line after every printed line): blank-line
# blocks that are nearly all single wrapped lines are lines, not paragraphs.
_SPACED_SINGLE_SHARE = 0.9


def spaced_wrap_width(blocks: list[str]) -> int | None:
    """The column a double-spaced text was hard-wrapped at, given its blank-line `blocks`, or
    None when its blocks are paragraphs: at least nine blocks in ten must be one line, and
    those lines wrapped (`wrap_width`)."""
    blocks = [b.strip("\n") for b in blocks if b.strip()]
    lines = [b for b in blocks if "\n" not in b]
    if len(lines) < _SPACED_SINGLE_SHARE * len(blocks):
        return None
    return wrap_width(lines)


def _starts_own_paragraph(line: str) -> bool:
    """A speaker turn, a heading or a list item begins a paragraph wherever it stands."""
    return bool(speaker_of(line)) or heading_text(line) is not None or bool(_LIST_ITEM_RE.match(line))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def reflow(lines, width: int | None) -> Iterator[str]:
    """Paragraphs of hard-wrapped `lines` (an iterable, so a streamed file works too), each
    on one line: wrapped lines are joined with a space.

    With a `width` (a text without blank lines), a line starts a new paragraph when the
    previous line had room for its first word (a wrapping editor would have put it there, so
    the break was the author's), when it is indented more than the previous line, or when it
    starts a turn, heading or list item. Without one (the lines of one blank-line block),
    only the last rule applies. A paragraph reaching MAX_PASSAGE_CHARS is let go at a line
    end, so memory stays bounded whatever the text.
    """
    current: list[str] = []
    size = 0
    previous = ""
    for line in lines:
        text = line.strip()
        if not text:
            if current:
                yield " ".join(current)
            current, size, previous = [], 0, ""
            continue
        if current and (
            _starts_own_paragraph(line)
            or (
                width is not None
                and (len(previous.rstrip()) + 1 + len(text.split(None, 1)[0]) <= width or _indent(line) > _indent(previous))
            )
        ):
            yield " ".join(current)
            current, size = [], 0
        current.append(text)
        size += len(text) + 1
        previous = line
        if size >= MAX_PASSAGE_CHARS:
            yield " ".join(current)
            current, size = [], 0
    if current:
        yield " ".join(current)


def unwrap_block(block: str) -> list[str]:
    """A piece of a blank-line block with its inner line breaks as spaces (they are
    wrapping), split before a line that starts a turn, heading or list item."""
    if "\n" not in block.strip("\n"):
        return [block] if block.strip() else []
    return list(reflow(block.strip("\n").split("\n"), None))


def is_reflowed(body: str) -> bool:
    """Whether `split_paragraphs` joins lines of `body`: hard-wrapped lines, or blank-line
    blocks with line breaks inside (what `sofa index` reports as reflowed)."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if has_blank_line(body):
        blocks = _BLANK_LINE_RE.split(body)
        return any("\n" in block.strip("\n") for block in blocks if block.strip()) or spaced_wrap_width(blocks) is not None
    return wrap_width(body.split("\n")) is not None


def split_paragraphs(body: str) -> list[str]:
    """Blocks separated by blank lines; a text with no blank line has one paragraph per line,
    unless it is hard-wrapped (`wrap_width`), or double-spaced and hard-wrapped
    (`spaced_wrap_width`); wrapped lines are joined (`reflow`).

    A block longer than MAX_PASSAGE_CHARS is cut into bounded pieces (`cap_length`).
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if has_blank_line(body):
        blocks = _BLANK_LINE_RE.split(body)
        # Cut first, then join: what a streamed file can do too, so both read alike.
        pieces = (piece for b in blocks if b.strip() for piece in cap_length(b.strip("\n")))
        width = spaced_wrap_width(blocks)
        if width:  # double-spaced: each block a wrapped line
            return [piece for p in reflow(pieces, width) for piece in cap_length(p)]
        return [p for piece in pieces for p in unwrap_block(piece)]
    lines = body.split("\n")
    width = wrap_width(lines)
    blocks = reflow(lines, width) if width else lines
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
