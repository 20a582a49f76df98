"""The library: open a corpus, ask it questions, list its documents, show a citation, evaluate.

    import sofa_cli

    with sofa_cli.open() as corpus:             # the bundled corpus; or sofa_cli.open("notes/")
        answer = corpus.ask("what did Hornung suggest?")
        print(answer[0].citation)               # kyodo-sofa ¶19

The command line, the shell, `sofa eval`, the tests and the benches all go through `Corpus`:
what they need to vary (filters, the ranking's constants, the index folder) is a parameter here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sofa_cli.errors import SofaError
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.cache import open_index
from sofa_cli.index.format import IndexFileError
from sofa_cli.index.reader import Index
from sofa_cli.model import Answer
from sofa_cli.query.config import Ranking
from sofa_cli.query.rank import Filters
from sofa_cli.text.safety import strip_controls

if TYPE_CHECKING:
    from sofa_cli.model.listings import Person, Quotes, Shown, Source
    from sofa_cli.model.scores import QAItem, Scores

# Longer questions are cut: a question is a sentence or two, and each unknown word costs a
# scan of the vocabulary for typo correction.
MAX_QUESTION_CHARS = 1000


def bundled_corpus() -> Path:
    """The corpus shipped in the wheel, or the checkout's `corpus/` in an editable install."""
    here = Path(__file__).resolve().parent
    packaged = here / "bundled"
    return packaged if packaged.is_dir() else here.parent / "corpus"


def clean_question(text: str) -> tuple[str, int | None]:
    """The question without terminal escapes or control characters, cut to MAX_QUESTION_CHARS;
    with its length when it was cut (for the caller to say so)."""
    question = strip_controls(text).strip()
    if len(question) > MAX_QUESTION_CHARS:
        return question[:MAX_QUESTION_CHARS], len(question)
    return question, None


