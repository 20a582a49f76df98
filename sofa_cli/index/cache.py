"""Where indexes live and keeping them fresh: cache paths, the freshness check, the build lock,
and `open_index`, which rebuilds what changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sofa_cli.corpus.discover import CorpusError, fingerprints
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.format import IndexFileError, NewerFormatError, OlderFormatError, write_index
from sofa_cli.index.reader import Index
from sofa_cli.index.schema import INDEX_FILE, LOCK_FILE, IndexDependencies, dependencies

if TYPE_CHECKING:
    from sofa_cli.index.writer import BuildReport


def cache_dir(index_dir: str | None = None) -> Path:
    if index_dir:
        return Path(index_dir).expanduser()
    env = os.environ.get("SOFA_INDEX_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sofa"


def index_path(root: Path, index_dir: str | None = None) -> Path:
    import hashlib  # here, not at the top: its OpenSSL set-up costs a one-shot answer ~5 ms

    key = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_dir(index_dir) / f"{root.name or 'corpus'}-{key}" / INDEX_FILE


def is_fresh(index: Index, root: Path, expected: IndexDependencies) -> bool:
    """True when `index` was built with `expected` (analysis, word lists, BM25 constants)
    and no corpus file was added, changed or removed since."""
    if index.depends != expected:
        return False  # built by a sofa that analysed text differently, or with other BM25 constants
    known = {f["path"]: (f["size"], f["mtime_ns"]) for f in index.files}
    try:
        return fingerprints(root) == known
    except OSError:
        return False


@dataclass
class Opened:
    index: Index
    report: BuildReport | None
    warnings: list[str]


def open_index(
    root: Path,
    index_dir: str | None = None,
    rebuild: bool = False,
    params: BM25Params = BM25Params(),
    progress: Callable[[int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> Opened:
    """The index of `root`, built or refreshed as needed; `notice` hears at once that this
    process waits for another one's build (other warnings come back in `Opened`).

    A damaged index is rebuilt with a warning. An index written by a newer sofa is left
    alone (that sofa still wants it) and this one indexes into memory; so it does, with a
    warning, when the cache folder cannot be written (read-only, full).
    """
    root = root.resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    path = index_path(root, index_dir)
    expected = dependencies(params)
    warnings: list[str] = []
    previous = None
    keep_file = True
    if path.exists():
        try:
            previous = Index(path)
        except OlderFormatError:
            pass
        except NewerFormatError as err:
            keep_file = False
            warnings.append(f"{err} at {path}; leaving it for that sofa and indexing in memory (or use --index-dir)")
        except IndexFileError as err:
            warnings.append(f"index at {path} unusable ({err}); rebuilding")
    if previous and not rebuild and is_fresh(previous, root, expected):
        return Opened(previous, None, warnings)
    if not keep_file:
        from sofa_cli.index.writer import build

        header, sections, report = build(root, None, params, progress)
        return Opened(_in_memory(header, sections), report, warnings)
    with _lock(path.parent, notice or warnings.append):
        _remove_torn_writes(path)
        if not rebuild and path.exists() and previous is not None:
            try:  # another process may have rebuilt it while we waited for the lock
                latest = Index(path)
                if is_fresh(latest, root, expected):
                    return Opened(latest, None, warnings)
                previous = latest
            except IndexFileError:
                pass
        from sofa_cli.index.writer import build

        header, sections, report = build(root, None if rebuild else previous, params, progress)
        try:
            write_index(path, header, sections)
        except OSError as err:
            warnings.append(f"cannot write index to {path.parent} ({err.strerror or err}); answering from memory")
            return Opened(_in_memory(header, sections), report, warnings)
    return Opened(Index(path), report, warnings)


def _in_memory(header: dict, sections: dict) -> Index:
    """An index that lives only as long as this process: written to an unlinked temporary
    file (tmpfs on most systems), so it is read through the same mapped format."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix="sofa-", suffix=".sofa")
    os.close(fd)
    try:
        write_index(Path(tmp), header, sections)
        return Index(Path(tmp))
    finally:
        os.unlink(tmp)


def _remove_torn_writes(path: Path) -> None:
    """Temporary files left by a writer killed before its rename (kill -9, power loss).

    Called under the lock, so no live writer owns them.
    """
    for leftover in path.parent.glob(f"{path.name}.*.tmp"):
        try:
            leftover.unlink()
        except OSError:
            pass


class _lock:
    """An exclusive flock beside the index, so two `sofa index` runs do not build at once."""

    def __init__(self, folder: Path, notice: Callable[[str], None]) -> None:
        self.folder = folder
        self.notice = notice
        self.fd: int | None = None

    def __enter__(self):
        try:
            import fcntl

            self.folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.notice("another sofa is indexing this corpus; waiting for it")
                fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (OSError, ImportError):
            self.fd = None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
