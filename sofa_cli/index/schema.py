"""What an index holds and depends on: its file names, the analysis it was built with, its records.

`IndexDependencies` names everything besides the corpus files that decides an index's
contents; an index whose header records other ones is rebuilt (see `cache.is_fresh`).
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field, fields

from sofa_cli import __version__
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.text.stopwords import STOPWORDS
from sofa_cli.text.synonyms import SYNONYM_GROUPS

INDEX_FILE = "index.sofa"


LOCK_FILE = "index.lock"


# Bump when analysis, segmentation or attribution change what an index holds: an index
# built by another version is then rebuilt even if no corpus file changed.
ANALYSIS_VERSION = 7  # 5: reflowed wrapped text, page furniture dropped, title lines, plain speaker labels
# 6: each sentence's and title's term ids stored for reranking (`s_terms`, `title_terms`)
# 7: a transcript's speaker roles in its document record (`DocInfo.roles`); double-spaced wrapped text reflowed


STOPWORDS_CHECKSUM = f"{zlib.crc32(' '.join(sorted(STOPWORDS)).encode()):08x}"


SYNONYMS_CHECKSUM = f"{zlib.crc32(repr(SYNONYM_GROUPS).encode()):08x}"


@dataclass(frozen=True)
class IndexDependencies:
    """Everything besides the corpus files that decides what an index holds: the sofa and
    analysis versions, the stopword and synonym lists (by checksum) and the BM25 variant
    and constants baked into its weights. Recorded in the header; any difference rebuilds."""

    sofa: str
    analysis: int
    stopwords: str
    synonyms: str
    bm25: BM25Params

    def record(self) -> dict:
        """As the header holds it: the fields in order, `bm25` as `BM25Params.record()`."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> IndexDependencies:
        """Read back `record()`; raises KeyError, TypeError or ValueError for anything else."""
        plain = {k: record[k] for k in ("sofa", "analysis", "stopwords", "synonyms")}
        return cls(**plain, bm25=BM25Params(**record["bm25"]))


def dependencies(params: BM25Params) -> IndexDependencies:
    """What an index built by this sofa with `params` depends on."""
    return IndexDependencies(__version__, ANALYSIS_VERSION, STOPWORDS_CHECKSUM, SYNONYMS_CHECKSUM, params)


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
    # The job title a transcript's labels give each speaker ("Baker Tomas Eid:" -> {"Tomas Eid":
    # "Baker"}): per document, as a label need not repeat it on every turn. In the record only
    # when there is one, so an article's record is as it was.
    roles: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


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

    @property
    def role(self) -> str | None:
        """The speaker's job title, as the document's labels give it (`DocInfo.roles`)."""
        return self.doc.roles.get(self.speaker) if self.speaker else None


# A document's record in the index: DocInfo's fields less those the passage table gives.
_DOC_RECORD_FIELDS = tuple(f.name for f in fields(DocInfo) if f.name not in ("first_passage", "passage_count", "roles"))


def _doc_record(doc, roles: dict[str, str]) -> dict:
    """`doc`'s record (a Document or a DocInfo), with its speakers' `roles` when it has any."""
    record = {name: getattr(doc, name) for name in _DOC_RECORD_FIELDS}
    if roles:
        record["roles"] = roles
    return record


def speaker_roles(passages) -> dict[str, str]:
    """Each speaker's role, the first its turns' labels give (`Passage.role`)."""
    roles: dict[str, str] = {}
    for p in passages:
        if p.role and p.speaker:
            roles.setdefault(p.speaker, p.role)
    return roles
