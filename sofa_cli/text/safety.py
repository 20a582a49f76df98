"""Terminal safety: corpus text (and anything typed at sofa) is untrusted.

Before it reaches a terminal, control characters, escape sequences and bidi overrides are
replaced one-for-one by visible stand-ins (so highlight offsets still line up); in JSON they
are written as \\u escapes. One place for every printer of corpus text, names and questions.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline (ESC starts CSI/OSC sequences), DEL, C1 controls (U+009B
# is a one-character CSI on some terminals), and the bidi marks, embeddings, overrides and
# isolates that can make text read in another order than it is stored ("Trojan Source"),
# and lone surrogates: a name's bytes that are not UTF-8 (os hands them back as U+DC80 to
# U+DCFF) would reach the terminal raw, byte 0x9B being a one-byte CSI on 8-bit terminals.
_UNSAFE_CHARS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"


_UNSAFE_RE = re.compile(f"[{_UNSAFE_CHARS}]")


_UNSAFE_LINE_RE = re.compile(f"[{_UNSAFE_CHARS}\t\n\u2028\u2029]")


# Whole escape sequences, for text typed at sofa (a question): CSI, OSC/DCS/APC strings, 2-char ESC.
_ESCAPE_SEQUENCE_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)|\x1b.?|\x9b[0-?]*[ -/]*[@-~]", re.S)


def _stand_in(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␍ for CR, ...
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def safe(text: str) -> str:
    """`text` with every control/bidi character replaced by one visible character."""
    return _UNSAFE_RE.sub(_stand_in, text)


def _name_stand_in(match: re.Match) -> str:
    char = match.group()
    if char == "\t":
        return " "
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xDC00:02x}"  # a byte that is not UTF-8, as `readable_name` writes it
    return _stand_in(match)


def safe_line(text: str) -> str:
    """`safe`, and kept on one line: the one form in which sofa prints a name (ids, file and
    folder names, titles, headers, the shell's prompt and completions, messages). A byte of
    a name that is not UTF-8 reads `\\xe9`; `Corpus.resolve_id` takes this printed form back."""
    return _UNSAFE_LINE_RE.sub(_name_stand_in, text)


# Invisible characters that split a word for the tokenizer although a reader sees one word
# ("Oki\u200bnawa" is "Okinawa" on screen): zero-width space, word joiner, a byte order mark
# inside text, soft hyphen. The corpus loader removes them as it decodes, before any offset
# is taken; questions lose them here, so both sides see the same words. Zero-width
# (non-)joiners stay: they shape Persian and Indic words and emoji.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))


def drop_invisible(text: str) -> str:
    """`text` without the invisible characters that would split a word in two."""
    # Looked for first: translate looks up every character in a dict (a third of reading a
    # .jsonl file), and few texts hold any of the four.
    if text.isascii() or not ("\u200b" in text or "\u2060" in text or "\ufeff" in text or "\u00ad" in text):
        return text
    return text.translate(_INVISIBLE)


def strip_controls(text: str) -> str:
    """Text typed at sofa (a question) without terminal escape sequences, control/bidi
    characters (they carry no words, and would otherwise glue onto them: "[31mHornung") or
    invisible characters inside words (`drop_invisible`)."""
    return drop_invisible(_UNSAFE_LINE_RE.sub(" ", _ESCAPE_SEQUENCE_RE.sub(" ", text)))


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_json_unsafe(text: str) -> str:
    """Serialized JSON with each control or bidi character written as a \\u escape."""
    return _UNSAFE_RE.sub(_json_escape, text)
