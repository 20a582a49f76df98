"""Decoding corpus bytes: byte order marks, binary files, UTF-8 with a Latin-1 fallback.

The one sniffer: every loader (whole files, streamed files, JSON Lines) asks `bom_codec`
and `encoding_of` which codec a file is in, so they cannot disagree.
"""

from __future__ import annotations

import codecs
import json
import re

from sofa_cli.text.safety import drop_invisible  # also applied to questions, so both sides agree

# A NUL byte in the first bytes marks a binary file, as ripgrep and git decide.
BINARY_SNIFF = 8192


UTF16_WARNING = "decoded as UTF-16 (byte order mark)"


UTF32_WARNING = "decoded as UTF-32 (byte order mark)"


LATIN1_WARNING = "not valid UTF-8, decoded as Latin-1"


# UTF-32 first: its little-endian mark begins with UTF-16's (FF FE), and its text holds NULs.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", UTF32_WARNING),
    (codecs.BOM_UTF32_BE, "utf-32", UTF32_WARNING),
    (codecs.BOM_UTF16_LE, "utf-16", UTF16_WARNING),
    (codecs.BOM_UTF16_BE, "utf-16", UTF16_WARNING),
)


def bom_codec(head: bytes) -> tuple[str, str] | None:
    """(codec, warning) for a file starting with a UTF-16 or UTF-32 byte order mark, else None."""
    for bom, codec, warning in _BOMS:
        if head.startswith(bom):
            return codec, warning
    return None


def decode(data: bytes) -> tuple[str, str | None]:
    """Text of a file and a warning when it was not plain UTF-8; raises ValueError for binary."""
    wide = bom_codec(data)
    if wide:
        return drop_invisible(data.decode(wide[0], errors="replace")), wide[1]
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if b"\x00" in data[:BINARY_SNIFF]:
        raise ValueError("binary file")
    try:
        return drop_invisible(data.decode("utf-8")), None
    except UnicodeDecodeError:
        return drop_invisible(data.decode("cp1252", errors="replace")), LATIN1_WARNING


def encoding_of(head: bytes, whole: bool = False) -> tuple[str, str | None]:
    """The codec for a file starting with `head`, and its warning; ValueError for binary.

    For streamed files: the choice is made on the first chunk; a later chunk that is not
    UTF-8 switches the rest of the file to Latin-1 (see `_decoded_chunks`).
    """
    wide = bom_codec(head)
    if wide:
        return wide
    if b"\x00" in head[:BINARY_SNIFF]:
        raise ValueError("binary file")
    codec = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(head, final=whole)
    except UnicodeDecodeError:
        return "cp1252", LATIN1_WARNING
    return codec, None


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _valid_strings(value):
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid_strings(v) for v in value]
    if isinstance(value, dict):
        return {_valid_strings(k): _valid_strings(v) for k, v in value.items()}
    return value


def loads_json(raw: str, **options):
    """`json.loads(raw, **options)`, every string in it valid text: JSON can escape half a
    character (`"\\ud800"`), which Python keeps as a lone surrogate that no UTF-8 can hold,
    so the index write failed on it ("surrogates not allowed"); each becomes U+FFFD."""
    value = json.loads(raw, **options)
    return _valid_strings(value) if "\\u" in raw or "\\U" in raw else value
