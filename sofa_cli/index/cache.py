"""Where indexes live and keeping them fresh: cache paths, the freshness check, the build lock,
and `open_index`, which rebuilds what changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sofa_cli.corpus.discover import check_root, fingerprints
from sofa_cli.index.atomic_write import signals_unwind
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.format import IndexFileError, NewerFormatError, OlderFormatError, write_index
from sofa_cli.index.reader import Index
from sofa_cli.index.schema import INDEX_FILE, LOCK_FILE, IndexDependencies, dependencies

if TYPE_CHECKING:
    from sofa_cli.index.writer import BuildReport


def cache_dir(index_dir: str | None = None) -> Path:
    """--index-dir, else $SOFA_INDEX_DIR, else sofa's XDG cache folder."""
    from sofa_cli.folders import chosen_path

    if index_dir:
        return Path(index_dir).expanduser()
    return chosen_path(os.environ, "SOFA_INDEX_DIR", "cache")


# A cache folder is named after the corpus folder (for people looking in the cache) and a
# hash of its whole path (for sofa). Names are cut to this many bytes: a file name has at
# most 255, and the hash adds 17.
NAME_BYTES = 100


def index_path(root: Path, index_dir: str | None = None) -> Path:
    try:  # CPython's own SHA-256: hashlib's OpenSSL set-up costs a one-shot answer ~4 ms
        from _sha256 import sha256
    except ImportError:  # another Python (3.12 names it _sha2)
        from hashlib import sha256

    key = sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_dir(index_dir) / f"{_cut(root.name or 'corpus', NAME_BYTES)}-{key}" / INDEX_FILE


def _cut(name: str, limit: int) -> str:
    """`name`, shortened to at most `limit` bytes in the file system's encoding (whole characters)."""
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


def is_fresh(index: Index, root: Path, expected: IndexDependencies, follow_links: bool = False) -> bool:
    """True when `index` was built with `expected` (analysis, word lists, BM25 constants)
    and no corpus file was added, changed or removed since (`follow_links`: files linked
    from outside the folder count too; an index built the other way is then stale)."""
    if index.depends != expected:
        return False  # built by a sofa that analysed text differently, or with other BM25 constants
    known = {f["path"]: (f["size"], f["mtime_ns"]) for f in index.files}
    try:
        return fingerprints(root, follow_links) == known
    except OSError:
        return False


class Opened(NamedTuple):  # not a dataclass: one compiles its methods from source when defined
    index: Index
    report: BuildReport | None
    warnings: list[str]
    saved: bool = True  # False: the index lives only in this process (its file is gone)


