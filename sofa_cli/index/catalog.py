"""The indexes kept in the cache folder: listed, pruned (their folder is gone) and cleared."""

from __future__ import annotations

import shutil
from pathlib import Path

from sofa_cli.index.cache import cache_dir
from sofa_cli.index.format import IndexFileError
from sofa_cli.index.reader import Index
from sofa_cli.index.schema import INDEX_FILE
from sofa_cli.model import IndexInfo


def indexes(index_dir: str | Path | None = None) -> list[IndexInfo]:
    """Every index in the cache folder, with its corpus folder and whether that still exists."""

    folder = cache_dir(str(index_dir) if index_dir is not None else None)
    found = []
    for path in sorted(folder.glob(f"*/{INDEX_FILE}")):
        try:
            st = path.stat()
            with Index(path) as index:
                corpus, docs, passages = index.corpus, len(index.docs), index.n_passages
        except (OSError, IndexFileError, ValueError, KeyError):
            continue
        found.append(IndexInfo(str(corpus), docs, passages, st.st_size, st.st_mtime, str(path), Path(corpus).is_dir()))
    return found


def _remove_index(info: IndexInfo) -> None:
    shutil.rmtree(Path(info.path).parent, ignore_errors=True)


def prune_indexes(index_dir: str | Path | None = None) -> list[IndexInfo]:
    """Remove the indexes whose corpus folder no longer exists; returns what was removed."""
    gone = [info for info in indexes(index_dir) if not info.exists]
    for info in gone:
        _remove_index(info)
    return gone


def clear_index(path: str | Path, index_dir: str | Path | None = None) -> IndexInfo | None:
    """Remove the index of the corpus at `path` (the next `open` rebuilds it); None when there was none."""
    root = str(Path(path).expanduser().resolve())
    for info in indexes(index_dir):
        if info.corpus == root:
            _remove_index(info)
            return info
    return None
