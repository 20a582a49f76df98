"""Finding corpus files: which files under a folder are documents, and their fingerprints.

Kept apart from the loaders: every one-shot `sofa ask` checks its index is fresh with
`fingerprints`, and must not import the parsing code to do so.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from sofa_cli.errors import SofaError

TEXT_SUFFIXES = (".md", ".txt", ".markdown")


HTML_SUFFIXES = (".html", ".htm")


JSONL_SUFFIXES = (".jsonl",)


CORPUS_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES


class CorpusError(SofaError):
    """The corpus folder itself is unusable (missing, not a folder, unreadable)."""


def discover(root: Path) -> list[Path]:
    """All corpus files under `root`, sorted, hidden entries skipped, symlinked dirs not followed."""
    return sorted(Path(path) for path, _ in _corpus_files(root))


def fingerprints(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of each corpus file `discover` finds, by its path relative to `root`.

    One stat a file and no Path objects: every one-shot `sofa ask` checks its index is fresh
    with this, and a corpus of tens of thousands of files would spend longer on pathlib.
    """
    skip = len(os.path.join(str(root), ""))
    out = {}
    for path, st in _corpus_files(root):
        rel = path[skip:]
        out[rel if os.sep == "/" else rel.replace(os.sep, "/")] = (st.st_size, st.st_mtime_ns)
    return out


_NOT_A_FILE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


def _corpus_files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus is not a folder: {root}")

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
                st = os.stat(path)
            except OSError as err:
                if err.errno in _NOT_A_FILE:  # vanished, a dangling symlink: as Path.is_file()
                    continue
                raise
            if stat.S_ISREG(st.st_mode):
                yield path, st