class Corpus:
    """A corpus folder and its index, opened for questions; close it (or use `with`) to unmap the index."""

    def __init__(
        self,
        root: Path,
        index: Index,
        report=None,
        warnings: list[str] | None = None,
        reopen: Callable[..., Corpus] | None = None,
        notice: Callable[[str], None] | None = None,
        saved: bool = True,
        follow_links: bool = False,
    ) -> None:
        self.root = root
        self.follow_links = follow_links  # files linked from outside the folder are part of it
        self.index = index
        self.report = report  # the BuildReport when opening (re)built the index, else None
        self.warnings = list(warnings or [])
        # How this corpus was opened, to open it again: reopen(rebuild, progress, notice) -> Corpus.
        self._reopen = reopen
        self._notice = notice
        self.index_file: Path | None = index.path if saved else None  # None: the index lives in memory only
        self._people: list[Person] | None = None
        self._lines: dict[str, list[tuple[int, int] | None]] = {}

    # -- keeping fresh ----------------------------------------------------------------
    def is_stale(self) -> bool:
        """True when a corpus file was added, changed or removed since the index was loaded."""
        from sofa_cli.index.cache import is_fresh

        return not is_fresh(self.index, self.root, self.index.depends, self.follow_links)

    def refresh(self, progress: Callable[[int, int], None] | None = None, notice: Callable[[str], None] | None = None) -> bool:
        """Re-index what changed, as a new `open` would; True when the index was rebuilt
        (`report` and `warnings` then tell what happened)."""
        if self._reopen is None or not self.is_stale():
            return False
        self._take(self._reopen(False, progress, notice))
        return True

    def _take(self, other: Corpus) -> None:
        """Answer from `other`'s index from now on (a refreshed or rebuilt one)."""
        old, self.index = self.index, other.index
        if old is not self.index:
            old.close()
        self.report, self.index_file = other.report, other.index_file
        self.warnings = list(other.warnings)
        self._people, self._lines = None, {}

    def _reading(self, read: Callable[[Index], object]):
        """`read(self.index)`; when a section of the index proves damaged on first reading
        (sections are checked lazily), the index is rebuilt, with a warning, and read again."""
        try:
            return read(self.index)
        except IndexFileError as err:
            if self._reopen is None:
                raise
            message = f"index at {self.index.path} unusable ({err}); rebuilding"
            (self._notice or self.warnings.append)(message)
            reopen, self._reopen = self._reopen, None  # a rebuilt index that fails too is an error, not a loop
            warnings = self.warnings
            self._take(reopen(True, None, self._notice))
            self.warnings = warnings + self.warnings
            self._reopen = reopen
            return read(self.index)

    # -- asking -----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int = 3,
        filters: Filters | None = None,
        ranking: Ranking | None = None,
        explain: bool = False,
        locate: bool = True,
    ) -> Answer:
        """The best `k` passages for `question`, best first (an `Answer`, indexable as its results);
        `ranking` (sofa_cli.query.config) sets every constant of the ranking, the default's when None.

        With `locate`, each result's `file` and `lines` are filled in; finding the lines reads
        the result's file (once per document per Corpus): a bench timing the search alone may
        turn it off."""
        from sofa_cli.query.rank import ask

        question, _ = clean_question(question)
        answer = self._reading(
            lambda index: ask(
                index, question, limit=k, filters=filters or Filters(), ranking=ranking or Ranking(), explain=explain
            )
        )
        from dataclasses import replace

        results = answer.results
        if locate:
            results = [replace(r, file=self.file_of(r.doc), lines=self.lines_of(r.doc, r.passage)) for r in results]
        corrections = [list(c) for c in dict.fromkeys(map(tuple, answer.corrections))]  # once each, however often typed
        return replace(answer, results=results, corrections=corrections)

    # -- where passages are in the files ---------------------------------------------
    def file_of(self, doc_id: str) -> str | None:
        """The absolute path of the file a document comes from."""
        doc = self.index.doc_by_id(doc_id)
        return str(Path(self.index.corpus) / doc.path) if doc is not None else None

    def lines_of(self, doc_id: str, passage: int) -> list[int] | None:
        """[first, last] line (1-based) of a passage in its file, read from the file now;
        None when it cannot be found there verbatim (HTML, a file changed since indexing)."""
        doc = self.index.doc_by_id(doc_id)
        if doc is None or not 1 <= passage <= doc.passage_count:
            return None
        if "#" in doc.id and doc.path.endswith(".jsonl"):  # one document per line: its line
            try:
                line = int(doc.id.rsplit("#", 1)[1])
            except ValueError:
                return None
            return [line, line]
        if doc.id not in self._lines:
            self._lines[doc.id] = self._locate(doc)
        found = self._lines[doc.id][passage - 1]
        return list(found) if found else None

    def _locate(self, doc) -> list[tuple[int, int] | None]:
        from sofa_cli.query.lines import locate_passages

        texts = [self.index.passage_text(doc.first_passage + n) for n in range(doc.passage_count)]
        return locate_passages(Path(self.index.corpus) / doc.path, texts)

    def evaluate(self, qa: Path | str | Iterable[QAItem], k: int = 5, ranking: Ranking | None = None) -> Scores:
        """hit@1, hit@k, MRR and answer@1 over a QA file (JSON Lines of {"q", "gold"}) or QAItems."""
        from sofa_cli.query.evaluate import evaluate, read_qa

        items = read_qa(Path(qa)) if isinstance(qa, (str, Path)) else qa
        return evaluate(items, lambda q: self.ask(q, k=k, ranking=ranking, locate=False), k)

    # -- browsing ---------------------------------------------------------------------
    def sources(self) -> list[Source]:
        """The documents of the corpus, in index order."""
        from sofa_cli.query.browse import sources

        return self._reading(sources)

    def show(self, citation: str, context: int | None = None) -> Shown:
        """The passage `citation` names ("kyodo-sofa ¶19" or "kyodo-sofa:19") with `context` passages
        either side (default `browse.SHOW_CONTEXT`)."""
        from sofa_cli.model import citation as format_citation
        from sofa_cli.query.browse import SHOW_CONTEXT, parse_citation, show

        context = SHOW_CONTEXT if context is None else context
        doc_id, number = parse_citation(citation)  # a malformed citation is told as such before anything else
        real = self.resolve_id(doc_id)
        if real is not None and real != doc_id:
            citation = format_citation(real, number)
        shown = self._reading(lambda index: show(index, citation, context))
        cited = next(p.passage for p in shown.passages if p.cited)
        return self._with_file(shown, cited)

    def document(self, doc_id: str) -> Shown:
        """A whole document, every passage (none marked cited)."""
        from dataclasses import replace

        from sofa_cli.query.browse import CitationError, show

        doc = self.index.doc_by_id(self.resolve_id(doc_id) or doc_id)
        if doc is None:
            raise CitationError(f"unknown document {doc_id!r} (see `sofa sources`)")
        shown = show(self.index, f"{doc.id}:1", doc.passage_count)
        shown = replace(shown, citation=doc.id, passages=[replace(p, cited=False) for p in shown.passages])
        return self._with_file(shown, 1)

    def _with_file(self, shown: Shown, passage: int) -> Shown:
        from dataclasses import replace

        doc = self.index.doc_by_id(shown.doc)
        return replace(
            shown,
            file=self.file_of(shown.doc),
            lines=self.lines_of(shown.doc, passage),
            author=doc.author,
            date=doc.date,
            url=doc.url,
        )

    def has_document(self, doc_id: str) -> bool:
        return self.resolve_id(doc_id) is not None

    def resolve_id(self, doc_id: str) -> str | None:
        """The document id `doc_id` names: itself, or the id it is the printed form of (an id
        holding a newline or a control character is printed with visible stand-ins, `a␊b`,
        and that is what people copy back); None when no document has it."""
        if self.index.doc_by_id(doc_id) is not None:
            return doc_id
        from sofa_cli.text.safety import safe_line

        if doc_id == safe_line(doc_id):
            matches = [d.id for d in self.index.docs if d.id != safe_line(d.id) and safe_line(d.id) == doc_id]
            if len(matches) == 1:
                return matches[0]
        return None

    def document_ids(self) -> list[str]:
        return [d.id for d in self.index.docs]

    # -- people -----------------------------------------------------------------------
    def people(self) -> list[Person]:
        """Everyone who speaks (interview turns) or is quoted (reported sentences), most sentences first."""
        if self._people is None:
            from sofa_cli.query.quotes import people

            self._people = people(self.index)
        return self._people

    def person_names(self) -> list[str]:
        return [p.name for p in self.people()]

    def has_person(self, name: str) -> bool:
        """True when `name` names someone as --speaker matches them (a part of the name, any case)."""
        from sofa_cli.query.quotes import attributed_names, matches

        names = self.person_names() if self._people is not None else attributed_names(self.index)
        return any(matches(n, name) for n in names)  # lazily: a known name stops the scan early

    def quotes(self, name: str) -> Quotes:
        """Every sentence attributed to `name` (corrected to the closest name when it matches no one)."""
        from sofa_cli.query.quotes import quotes

        return quotes(self.index, name)

    @property
    def documents(self) -> int:
        return len(self.index.docs)

    @property
    def passages(self) -> int:
        return self.index.n_passages

    # -- lifetime ---------------------------------------------------------------------
    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<sofa Corpus {str(self.root)!r}: {self.documents} documents, {self.passages} passages>"


