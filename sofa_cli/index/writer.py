"""Building an index: corpus files parsed (in worker processes for a large corpus), documents
packed and streamed into the compiler, unchanged files reused from the previous index."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sofa_cli.corpus.discover import scan
from sofa_cli.corpus.documents import Document, Skipped, load_file
from sofa_cli.corpus.segment import Passage
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.compiler import Compiler
from sofa_cli.index.reader import Index
from sofa_cli.index.schema import DocInfo, _doc_record, dependencies, speaker_roles
from sofa_cli.index.terms import NewTerms, PackedDocument, TermNumberer, pack_document
from sofa_cli.model import counted

# Corpus text beyond this size is parsed (read, segmented, attributed) by worker processes,
# one per core; below it, starting them costs more than it saves. (A third worker on 2 cores
# looked faster under load, 22.5 against 27.9 s at 100k, only by taking a larger share of a busy
# machine: on a quiet one it was no faster at 100k and slower at 1M, 148.0 against 142.3 s, for
# ~50 MB more; bench/results/profile.md.)
PARALLEL_BYTES = 8 * 1024 * 1024


@dataclass
class BuildReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reflowed: int = 0  # documents parsed in this build whose hard-wrapped lines were joined

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"
            f" ({counted(self.documents, 'document')}, {counted(self.passages, 'passage')}, {self.seconds:.2f}s)"
        )


def _fingerprint(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


Attribute = Callable[[Document, list[Passage]], list[Passage]]


@dataclass(frozen=True)
class ParseSettings:
    """What parsing a corpus file depends on besides the file: handed to each parse worker
    when it starts, so no module global carries it from `build` to the workers."""

    attribute: Attribute
    follow_links: bool = False  # files linked from outside the corpus folder are read


class ParsedDocument(NamedTuple):
    """A document as a parse worker sends it: its record, its warnings, its packed passages,
    and whether its hard-wrapped lines were joined (for the build's report)."""

    record: dict
    warnings: list[str]
    packed: PackedDocument
    reflowed: bool = False


class ParsedFile(NamedTuple):
    """One corpus file parsed: its documents (or why it was skipped) and the vocabulary its
    term numberer met first in it, which the compiler must hear before the documents."""

    items: list[ParsedDocument | Skipped]
    new_terms: NewTerms


class FileParser:
    """Reads, segments, attributes, analyses and packs corpus files, numbering their terms
    with one `TermNumberer` for all the files it parses (in one process)."""

    def __init__(self, settings: ParseSettings) -> None:
        self.settings = settings
        self.numberer = TermNumberer()

    def __call__(self, job: tuple[Path, Path]) -> ParsedFile:
        """Everything per passage happens here, in a worker process for large corpora, so
        the main process only appends compact arrays."""
        from sofa_cli.corpus.segment import passages_of

        path, root = job
        items: list[ParsedDocument | Skipped] = []
        for item in load_file(path, root, self.settings.follow_links):
            if isinstance(item, Skipped):
                items.append(item)
            else:
                passages = self.settings.attribute(item, passages_of(item))
                items.append(
                    ParsedDocument(
                        _doc_record(item, speaker_roles(passages)),
                        item.warnings,
                        pack_document(passages, self.numberer),
                        item.reflowed,
                    )
                )
        return ParsedFile(items, self.numberer.take_new())


# The parser of a parse worker process: set once by `_start_worker` in each worker (the
# pool's initializer, given the build's settings), read by `_parse_in_worker`. Never set
# in the building process, so `build` stays reentrant.
_worker_parser: FileParser | None = None


def _start_worker(settings: ParseSettings) -> None:
    """A worker's own parser: a forked copy of the build's would number terms the compiler
    has already been told about under the build's numberer's `source`.

    A worker's stderr goes nowhere: whatever ends the build (Ctrl-C reaches the whole process
    group, SIGTERM, the parent killed), a worker ending must not print "Process ..." and a
    traceback; its real errors reach the building process, which reports them."""
    global _worker_parser

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    _worker_parser = FileParser(settings)


def _parse_in_worker(job: tuple[Path, Path]) -> ParsedFile:
    return _worker_parser(job)


def _parsed_files(jobs: list[tuple[Path, Path]], parser: FileParser, parallel: bool):
    """Each job parsed, in order: by `parser` here, or across worker processes when `parallel`."""
    if not parallel or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        yield from map(parser, jobs)
        return
    from sofa_cli.corpus.segment import _punkt
    from sofa_cli.index.workers import ordered_map

    _punkt()  # loaded once here, inherited by the forked workers
    yield from ordered_map(_parse_in_worker, jobs, os.cpu_count(), _start_worker, (parser.settings,))


def build(
    root: Path,
    previous: Index | None = None,
    params: BM25Params = BM25Params(),
    progress: Callable[[int, int], None] | None = None,
    attribute: Attribute | None = None,
    stem: Callable[[str], str] | None = None,
    parallel_bytes: int = PARALLEL_BYTES,
    scratch: Path | None = None,
    follow_links: bool = False,
) -> tuple[dict, dict, BuildReport]:
    """Parse the corpus at `root` (reusing `previous` for unchanged files) into index data;
    with worker processes when more than `parallel_bytes` of files are to be parsed.

    Documents stream into the compiler as they are parsed, so memory holds the compact
    index being built, not the parsed corpus. Large corpora are parsed by one worker
    process per core (segmenting and attribution are pure Python, the bulk of the time).
    `attribute` and `stem` replace attribution and the Snowball stemmer (for tests).
    `scratch`: where a large build writes its scratch files (the index's folder, so they
    take no room in a small /tmp); the large sections of the result are read back from
    them as the index is written. `follow_links`: files linked from outside `root` are read.
    """
    if attribute is None:
        from sofa_cli.corpus.attribution import attribute
    parser = FileParser(ParseSettings(attribute, follow_links))  # a fresh numberer: its forms must all be reported to this build
    started = time.perf_counter()
    report = BuildReport()
    found = scan(root, follow_links)  # links out of the corpus (unless followed) and special files come back refused
    paths = found.paths
    report.skipped.extend(found.skipped)
    old_files = {f["path"]: f for f in previous.files} if previous else {}
    if previous and previous.depends != dependencies(params):
        old_files = {}  # built with other settings: nothing of it can be reused
    compiler = Compiler(params, scratch=scratch) if stem is None else Compiler(params, stem, scratch)
    files = []
    seen: set[str] = set()
    plan: list[tuple[Path, str, tuple[int, int] | None, dict | None]] = []
    to_parse: list[tuple[Path, Path]] = []
    parse_bytes = 0
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            fingerprint = _fingerprint(path)
        except OSError as err:
            report.skipped.append(Skipped(rel, err.strerror or str(err)))
            continue
        old = old_files.get(rel)
        if old and (old["size"], old["mtime_ns"]) == fingerprint:
            plan.append((path, rel, fingerprint, old))
        else:
            plan.append((path, rel, fingerprint, None))
            to_parse.append((path, root))
            parse_bytes += fingerprint[0]
    with closing(_parsed_files(to_parse, parser, parallel=parse_bytes > parallel_bytes)) as parsed:
        for n, (_path, rel, (size, mtime), old) in enumerate(plan):
            if progress:
                progress(n, len(plan))
            entry = {"path": rel, "size": size, "mtime_ns": mtime, "docs": [], "skipped": None}
            if old is not None:
                report.unchanged += 1
                for d in old["docs"]:
                    info = previous.docs[d]
                    record = _doc_record(info, info.roles)
                    record["id"] = _unique_id(info.id, info.path, seen, report)
                    packed = pack_document(_reuse_passages(previous, info), parser.numberer)
                    compiler.add_vocabulary(parser.numberer.take_new())
                    entry["docs"].append(compiler.add(record, packed))
                entry["skipped"] = old.get("skipped")
                if old.get("skipped"):
                    report.skipped.append(Skipped(rel, old["skipped"]))
                files.append(entry)
                continue
            report.updated += 1 if rel in old_files else 0
            report.new += 0 if rel in old_files else 1
            items, new_terms = next(parsed)
            compiler.add_vocabulary(new_terms)
            add_parsed(compiler, entry, items, seen, report)
            files.append(entry)
    report.removed = len(set(old_files) - {f["path"] for f in files})
    if progress:
        progress(len(plan), len(plan))
    header, sections = compiler.finish(root, files)
    report.documents = len(sections["doc_first"]) - 1
    report.passages = len(sections["p_doc"])
    report.seconds = time.perf_counter() - started
    return header, sections, report


def add_parsed(
    compiler: Compiler, entry: dict, items: list[ParsedDocument | Skipped], seen: set[str], report: BuildReport
) -> None:
    """One file's parsed documents into the compiler, each under a unique id, listed in the
    file's `entry`; what was skipped, the warnings and the reflowed count into the report.
    The one way documents enter an index, whole or sharded (`shards.build_shard`)."""
    for item in items:
        if isinstance(item, Skipped):
            report.skipped.append(item)
            if item.path == entry["path"]:
                entry["skipped"] = item.reason
            continue
        record, warnings, packed, reflowed = item
        report.reflowed += reflowed
        # After parsing: a streamed file reports late decoding problems as it is read.
        report.warnings.extend(f"{record['path']}: {w}" for w in warnings)
        record["id"] = _unique_id(record["id"], record["path"], seen, report)
        entry["docs"].append(compiler.add(record, packed))


def unique_id(doc_id: str, path: str, seen: set[str]) -> str:
    """`doc_id`, or for a second document with the same id (notes.md beside notes.txt) its
    file name with extension, so every citation names one document; the id is added to `seen`."""
    unique = doc_id
    if unique in seen:
        unique = path if "#" not in doc_id else f"{path}#{doc_id.rsplit('#', 1)[1]}"
        n = 2
        while unique in seen:
            unique, n = f"{path}~{n}", n + 1
    seen.add(unique)
    return unique


def _unique_id(doc_id: str, path: str, seen: set[str], report: BuildReport) -> str:
    """`unique_id`, with a warning in the report where the id was taken."""
    unique = unique_id(doc_id, path, seen)
    if unique != doc_id:
        report.warnings.append(f"{path}: document id {doc_id!r} is taken; cited as {unique!r}")
    return unique


def _reuse_passages(previous: Index, info: DocInfo) -> list[Passage]:
    from sofa_cli.corpus.segment import Passage

    out = []
    for pid in range(info.first_passage, info.first_passage + info.passage_count):
        p = previous.passage(pid)
        prompt = previous.passage_text(p.prompt_pid) if p.prompt_pid >= 0 else None
        out.append(Passage(p.number, p.text, p.sentences, p.speaker, prompt, p.attributions))
    return out
