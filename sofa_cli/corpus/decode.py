"""Decoding corpus bytes: byte order marks, binary files, UTF-8 with a Latin-1 fallback."""

from __future__ import annotations

import codecs

# A NUL byte in the first bytes marks a binary file, as ripgrep and git decide.
BINARY_SNIFF = 8192


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