def open(  # noqa: A001 - sofa_cli.open reads as the library's entry point, like io.open
    path: str | Path | None = None,
    index_dir: str | Path | None = None,
    rebuild: bool = False,
    bm25: BM25Params | None = None,
    progress: Callable[[int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
    wait: bool = False,
    check_all: bool = False,
    shards: int | None = None,
    cluster: str | None = None,
    follow_links: bool = False,
) -> Corpus:
    """The corpus at `path` (default: the bundled one), its index built or refreshed as needed.

    Raises `CorpusError` for a missing folder. Warnings (a damaged index rebuilt, a cache that
    cannot be written) are in `Corpus.warnings`; what a build did is in `Corpus.report`;
    `bm25` sets the BM25 variant and constants (an index built with others is rebuilt);
    `notice` hears at once that this process waits for another one's build, or answers
    from the index another process is replacing; `wait` waits for that build instead.
    `check_all` checks every byte of an index it keeps now, not as it is first read.
    `shards` builds or refreshes a sharded index of that many shards, on the Dask scheduler at
    `cluster` or a local Dask cluster (docs/scale.md); a corpus that has a sharded index is
    answered from it. With `cluster`, questions of the sharded index are scored by that
    cluster's workers, each keeping its shards open between questions (without `shards`, the
    index is answered as it stands: nothing is built). `follow_links` reads the files that
    symbolic links in the folder point to outside it (by default they are refused with a
    warning: a corpus from a tarball must not expose ~/.ssh); /proc, /sys and /dev never.
    """
    root = Path(path) if path is not None else bundled_corpus()
    folder = str(index_dir) if index_dir is not None else None
    # -- hook for sharded indexes (sofa_cli/index/shards.py, docs/scale.md) --
    if shards is not None or cluster is not None or _has_shards(root, folder):
        if follow_links:
            raise SofaError("following links out of the corpus is not supported for a sharded index (docs/scale.md)")
        return _open_sharded(root, folder, shards, cluster, rebuild, bm25 or BM25Params(), check_all)

    def opening(rebuild: bool, progress=progress, notice=notice) -> Corpus:
        opened = open_index(root, folder, rebuild, bm25 or BM25Params(), progress, notice, wait, check_all, follow_links)
        return Corpus(root.resolve(), opened.index, opened.report, opened.warnings, opening, notice, opened.saved, follow_links)

    return opening(rebuild)


# -- the indexes kept ------------------------------------------------------------------


def document_ids(path: str | Path | None = None, index_dir: str | Path | None = None) -> list[str]:
    """The document ids of the index already kept for `path` (empty when there is none):
    for shell completion, which must never start a build."""
    return _from_kept_index(path, index_dir, lambda index: [d.id for d in index.docs])


def person_names(path: str | Path | None = None, index_dir: str | Path | None = None) -> list[str]:
    """Who speaks or is quoted in the index already kept for `path`, most sentences first
    (empty when there is none): for shell completion, which must never start a build."""
    from sofa_cli.query.quotes import names

    return _from_kept_index(path, index_dir, names)


def _from_kept_index(path: str | Path | None, index_dir: str | Path | None, read: Callable[[Index], list[str]]) -> list[str]:
    from sofa_cli.index.cache import index_path

    root = (Path(path) if path is not None else bundled_corpus()).expanduser().resolve()
    found = index_path(root, str(index_dir) if index_dir is not None else None)
    if not found.is_file():
        return []
    with Index(found) as index:
        return read(index)


# -- sharded indexes (docs/scale.md) -------------------------------------------------------------


def _has_shards(root: Path, folder: str | None) -> bool:
    """Whether `root` has a sharded index (a manifest where `shards.shard_folder` puts it)."""
    from sofa_cli.index.cache import index_path

    return (index_path(root.resolve(), folder).parent / "shards" / "manifest.json").is_file()


def _open_sharded(
    root: Path, folder: str | None, shards: int | None, cluster: str | None, rebuild: bool, params: BM25Params, check_all: bool
) -> Corpus:
    """A Corpus over the sharded index of `root`: built or refreshed first when `shards` is given
    (only the shards whose files changed), else answered as it stands; scored on `cluster`'s
    workers when given."""
    from sofa_cli.corpus.discover import CorpusError
    from sofa_cli.index.sharded_reader import ShardedIndex
    from sofa_cli.index.shards import ShardError, build_sharded, read_manifest, shard_folder

    root = root.resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    where = shard_folder(root, folder)
    report = None
    if shards is not None:
        from sofa_cli.cluster import dask_runner

        report = build_sharded(root, where, shards, params, dask_runner(cluster), rebuild)
    elif read_manifest(where) is None:
        raise ShardError(
            f"--cluster answers from a sharded index, and {root} has none: build one with `sofa index {root} --shards N`"
        )
    # With a cluster, its workers hold the shards open and score them (a build never runs here
    # without `shards`: a question must not wait on a build's lock).
    index = ShardedIndex(where, cluster=cluster)
    try:
        if check_all:
            index.check_all()
    except BaseException:
        index.close()
        raise
    warnings = [] if report is not None else _stale_shards(root, index.manifest)
    return Corpus(root, index, report, warnings)


def _stale_shards(root: Path, manifest) -> list[str]:
    """A warning when corpus files changed since the sharded build (answers come from the
    manifest as it stands: re-indexing a sharded corpus is `sofa index --shards`'s job)."""
    from sofa_cli.index.shards import plan_shards

    files, fingerprints = plan_shards(root, manifest.shards)
    recorded = [[tuple(f) for f in s["fingerprints"]] for s in manifest.shard_files]
    if files == manifest.files and [fingerprints[i] for i in range(manifest.shards)] == recorded:
        return []
    return [f"{root} changed since its sharded index was built; run `sofa index {root} --shards {manifest.shards}`"]
