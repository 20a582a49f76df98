"""The library: open a corpus, ask it questions, list its documents, show a citation, evaluate.

    import sofa_cli

    with sofa_cli.open() as corpus:             # the bundled corpus; or sofa_cli.open("notes/")
        answer = corpus.ask("what did Hornung suggest?")
        print(answer[0].citation)               # kyodo-sofa ¶19

The command line, the shell, `sofa eval`, the tests and the benches all go through `Corpus`:
what they need to vary (filters, ranking weights, the index folder) is a parameter here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.cache import open_index
from sofa_cli.index.format import IndexFileError
from sofa_cli.index.reader import Index
from sofa_cli.model import Answer, QAItem, Scores, Shown, Source
from sofa_cli.query.browse import SHOW_CONTEXT
from sofa_cli.query.config import Weights
from sofa_cli.query.rank import Filters
from sofa_cli.text.safety import strip_controls

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
        rebuild: Callable[[], Corpus] | None = None,
        notice: Callable[[str], None] | None = None,
        saved: bool = True,
    ) -> None:
        self.root = root
        self.index = index
        self.report = report  # the BuildReport when opening (re)built the index, else None
        self.warnings = list(warnings or [])
        self._rebuild = rebuild
        self._notice = notice
        self.index_file: Path | None = index.path if saved else None  # None: the index lives in memory only

    def _reading(self, read: Callable[[Index], object]):
        """`read(self.index)`; when a section of the index proves damaged on first reading
        (sections are checked lazily), the index is rebuilt, with a warning, and read again."""
        try:
            return read(self.index)
        except IndexFileError as err:
            if self._rebuild is None:
                raise
            message = f"index at {self.index.path} unusable ({err}); rebuilding"
            (self._notice or self.warnings.append)(message)
            self.index.close()
            rebuilt = self._rebuild()
            self.index, self.report, self.index_file = rebuilt.index, rebuilt.report, rebuilt.index_file
            self.warnings.extend(rebuilt.warnings)
            self._rebuild = None  # a rebuilt index that fails too is an error, not a loop
            return read(self.index)

    # -- asking -----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int = 3,
        filters: Filters | None = None,
        weights: Weights | None = None,
        explain: bool = False,
    ) -> Answer:
        """The best `k` passages for `question`, best first (an `Answer`, indexable as its results)."""
        from sofa_cli.query.rank import ask

        question, _ = clean_question(question)
        filters, weights = filters or Filters(), weights or Weights()
        return self._reading(lambda index: ask(index, question, limit=k, filters=filters, weights=weights, explain=explain))

    def evaluate(self, qa: Path | str | Iterable[QAItem], k: int = 5, weights: Weights | None = None) -> Scores:
        """hit@1, hit@k, MRR and answer@1 over a QA file (JSON Lines of {"q", "gold"}) or QAItems."""
        from sofa_cli.query.evaluate import evaluate, read_qa

        items = read_qa(Path(qa)) if isinstance(qa, (str, Path)) else qa
        return evaluate(items, lambda q: self.ask(q, k=k, weights=weights), k)

    # -- browsing ---------------------------------------------------------------------
    def sources(self) -> list[Source]:
        """The documents of the corpus, in index order."""
        from sofa_cli.query.browse import sources

        return self._reading(sources)

    def show(self, citation: str, context: int = SHOW_CONTEXT) -> Shown:
        """The passage `citation` names ("kyodo-sofa ¶19" or "kyodo-sofa:19") with `context` passages either side."""
        from sofa_cli.query.browse import show

        return self._reading(lambda index: show(index, citation, context))

    def has_document(self, doc_id: str) -> bool:
        return self._reading(lambda index: index.doc_by_id(doc_id)) is not None

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
    answered from it.
    """
    root = Path(path) if path is not None else bundled_corpus()
    folder = str(index_dir) if index_dir is not None else None
    # -- hook for sharded indexes (sofa_cli/index/shards.py, docs/scale.md) --
    if shards is not None or cluster is not None or _has_shards(root, folder):
        return _open_sharded(root, folder, shards, cluster, rebuild, bm25 or BM25Params(), check_all)

    def opening(rebuild: bool) -> Corpus:
        opened = open_index(root, folder, rebuild, bm25 or BM25Params(), progress, notice, wait, check_all)
        rebuilding = lambda: opening(True)  # noqa: E731 - for a damaged index found while reading
        return Corpus(root.resolve(), opened.index, opened.report, opened.warnings, rebuilding, notice, opened.saved)

    return opening(rebuild)


# -- sharded indexes (docs/scale.md) -------------------------------------------------------------


def _has_shards(root: Path, folder: str | None) -> bool:
    """Whether `root` has a sharded index (a manifest where `shards.shard_folder` puts it)."""
    from sofa_cli.index.cache import index_path

    return (index_path(root.resolve(), folder).parent / "shards" / "manifest.json").is_file()


def _open_sharded(
    root: Path, folder: str | None, shards: int | None, cluster: str | None, rebuild: bool, params: BM25Params, check_all: bool
) -> Corpus:
    """A Corpus over the sharded index of `root`: built or refreshed first when `shards` or
    `cluster` is given (only the shards whose files changed), else answered as it stands."""
    from sofa_cli.corpus.discover import CorpusError
    from sofa_cli.index.sharded_reader import ShardedIndex
    from sofa_cli.index.shards import ShardError, build_sharded, read_manifest, shard_folder

    root = root.resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    where = shard_folder(root, folder)
    report = None
    if shards is not None or cluster is not None:
        if shards is None:
            manifest = read_manifest(where)
            if manifest is None:
                raise ShardError("--cluster needs --shards N for a corpus that has no sharded index yet")
            shards = manifest.shards
        from sofa_cli.cluster import dask_runner

        report = build_sharded(root, where, shards, params, dask_runner(cluster), rebuild)
    index = ShardedIndex(where)
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
