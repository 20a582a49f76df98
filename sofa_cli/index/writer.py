"""Building an index: corpus files parsed (in worker processes for a large corpus), documents
packed and streamed into the compiler, unchanged files reused from the previous index."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sofa_cli.corpus.discover import scan
from sofa_cli.corpus.documents import Document, Skipped, load_file
from sofa_cli.corpus.segment import Passage
from sofa_cli.index import bm25
from sofa_cli.index.compiler import _Compiler
from sofa_cli.index.reader import Index
from sofa_cli.index.schema import ANALYSIS_ID, DocInfo, _doc_record
from sofa_cli.index.terms import _Analyser, _pack

# Corpus text beyond this size is parsed (read, segmented, attributed) by worker processes,
# one per core; below it, starting them costs more than it saves.
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
            f" ({self.documents} documents, {self.passages} passages, {self.seconds:.2f}s)"
        )


def _fingerprint(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


_parse_attribute: Callable | None = None


_analyser = _Analyser()  # per build, and a fresh one per parse worker (_fresh_analyser)


def _fresh_analyser() -> None:
    """A forked worker's own analyser: the build's, copied by the fork, numbers terms the
    compiler has already been told about under the build's `source`."""
    global _analyser
    _analyser = _Analyser()


def _parse_file(job: tuple[Path, Path]) -> tuple[list, tuple]:
    """Read, segment, attribute, analyse and pack one corpus file; with the acronyms
    and forms first seen (`_Analyser.take_new`).

    Runs in a worker process for large corpora: everything per passage happens here, so
    the main process only appends compact arrays. Each document comes as its record,
    its warnings and its packed passages (`_pack`).
    """
    from sofa_cli.corpus.segment import passages_of

    path, root = job
    out = []
    for item in load_file(path, root):
        if isinstance(item, Skipped):
            out.append(item)
        else:
            passages = _parse_attribute(item, passages_of(item))
            out.append((_doc_record(item), item.warnings, _pack(passages, _analyser), item.reflowed))
    return out, _analyser.take_new()


def _parsed_files(jobs: list[tuple[Path, Path]], parallel: bool):
    """`_parse_file` of each job, in order; across worker processes when `parallel`."""
    if not parallel or (os.cpu_count() or 1) < 2:
        yield from map(_parse_file, jobs)
        return
    import multiprocessing

    from sofa_cli.corpus.segment import _punkt

    _punkt()  # loaded once here, inherited by the forked workers
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        yield from map(_parse_file, jobs)
        return
    with context.Pool(os.cpu_count(), initializer=_fresh_analyser) as pool:
        yield from pool.imap(_parse_file, jobs, chunksize=1)


def build(
    root: Path,
    previous: Index | None = None,
    variant: str = bm25.DEFAULT_VARIANT,
    progress: Callable[[int, int], None] | None = None,
    attribute: Callable[[Document, list[Passage]], list[Passage]] | None = None,
) -> tuple[dict, dict, BuildReport]:
    """Parse the corpus at `root` (reusing `previous` for unchanged files) into index data.

    Documents stream into the compiler as they are parsed, so memory holds the compact
    index being built, not the parsed corpus. Large corpora are parsed by one worker
    process per core (segmenting and attribution are pure Python, the bulk of the time).
    """
    global _parse_attribute, _analyser
    if attribute is None:
        from sofa_cli.corpus.attribution import attribute
    _parse_attribute = attribute
    _analyser = _Analyser()  # a fresh one: its forms must all be reported to this build
    started = time.perf_counter()
    report = BuildReport()
    found = scan(root)  # links out of the corpus and special files come back refused
    paths = found.paths
    report.skipped.extend(found.skipped)
    old_files = {f["path"]: f for f in previous.files} if previous else {}
    if previous and (previous.variant != variant or previous.file.header.get("analysis") != ANALYSIS_ID):
        old_files = {}
    compiler = _Compiler(variant)
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
    parsed = _parsed_files(to_parse, parallel=parse_bytes > PARALLEL_BYTES)
    for n, (_path, rel, (size, mtime), old) in enumerate(plan):
        if progress:
            progress(n, len(plan))
        entry = {"path": rel, "size": size, "mtime_ns": mtime, "docs": [], "skipped": None}
        if old is not None:
            report.unchanged += 1
            for d in old["docs"]:
                info = previous.docs[d]
                record = _doc_record(info)
                record["id"] = _unique_id(info.id, info.path, seen, report)
                packed = _pack(_reuse_passages(previous, info), _analyser)
                compiler.add_vocabulary(*_analyser.take_new())
                entry["docs"].append(compiler.add(record, packed))
            entry["skipped"] = old.get("skipped")
            if old.get("skipped"):
                report.skipped.append(Skipped(rel, old["skipped"]))
            files.append(entry)
            continue
        report.updated += 1 if rel in old_files else 0
        report.new += 0 if rel in old_files else 1
        items, new = next(parsed)
        compiler.add_vocabulary(*new)
        for item in items:
            if isinstance(item, Skipped):
                report.skipped.append(item)
                if item.path == rel:
                    entry["skipped"] = item.reason
                continue
            record, warnings, packed, reflowed = item
            report.reflowed += reflowed
            # After parsing: a streamed file reports late decoding problems as it is read.
            report.warnings.extend(f"{record['path']}: {w}" for w in warnings)
            record["id"] = _unique_id(record["id"], record["path"], seen, report)
            entry["docs"].append(compiler.add(record, packed))
        files.append(entry)
    report.removed = len(set(old_files) - {f["path"] for f in files})
    if progress:
        progress(len(plan), len(plan))
    header, sections = compiler.finish(root, files)
    report.documents = len(sections["doc_first"]) - 1
    report.passages = len(sections["p_doc"])
    report.seconds = time.perf_counter() - started
    return header, sections, report


def _unique_id(doc_id: str, path: str, seen: set[str], report: BuildReport) -> str:
    """`doc_id`, or for a second document with the same id (notes.md beside notes.txt) its
    file name with extension, so every citation names one document."""
    unique = doc_id
    if unique in seen:
        unique = path if "#" not in doc_id else f"{path}#{doc_id.rsplit('#', 1)[1]}"
        n = 2
        while unique in seen:
            unique, n = f"{path}~{n}", n + 1
        report.warnings.append(f"{path}: document id {doc_id!r} is taken; cited as {unique!r}")
    seen.add(unique)
    return unique


def _reuse_passages(previous: Index, info: DocInfo) -> list[Passage]:
    from sofa_cli.corpus.segment import Passage

    out = []
    for pid in range(info.first_passage, info.first_passage + info.passage_count):
        p = previous.passage(pid)
        prompt = previous.passage_text(p.prompt_pid) if p.prompt_pid >= 0 else None
        out.append(Passage(p.number, p.text, p.sentences, p.speaker, prompt, p.attributions))
    return out
