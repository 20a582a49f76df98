"""What an index holds and depends on: its file names, the analysis it was built with, its records.

`ANALYSIS_ID` names everything besides the corpus files that decides an index's contents;
an index whose header records another is rebuilt (see `cache.is_fresh`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from sofa_cli import __version__
from sofa_cli.text.stopwords import STOPWORDS
from sofa_cli.text.synonyms import SYNONYM_GROUPS

INDEX_FILE = "index.sofa"


LOCK_FILE = "index.lock"


# Bump when analysis, segmentation or attribution change what an index holds: an index
# built by another version is then rebuilt even if no corpus file changed.
ANALYSIS_VERSION = 5  # 5: reflowed wrapped text, page furniture dropped, title lines, plain speaker labels


ANALYSIS_ID = (
    f"{__version__}/{ANALYSIS_VERSION}/{zlib.crc32(' '.join(sorted(STOPWORDS)).encode()):08x}"
    f"/{zlib.crc32(repr(SYNONYM_GROUPS).encode()):08x}"
)


@dataclass(frozen=True)
class DocInfo:
    id: str
    path: str
    title: str
    kind: str
    source: str | None
    author: str | None
    date: str | None
    url: str | None
    first_passage: int
    passage_count: int


@dataclass(frozen=True)
class StoredPassage:
    """A passage as the index holds it; `pid` is its position in the whole index."""

    pid: int
    doc: DocInfo
    number: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    speaker: str | None
    attributions: tuple[str | None, ...]
    prompt_pid: int


def _doc_record(doc) -> dict:
    return {
        "id": doc.id,
        "path": doc.path,
        "title": doc.title,
        "kind": doc.kind,
        "source": doc.source,
        "author": doc.author,
        "date": doc.date,
        "url": doc.url,
    }
