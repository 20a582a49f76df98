"""One-shot `sofa ask` on the bundled corpus against `python -c "import typer, rich.console"`,
in instructions counted by valgrind (callgrind) for each whole process: a ratio the load of a
shared machine cannot move (wall and CPU times moved by +-15% from run to run at a load of 13 on
2 cores; instruction counts repeat to a fraction of a percent).

    python bench/oneshot_instructions.py [REV ...] [--ask "question"]

Each REV is measured from a detached worktree of it beside this checkout; every tree's
`sofa_cli` is byte-compiled first (as pip does on install) and its index built before counting,
so the count is the one an installed sofa pays on a second question. Each count takes a few
seconds: valgrind runs Python some 50x slower.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
from pathlib import Path

from measure import ROOT, callgrind, revision_trees

QUESTION = "what did Hornung suggest?"
FLOOR = [sys.executable, "-c", "import typer, rich.console"]


def instructions(command: list[str], env: dict, cwd: Path) -> int:
    """Instructions of the whole process, as callgrind's total counts them."""
    return callgrind(command, env=env, cwd=cwd, check=False)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revs", nargs="*", metavar="rev")
    parser.add_argument("--ask", default=QUESTION)
    args = parser.parse_args()
    ask = [sys.executable, "-m", "sofa_cli", "ask", args.ask]
    with revision_trees(args.revs, prefix="sofa-instructions-") as (trees, tmp):
        counts = {}
        for name, tree in trees.items():
            compileall.compile_dir(tree / "sofa_cli", quiet=1)
            env = dict(os.environ, PYTHONPATH=str(tree), SOFA_INDEX_DIR=str(tmp / f"index-{len(counts)}"), NO_COLOR="1")
            env.pop("SOFA_CORPUS", None)
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            subprocess.run(ask, env=env, cwd=tree, capture_output=True, check=False)  # the index is built first
            counts[name] = instructions(ask, env, tree)
        floor = instructions(FLOOR, env, ROOT)
    print(f'| version | `sofa ask "{args.ask}"`: instructions | ratio to `import typer, rich.console` |')
    print("|---|---:|---:|")
    for name, count in counts.items():
        print(f"| {name} | {count / 1e6:,.1f} M | {count / floor:.3f} |")
    print(f"| floor: `import typer, rich.console` | {floor / 1e6:,.1f} M | 1.000 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
