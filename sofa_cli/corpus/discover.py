"""Finding corpus files: which files under a folder are documents, and their fingerprints.

Kept apart from the loaders: every one-shot `sofa ask` checks its index is fresh with
`fingerprints`, and must not import the parsing code to do so.

The corpus folder is a boundary. A symlink whose target lies outside it (`passwd.txt ->
/etc/passwd`, a link into `~/.ssh` in an unpacked tarball, a link into /proc whose size and
time change at every look) is refused with a warning unless `follow_outside_links` is
given; FIFOs, sockets and devices are refused whatever their place, since reading one can
block forever. Refused entries are neither read nor fingerprinted, so they never make an
index look stale.

Names are whatever bytes the file system holds: `os` hands back names that are not UTF-8
with surrogate escapes, and they travel as such (see docs/robustness.md).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from sofa_cli.errors import SofaError

TEXT_SUFFIXES = (".md", ".txt", ".markdown")


HTML_SUFFIXES = (".html", ".htm")


JSONL_SUFFIXES = (".jsonl",)


CORPUS_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES


# Even a followed link never reads these: their files are not documents, their sizes lie.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


OUTSIDE_LINK = "link to a file outside the corpus folder, not followed"


class CorpusError(SofaError):
    """The corpus folder itself is unusable (missing, not a folder, unreadable)."""


# Named tuples, not dataclasses: every one-shot `sofa ask` imports this module (its freshness
# check), and a dataclass's methods are compiled from source when it is defined (~3M
# instructions each, a named tuple's ~0.6M).
class Skipped(NamedTuple):
    """A file (or a `.jsonl` line, `feed.jsonl:3`) that was not indexed, and why."""

    path: str
    reason: str


class Scan(NamedTuple):
    """The corpus files under a folder, and the entries refused (see the module docstring)."""

    paths: list[Path]
    skipped: list[Skipped]


def check_root(root: Path) -> None:
    """Raise the CorpusError that names what is wrong with `root` as a corpus folder."""
    if root.is_dir():
        return
    if root.exists() or root.is_symlink():
        kind = "file" if root.is_file() else "special file" if root.exists() else "broken link"
        raise CorpusError(f"corpus is not a folder (a {kind}): {root}; give the folder that holds it")
    raise CorpusError(f"corpus folder not found: {root}")


def scan(root: Path, follow_outside_links: bool = False) -> Scan:
    """All corpus files under `root`, sorted, with the entries refused on the way."""
    out = Scan(paths=[], skipped=[])
    skip = len(os.path.join(str(root), ""))
    for path, st in _corpus_files(root, follow_outside_links):
        if isinstance(st, str):
            out.skipped.append(Skipped(_relative(path, skip), st))
        else:
            out.paths.append(Path(path))
    out.paths.sort()
    return out


def discover(root: Path, follow_outside_links: bool = False) -> list[Path]:
    """All corpus files under `root`, sorted, hidden entries skipped, symlinked dirs not
    followed, links that leave `root` and special files refused (`scan` says which)."""
    return scan(root, follow_outside_links).paths


def fingerprints(root: Path, follow_outside_links: bool = False) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of each corpus file `discover` finds, by its path relative to `root`.

    One stat a file and no Path objects: every one-shot `sofa ask` checks its index is fresh
    with this, and a corpus of tens of thousands of files would spend longer on pathlib.
    """
    skip = len(os.path.join(str(root), ""))
    out = {}
    for path, st in _corpus_files(root, follow_outside_links):
        if isinstance(st, os.stat_result):
            out[_relative(path, skip)] = (st.st_size, st.st_mtime_ns)
    return out


def _relative(path: str, skip: int) -> str:
    rel = path[skip:]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


_NOT_A_FILE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def _corpus_files(root: Path, follow_outside_links: bool) -> Iterator[tuple[str, os.stat_result | str]]:
    """(path, stat) of each corpus file, or (path, reason) for one refused."""
    check_root(root)
    real_root = os.path.join(os.path.realpath(root), "")

    def on_error(err: OSError) -> None:
        if Path(err.filename or "") == root:
            raise CorpusError(f"cannot read corpus folder {root}: {err.strerror}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(CORPUS_SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            try:
                lst = os.lstat(path)
                st = os.stat(path) if stat.S_ISLNK(lst.st_mode) else lst
            except OSError as err:
                if err.errno in _NOT_A_FILE:  # vanished, a dangling symlink: as Path.is_file()
                    continue
                raise
            if stat.S_ISLNK(lst.st_mode):
                refused = _refused_link(path, real_root, follow_outside_links)
                if refused:
                    yield path, refused
                    continue
            if stat.S_ISREG(st.st_mode):
                yield path, st
            elif not stat.S_ISDIR(st.st_mode):
                yield path, f"not a regular file ({_file_type(st.st_mode)}), not read"


def _refused_link(path: str, real_root: str, follow_outside_links: bool) -> str | None:
    """Why the symlink at `path` is not followed, or None when it may be."""
    target = os.path.realpath(path)
    for top in SYSTEM_FOLDERS:
        if target == top or target.startswith(top + "/"):
            return f"link into {top}, not followed"
    if not follow_outside_links and not target.startswith(real_root):
        return OUTSIDE_LINK
    return None


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
