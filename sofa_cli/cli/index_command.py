"""`sofa index`: build or refresh a corpus's index (ordinary or sharded), or list, prune and
clear the indexes kept."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from sofa_cli.cli import render
from sofa_cli.cli.inputs import one_corpus, open_corpus
from sofa_cli.cli.options import CorpusOpt, FollowLinksOpt, IndexDirOpt, JsonOpt, UsageError
from sofa_cli.cli.output import one_line, size_text, warn
from sofa_cli.model import counted


def index_cmd(
    directory: Annotated[
        Optional[Path],
        typer.Argument(metavar="[DIR]", help="Corpus folder (default: --corpus, then the bundled one).", show_default=False),
    ] = None,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    follow_links: FollowLinksOpt = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Reparse every file.")] = False,
    list_: Annotated[
        bool, typer.Option("--list", "-l", help="List the indexes kept: folder, documents, passages, size, age.")
    ] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the indexes of folders that no longer exist.")] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the index of DIR (the next ask rebuilds it).")] = False,
    as_json: JsonOpt = False,
    shards: Annotated[
        Optional[int], typer.Option("--shards", min=1, help="Build a sharded index of N shards with Dask (docs/scale.md).")
    ] = None,
    cluster: Annotated[
        Optional[str],
        typer.Option("--cluster", help="Dask scheduler for --shards (default: SOFA_CLUSTER, else a local cluster)."),
    ] = None,
) -> None:
    """Build or refresh the index of a corpus folder (ask does this on its own when needed),
    or list and clean up the indexes kept.

    Prints the index file's path; what was done goes to stderr.
    """
    import sofa_cli.api
    from sofa_cli.index import catalog

    if sum((list_, prune, clear)) > 1:
        raise UsageError("give one of --list, --prune and --clear")
    managing = "--list" if list_ else "--prune" if prune else "--clear" if clear else None
    building = [flag for flag, given in (("--rebuild", rebuild), ("--shards", shards), ("--cluster", cluster)) if given]
    if managing and building:  # each would be ignored: say so rather than do half of what was asked
        raise UsageError(f"{building[0]} is for building an index, not for {managing} (give one or the other)")
    if as_json and not list_:
        raise UsageError("--json goes with --list (building, --prune and --clear print a path or nothing)")
    root = directory or one_corpus(corpus)
    if list_ or prune:
        if root is not None:
            raise UsageError(f"--{'list' if list_ else 'prune'} takes no folder (it covers every index kept)")
        if list_:
            render.render_indexes(catalog.indexes(index_dir), "json" if as_json else "plain", sys.stdout)
            return
        removed = catalog.prune_indexes(index_dir)
        for info in removed:
            warn(f"removed the index of {info.corpus} (folder gone; {size_text(info.size)})")
        warn(f"pruned {len(removed)} index{'es' if len(removed) != 1 else ''}")
        return
    if clear:
        root = (root or sofa_cli.api.bundled_corpus()).resolve()
        removed = catalog.clear_index(root, index_dir)
        if removed is None:
            warn(f"no index of {root} to clear")
        else:
            warn(f"cleared the index of {root} ({size_text(removed.size)})")
        return
    if shards is None:  # a sharded corpus is refreshed with its shard count
        shards = _sharded_count(root, index_dir)
        if shards is None and cluster is not None:
            raise UsageError("--cluster needs --shards N for a corpus that has no sharded index yet")
    if shards is not None:  # a sharded index (sofa_cli/index/shards.py)
        if follow_links:
            raise UsageError("--follow-links is not supported for a sharded index")
        cluster = cluster or os.environ.get("SOFA_CLUSTER") or None
        opened = open_corpus(root, index_dir, rebuild=rebuild, check_all=True, shards=shards, cluster=cluster)
        sys.stdout.write(f"{one_line(str(opened.index_file))}\n")
        return
    opened = open_corpus(root, index_dir, rebuild=rebuild, wait=True, check_all=True, follow_links=follow_links)
    index = opened.index
    if opened.report is None:  # open_corpus has told what it rebuilt; say that nothing needed to be
        warn(
            f"indexed {opened.root}: files 0 new, 0 updated, {len(index.files)} unchanged, 0 removed"
            f" ({counted(opened.documents, 'document')}, {counted(opened.passages, 'passage')}; already up to date)"
        )
    if opened.index_file is None:  # the warning above says why; no path to print that exists
        warn("the index was kept in memory only: nothing saved")
    else:
        sys.stdout.write(f"{one_line(str(opened.index_file))}\n")


def _sharded_count(corpus: Optional[Path], index_dir: Optional[str]) -> Optional[int]:
    """The shard count of the corpus's sharded index, or None when it has none."""
    import sofa_cli.api
    from sofa_cli.index.shards import read_manifest, shard_folder

    root = (corpus or sofa_cli.api.bundled_corpus()).resolve()
    manifest = read_manifest(shard_folder(root, index_dir))
    return manifest.shards if manifest else None