def open_index(
    root: Path,
    index_dir: str | None = None,
    rebuild: bool = False,
    params: BM25Params = BM25Params(),
    progress: Callable[[int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
    wait: bool = False,
    check_all: bool = False,
    follow_links: bool = False,
) -> Opened:
    """The index of `root`, built or refreshed as needed; `notice` hears at once what this
    process does about another one's build (other warnings come back in `Opened`).

    While another process builds (it holds the lock; it may be stopped, Ctrl-Z), a stale
    index built with the same settings is answered from, with a notice, unless `wait`
    (`sofa index` wants the fresh one); with no such index, this process waits. A damaged
    index is rebuilt with a warning. An index written by a newer sofa is left alone (that
    sofa still wants it) and this one indexes into memory; so it does, with a warning,
    when the cache folder cannot be written (read-only, full). With `check_all`, an index
    kept is checked whole now (sections are otherwise checked as they are first read).
    `follow_links` indexes files that symbolic links in the folder point to outside it
    (refused by default: the corpus is a boundary).
    """
    root = root.resolve()
    check_root(root)
    path = index_path(root, index_dir)
    expected = dependencies(params)
    warnings: list[str] = []
    tell = notice or warnings.append
    previous, keep_file = _existing(path, warnings)
    if previous and not rebuild and is_fresh(previous, root, expected, follow_links):
        try:
            if check_all:
                previous.check_all()
            return Opened(previous, None, warnings)
        except IndexFileError as err:
            warnings.append(f"index at {path} unusable ({err}); rebuilding")
            previous, rebuild = None, True
    _remove_orphaned_scratch()
    if not keep_file:
        header, sections, report = _build(root, None, params, progress, warnings, follow_links=follow_links)
        return Opened(_in_memory(header, sections), report, warnings, saved=False)
    with _lock(path.parent) as lock:
        if not lock.acquire(blocking=False):
            if previous is not None and previous.depends == expected and not (rebuild or wait):
                tell("another sofa is indexing this corpus; answering from the index it is replacing")
                return Opened(previous, None, warnings)
            tell("another sofa is indexing this corpus; waiting for it")
            lock.acquire(blocking=True)
        _remove_torn_writes(path)
        if not rebuild:  # another process may have built it while we waited for the lock
            latest, _ = _existing(path, [])
            _close(previous)
            if latest is not None and is_fresh(latest, root, expected, follow_links):
                return Opened(latest, None, warnings)
            previous = latest
        header, sections, report = _build(
            root, None if rebuild else previous, params, progress, warnings, path.parent, follow_links
        )
        _close(previous)
        try:
            write_index(path, header, sections)
        except OSError as err:
            warnings.append(f"cannot write index to {path.parent} ({err.strerror or err}); answering from memory")
            return Opened(_in_memory(header, sections), report, warnings, saved=False)
    return Opened(Index(path), report, warnings)


def _close(index: Index | None) -> None:
    """Unmap an index this process has no more use for (its file may be replaced)."""
    if index is not None:
        index.close()


def _existing(path: Path, warnings: list[str]) -> tuple[Index | None, bool]:
    """The index at `path` when it is usable; and whether this sofa may replace the file
    (not when a newer sofa wrote it). Why it is unusable goes to `warnings`."""
    if not os.path.lexists(path):
        return None, True
    try:
        return Index(path), True
    except OlderFormatError:
        return None, True
    except NewerFormatError as err:
        warnings.append(f"{err} at {path}; leaving it for that sofa and indexing in memory (or use --index-dir)")
        return None, False
    except IndexFileError as err:
        warnings.append(f"index at {path} unusable ({err}); rebuilding")
        return None, True


def _build(
    root: Path, previous: Index | None, params: BM25Params, progress, warnings: list[str], scratch=None, follow_links=False
):
    """`writer.build`, reusing `previous` unless a section of it proves damaged on reading;
    its scratch files in `scratch`."""
    from sofa_cli.index.writer import build

    if previous is not None:
        try:
            return build(root, previous, params, progress, scratch=scratch, follow_links=follow_links)
        except IndexFileError as err:
            warnings.append(f"index at {previous.path} unusable ({err}); rebuilding")
    return build(root, None, params, progress, scratch=scratch, follow_links=follow_links)


def _in_memory(header: dict, sections: dict) -> Index:
    """An index that lives only as long as this process: written to an unlinked temporary
    file (tmpfs on most systems), so it is read through the same mapped format. Its name
    holds this process's id, so a later sofa removes it if this one is killed before
    unlinking it (`_remove_orphaned_scratch`)."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f"sofa-{os.getpid()}-", suffix=".sofa")
    os.close(fd)
    with signals_unwind():
        try:
            write_index(Path(tmp), header, sections)
            return Index(Path(tmp))
        finally:
            os.unlink(tmp)


def _remove_orphaned_scratch() -> None:
    """In-memory indexes (and their temporary files) of this user's sofa processes that
    ended before unlinking them (kill -9): checked before each build, never on the path
    of an answer from a fresh index."""
    import tempfile

    folder = Path(tempfile.gettempdir())
    try:
        scratch = [p for p in folder.glob("sofa-*-*.sofa*") if _owner_is_gone(p)]
    except OSError:
        scratch = []
    for leftover in scratch:
        try:
            leftover.unlink()
        except OSError:
            pass


def _owner_is_gone(path: Path) -> bool:
    """Whether the process named in an in-memory index's file name ("sofa-<pid>-...") has
    ended; only for this user's files (another user's process cannot be asked)."""
    try:
        pid = int(path.name.split("-")[1])
        if path.lstat().st_uid != os.getuid():
            return False
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (ValueError, IndexError, OSError):
        return False
    return False


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
    """An exclusive flock beside the index, so two builds of a corpus do not run at once.

    Taken with `acquire`; released when the block ends (or the process does, however it ends).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd: int | None = None

    def __enter__(self) -> _lock:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o644)
        except OSError:
            self.fd = None  # no lock to be had (a read-only cache): the write will fail and say so
        return self

    def acquire(self, blocking: bool) -> bool:
        """Take the lock; False when another process holds it and not `blocking`."""
        if self.fd is None:
            return True
        try:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        except (OSError, ImportError):
            pass  # a file system without flock: build unlocked, as before
        return True

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)
