"""The index's string tables: byte-sorted strings with offsets, CRC-32 hash tables over them,
and per-form character histograms that narrow typo correction's scan."""

from __future__ import annotations

import array
import zlib

from sofa_cli.text.analysis import normalise_form, stem
from sofa_cli.text.synonyms import SYNONYM_GROUPS

# Typo correction scans the corpus forms in Python up to this many; beyond, numpy first
# narrows them with per-form character counts (HIST_BINS buckets, in the index).
FORM_SCAN = 5_000


HIST_BINS = 32


def char_hist(form: str) -> bytes:
    """Counts of a form's characters in HIST_BINS buckets (merging characters can only
    hide differences, so the edit-distance bound stays a necessary condition)."""
    counts = [0] * HIST_BINS
    for ch in form:
        counts[ord(ch) % HIST_BINS] += 1
    return bytes(min(c, 255) for c in counts)


def char_hists(forms: list[str]) -> bytes:
    """`b"".join(map(char_hist, forms))`, counted by numpy for the whole vocabulary at once."""
    import numpy as np

    try:
        codes = np.frombuffer("".join(forms).encode("utf-32-le"), dtype="<u4")
    except UnicodeEncodeError:  # a lone surrogate: one form at a time
        return b"".join(map(char_hist, forms))
    lengths = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
    owner = np.repeat(np.arange(len(forms), dtype=np.int64), lengths)
    counts = np.bincount(owner * HIST_BINS + codes % HIST_BINS, minlength=len(forms) * HIST_BINS)
    return np.minimum(counts, 255).astype(np.uint8).tobytes()


def hash_table(strings: list[str]):
    """Open addressing over `strings` (slot -> position, -1 empty), keyed by CRC-32.

    A look-up is one checksum and usually one comparison, against some twenty slices of
    the mapped blob for a binary search: reranking looks up every word of a hundred
    passages, so that was a fifth of a one-shot answer at 100,000 passages.
    """
    return hash_table_of_bytes([s.encode("utf-8") for s in strings])


def hash_table_of_bytes(raws: list[bytes]):
    """`hash_table` of strings already encoded as UTF-8 (the sharded reduce merges bytes)."""
    size = 1 << max(3, (2 * len(raws)).bit_length())
    mask = size - 1
    table = array.array("i", [-1]) * size
    slots = [zlib.crc32(raw) & mask for raw in raws]
    for position, slot in enumerate(slots):
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = position
    return table


def find(table: memoryview, blob: memoryview, offsets: memoryview, key: bytes) -> int | None:
    """Position of `key` in a string table (`blob` cut at `offsets`), through its hash table."""
    mask = len(table) - 1
    slot = zlib.crc32(key) & mask
    while (i := table[slot]) >= 0:
        if blob[offsets[i] : offsets[i + 1]] == key:
            return i
        slot = (slot + 1) & mask
    return None


def string_table(strings: list[str]) -> tuple[bytes, array.array]:
    """The strings' UTF-8 bytes one after another, and the offsets that cut them apart."""
    offsets = array.array("q", [0])
    parts = []
    total = 0
    for s in strings:
        raw = s.encode("utf-8")
        parts.append(raw)
        total += len(raw)
        offsets.append(total)
    return b"".join(parts), offsets


def synonym_groups() -> list[dict[str, str]]:
    """Each synonym group as stem -> the first of its words with that stem (for saying which
    word stood in), for groups of two stems or more. Stored whole in the index: a question
    word the corpus lacks is looked up in them too, and the query path has no stemmer."""
    groups = []
    for group in SYNONYM_GROUPS:
        words: dict[str, str] = {}
        for word in group:
            words.setdefault(stem(normalise_form(word)), word)
        if len(words) > 1:
            groups.append(words)
    return groups
