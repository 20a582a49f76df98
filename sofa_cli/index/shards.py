"""A sharded index: corpus files split into N shards by a stable hash of their path, each shard
built as its own index file (a task that may run on another machine), then one reduce step that
gathers the collection-wide statistics, and a manifest naming it all (docs/scale.md).

Folder layout (the index folder; with a cluster, on a filesystem every worker sees):

    manifest.json              which files are current: written last, atomically (tmp, fsync, rename)
    shard-0003-g0007.sofa      shard 3 as built in generation 7: an ordinary index file (postings
                               hold each passage's tf, and passages their lengths)
    stats-g0007.sofa           the reduce's output: the whole corpus's vocabulary (an index file with
                               every term and form and no passages), document frequencies, idf, and
                               the maps from each shard's term, document and passage numbers to the
                               numbers ONE index over the same files would use

A shard's own statistics are never used: a sharded reader scores each posting from its tf with the
collection-wide idf and average length (`sharded_reader.ShardedIndex`), so a rebuilt shard changes
only itself and the statistics, and the answers equal an unsharded index's to the last bit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sofa_cli.errors import SofaError
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.schema import dependencies
from sofa_cli.model import counted

MANIFEST = "manifest.json"
SHARDS_FORMAT = 1


class ShardError(SofaError):
    """A sharded index that cannot answer whole: a shard file missing, corrupt or not the one the
    manifest names. Never answered from the shards that remain."""


class ClusterError(SofaError):
    """The Dask cluster cannot run the build (no dask installed, scheduler unreachable, tasks lost)."""


def shard_of(rel_path: str, shards: int) -> int:
    """The shard of a corpus file: a stable hash of its path relative to the corpus root, so the
    same file lands in the same shard on every machine and every re-index (Python's `hash` is
    salted per process)."""
    import hashlib

    digest = hashlib.blake2b(rel_path.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


class ShardJob(NamedTuple):
    """One shard build, as sent to a Dask worker: everything it reads and writes, by path."""

    root: str
    number: int
    files: tuple[str, ...]  # paths relative to root, in the corpus's (sorted) order
    out: str  # the shard file to write
    bm25: dict  # BM25Params.record()


class ShardResult(NamedTuple):
    """What a shard build reports back: its file (checked against the manifest when opened) and
    what went into it."""

    number: int
    file: str
    block_crc: int
    size: int
    fingerprints: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns) of its files
    documents: int
    passages: int
    seconds: float
    peak_rss_kb: int
    skipped: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]
    worker: str = ""  # host:pid of the process that built it (peak RSS is per process: per worker)


def build_shard(job: ShardJob) -> ShardResult:
    """Parse, analyse and compile one shard's files into its index file (run by a Dask worker).

    Memory is bounded by the shard, not the corpus: the compiler holds only this shard's
    passages. The file is written atomically, so a task retried after its worker died simply
    writes it again."""
    import os
    import resource
    import socket

    from sofa_cli.corpus.attribution import attribute
    from sofa_cli.corpus.documents import Skipped
    from sofa_cli.index.compiler import Compiler
    from sofa_cli.index.format import read_block_crc, write_index
    from sofa_cli.index.writer import BuildReport, FileParser, ParseSettings, _fingerprint, add_parsed

    started = time.perf_counter()
    root = Path(job.root)
    parser = FileParser(ParseSettings(attribute))
    compiler = Compiler(BM25Params(**job.bm25), scratch=Path(job.out).parent)
    report = BuildReport()
    seen: set[str] = set()
    files, fingerprints = [], []
    acronym_log: dict[str, dict] = {}  # per file, the acronyms it defined: replayed in corpus order by the reduce
    for rel in job.files:
        path = root / rel
        try:
            size, mtime = _fingerprint(path)
        except OSError as err:
            report.skipped.append(Skipped(rel, err.strerror or str(err)))
            continue
        fingerprints.append((rel, size, mtime))
        entry = {"path": rel, "size": size, "mtime_ns": mtime, "docs": [], "skipped": None}
        items, new_terms = parser((path, root))
        compiler.add_vocabulary(new_terms)
        if new_terms.acronyms:
            acronym_log[rel] = dict(new_terms.acronyms)
        add_parsed(compiler, entry, items, seen, report)
        files.append(entry)
    header, sections = compiler.finish(root, files)
    header["shard"] = job.number
    header["acronym_log"] = acronym_log
    out = Path(job.out)
    write_index(out, header, sections)
    crc = read_block_crc(out)
    return ShardResult(
        number=job.number,
        file=out.name,
        block_crc=crc,
        size=out.stat().st_size,
        fingerprints=tuple(fingerprints),
        documents=len(sections["doc_first"]) - 1,
        passages=len(sections["p_doc"]),
        seconds=time.perf_counter() - started,
        peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        skipped=tuple((s.path, s.reason) for s in report.skipped),
        warnings=tuple(report.warnings),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


# -- the manifest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """What a sharded index folder holds now: read whole, replaced whole."""

    corpus: str
    shards: int
    generation: int
    depends: dict
    files: list[tuple[str, int]]  # (path, shard), in the corpus's order
    shard_files: list[dict]  # per shard: file, block_crc, size, fingerprints, documents, passages
    stats: dict  # file, block_crc, size
    n_passages: int
    total_length: int

    def record(self) -> dict:
        return {"format": SHARDS_FORMAT, **self.__dict__}


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, or None when it has none; a manifest that cannot be read is an error
    (a sharded index is never guessed at)."""
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ShardError(f"cannot read {path}: {err.strerror or err}")
    try:
        record = json.loads(raw)
        if record.pop("format") != SHARDS_FORMAT:
            raise ShardError(f"{path} is a sharded index of another format; rebuild it with `sofa index --shards`")
        record["files"] = [tuple(f) for f in record["files"]]
        return Manifest(**record)
    except (ValueError, KeyError, TypeError) as err:
        raise ShardError(f"{path} is corrupt ({err}); rebuild it with `sofa index --shards`")


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically: a reader sees the previous one or this one, whole."""
    from sofa_cli.index.atomic_write import write_atomically

    data = json.dumps(manifest.record(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    write_atomically(folder / MANIFEST, lambda out: out.write(data))


# -- building -----------------------------------------------------------------------------------


Runner = Callable[[Callable[[ShardJob], ShardResult], Sequence[ShardJob]], list[ShardResult]]


def run_inline(build: Callable[[ShardJob], ShardResult], jobs: Sequence[ShardJob]) -> list[ShardResult]:
    """Build the shards one after another in this process (tests, and no Dask needed)."""
    return [build(job) for job in jobs]


@dataclass
class ShardedBuildReport:
    shards: int = 0
    rebuilt: list[int] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0
    results: list[ShardResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list = field(default_factory=list)  # corpus.documents.Skipped, as BuildReport's

    @property
    def changed(self) -> bool:
        return bool(self.rebuilt)

    def summary(self) -> str:
        return (
            f"{len(self.rebuilt)} of {self.shards} shards rebuilt"
            f" ({counted(self.documents, 'document')}, {counted(self.passages, 'passage')}, {self.seconds:.2f}s)"
        )


def plan_shards(root: Path, shards: int) -> tuple[list[tuple[str, int]], dict[int, list[tuple[str, int, int]]]]:
    """The corpus files in order with their shard, and each shard's (path, size, mtime_ns) list."""
    from sofa_cli.corpus.discover import discover
    from sofa_cli.index.writer import _fingerprint

    files: list[tuple[str, int]] = []
    fingerprints: dict[int, list[tuple[str, int, int]]] = {i: [] for i in range(shards)}
    for path in discover(root):
        rel = path.relative_to(root).as_posix()
        i = shard_of(rel, shards)
        files.append((rel, i))
        try:
            size, mtime = _fingerprint(path)
        except OSError:
            size, mtime = -1, -1
        fingerprints[i].append((rel, size, mtime))
    return files, fingerprints


