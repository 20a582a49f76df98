"""What the A/B scripts share: earlier revisions checked out beside this checkout, and a
process's instruction count from valgrind (callgrind), which the load of a shared machine
cannot move (bench/stage_instructions.py says how repeatable it is)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THIS_CHECKOUT = "this checkout"


def callgrind(command: list[str], **run) -> tuple[int, subprocess.CompletedProcess]:
    """The instructions of `command`'s whole process, as callgrind's total counts them, and
    the finished process (its stdout); `run` goes to subprocess.run (env, cwd, check)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        **run,
    )
    total = re.search(r"Collected : (\d+)", done.stderr)
    if total is None:
        raise SystemExit(f"no instruction count from valgrind: {done.stderr[-500:]}")
    return int(total.group(1)), done


@contextmanager
def revision_trees(revs: list[str], prefix: str = "sofa-ab-") -> Iterator[tuple[dict[str, Path], Path]]:
    """Each revision checked out in a temporary worktree, then this checkout, by name (the
    revision, or THIS_CHECKOUT), and a scratch folder beside them; the worktrees are removed after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        trees = {rev: Path(tmp) / f"rev-{i}" for i, rev in enumerate(revs)}
        added = []
        try:
            for rev, tree in trees.items():
                subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True)
                added.append(tree)
            trees[THIS_CHECKOUT] = ROOT
            yield trees, Path(tmp)
        finally:
            for tree in added:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False, capture_output=True)
