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
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "what did Hornung suggest?"
FLOOR = [sys.executable, "-c", "import typer, rich.console"]


def instructions(command: list[str], env: dict, cwd: Path) -> int:
    """Instructions of the whole process, as callgrind's total counts them."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    total = re.search(r"Collected : (\d+)", done.stderr)
    if total is None:
        raise SystemExit(f"no instruction count from valgrind: {done.stderr[-500:]}")
    return int(total.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revs", nargs="*", metavar="rev")
    parser.add_argument("--ask", default=QUESTION)
    args = parser.parse_args()
    ask = [sys.executable, "-m", "sofa_cli", "ask", args.ask]
    with tempfile.TemporaryDirectory(prefix="sofa-instructions-") as tmp:
        trees = {rev: Path(tmp) / f"rev-{i}" for i, rev in enumerate(args.revs)}
        for rev, tree in trees.items():
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True)
        old = list(trees.values())
        trees["this checkout"] = ROOT
        try:
            counts = {}
            for name, tree in trees.items():
                compileall.compile_dir(tree / "sofa_cli", quiet=1)
                env = dict(os.environ, PYTHONPATH=str(tree), SOFA_INDEX_DIR=str(Path(tmp) / f"index-{len(counts)}"), NO_COLOR="1")
                env.pop("SOFA_CORPUS", None)
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                subprocess.run(ask, env=env, cwd=tree, capture_output=True, check=False)  # the index is built first
                counts[name] = instructions(ask, env, tree)
            floor = instructions(FLOOR, env, ROOT)
        finally:
            for tree in old:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False, capture_output=True)
    print(f'| version | `sofa ask "{args.ask}"`: instructions | ratio to `import typer, rich.console` |')
    print("|---|---:|---:|")
    for name, count in counts.items():
        print(f"| {name} | {count / 1e6:,.1f} M | {count / floor:.3f} |")
    print(f"| floor: `import typer, rich.console` | {floor / 1e6:,.1f} M | 1.000 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