def shard_folder(root: Path, index_dir: str | None = None) -> Path:
    """Where the sharded index of `root` lives: beside its ordinary index in the index folder
    (`--index-dir`, SOFA_INDEX_DIR or the cache), in `shards/`."""
    from sofa_cli.index.cache import index_path

    return index_path(root, index_dir).parent / "shards"


def build_sharded(
    root: Path,
    folder: Path,
    shards: int,
    params: BM25Params = BM25Params(),
    run: Runner = run_inline,
    rebuild: bool = False,
) -> ShardedBuildReport:
    """Build or refresh the sharded index of `root` in `folder`: only the shards whose files
    changed are rebuilt (by `run`, e.g. on a Dask cluster), then the statistics, then the
    manifest is swapped. Questions asked meanwhile are answered from the previous manifest."""
    if shards < 1:
        raise ShardError(f"--shards must be at least 1 (got {shards})")
    from sofa_cli.index.cache import _lock

    # One build of a folder at a time (a second waits), as for an ordinary index; readers never wait.
    with _lock(folder) as lock:
        lock.acquire(blocking=True)
        return _build_sharded(root, folder, shards, params, run, rebuild)


def _build_sharded(root: Path, folder: Path, shards: int, params: BM25Params, run: Runner, rebuild: bool) -> ShardedBuildReport:
    started = time.perf_counter()
    root = root.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    previous = None if rebuild else read_manifest(folder)
    depends = dependencies(params).record()
    if previous is not None and (previous.shards != shards or previous.depends != depends or previous.corpus != str(root)):
        previous = None
    generation = (previous.generation + 1) if previous else _next_generation(folder)
    files, fingerprints = plan_shards(root, shards)
    jobs, kept = [], {}
    for i in range(shards):
        old = previous.shard_files[i] if previous else None
        if old is not None and [tuple(f) for f in old["fingerprints"]] == fingerprints[i] and (folder / old["file"]).is_file():
            kept[i] = old
            continue
        shard_files = tuple(rel for rel, _, _ in fingerprints[i])
        out = folder / f"shard-{i:04d}-g{generation:04d}.sofa"
        jobs.append(ShardJob(str(root), i, shard_files, str(out), params.record()))
    if not jobs and previous is not None and previous.files == files:
        # Nothing changed: the manifest stands (no statistics to gather again).
        return ShardedBuildReport(
            shards=shards,
            documents=sum(s["documents"] for s in previous.shard_files),
            passages=previous.n_passages,
            seconds=time.perf_counter() - started,
        )
    results = run(build_shard, jobs) if jobs else []
    report = ShardedBuildReport(shards=shards, rebuilt=sorted(r.number for r in results), results=list(results))
    from sofa_cli.corpus.documents import Skipped

    for r in results:
        report.warnings.extend(r.warnings)
        report.skipped.extend(Skipped(path, reason) for path, reason in r.skipped)
        kept[r.number] = {
            "file": r.file,
            "block_crc": r.block_crc,
            "size": r.size,
            "fingerprints": [list(f) for f in r.fingerprints],
            "documents": r.documents,
            "passages": r.passages,
        }
    shard_files = [kept[i] for i in range(shards)]
    # Files that vanished between planning and building are not in any shard: drop them from the order.
    present = {rel for entry in shard_files for rel, *_ in entry["fingerprints"]}
    files = [(rel, i) for rel, i in files if rel in present]
    from sofa_cli.index.statistics import write_statistics

    stats_file = folder / f"stats-g{generation:04d}.sofa"
    stats = write_statistics(stats_file, root, params, files, [folder / s["file"] for s in shard_files])
    manifest = Manifest(
        corpus=str(root),
        shards=shards,
        generation=generation,
        depends=depends,
        files=files,
        shard_files=shard_files,
        stats={"file": stats_file.name, "block_crc": stats.block_crc, "size": stats.size},
        n_passages=stats.n_passages,
        total_length=stats.total_length,
    )
    write_manifest(folder, manifest)
    _remove_unnamed(folder, _named(manifest) | (_named(previous) if previous else set()))
    report.documents = sum(s["documents"] for s in shard_files)
    report.passages = stats.n_passages
    report.seconds = time.perf_counter() - started
    return report


def _next_generation(folder: Path) -> int:
    """A generation above any file in the folder, so a fresh build never overwrites a file that
    an old manifest (or a reader of it) still names."""
    highest = 0
    for p in folder.glob("*-g*.sofa"):
        try:
            highest = max(highest, int(p.stem.rsplit("-g", 1)[1]))
        except ValueError:
            continue
    return highest + 1


def _named(manifest: Manifest) -> set[str]:
    return {s["file"] for s in manifest.shard_files} | {manifest.stats["file"]}


def _remove_unnamed(folder: Path, keep: set[str]) -> None:
    """Remove the shard and statistics files neither the new manifest nor the one it replaced
    names: a question that read the previous manifest just before the swap still finds its files."""
    for p in folder.glob("*-g*.sofa"):
        if p.name not in keep:
            try:
                p.unlink()
            except OSError:
                pass
