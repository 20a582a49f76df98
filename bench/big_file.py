"""Peak memory with one very large corpus file: the streaming loader, and a whole `sofa index`.

Writes a single text file of SIZE MB (paragraphs sampled from the bundled corpus, fixed
seed), then measures, each in a fresh process under /usr/bin/time -v (peak RSS, wall):

1. loading: `load_file` + every paragraph of the streamed document (what the loader holds);
2. `sofa index` of the folder (the whole build, which keeps every passage for the index).

    python bench/big_file.py --mb 200      # writes bench/results/big_file.md
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

LOAD = """
import sys
from pathlib import Path
from sofa_cli.corpus.documents import load_file
root = Path(sys.argv[1]); n = 0
for doc in load_file(root / "big.txt", root):
    for paragraph in doc.paragraphs():
        n += 1
print(n)
"""


def write_corpus(folder: Path, megabytes: float) -> int:
    paras = [
        line.strip()
        for f in sorted((ROOT / "corpus").glob("*.md"))
        for line in f.read_text(encoding="utf-8").split("\n")
        if len(line.strip()) > 40 and not line.startswith(("---", "title:", "source:", "author:", "kind:", "date:"))
    ]
    rng = random.Random(7)
    target = int(megabytes * 1024 * 1024)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "big.txt", "w", encoding="utf-8") as f:
        written, n = 0, 0
        while written < target:
            p = f"{rng.choice(paras)} Item{n % 5000}.\n\n"
            f.write(p)
            written += len(p.encode("utf-8"))
            n += 1
    return (folder / "big.txt").stat().st_size


def measure(cmd: list[str], env: dict) -> tuple[float, str]:
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr).group(1)
    return rss / 1024, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--skip-index", action="store_true", help="only the loader (the full build takes minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sofa-big-") as tmp:
        folder = Path(tmp) / "corpus"
        size = write_corpus(folder, args.mb)
        env = dict(os.environ, SOFA_INDEX_DIR=str(Path(tmp) / "index"), PYTHONPATH=str(ROOT))
        rows = [
            (
                "baseline: `python -c 'import sofa_cli.corpus.documents'`",
                *measure([sys.executable, "-c", "import sofa_cli.corpus.documents"], env),
            )
        ]
        rows.append(("load + split into paragraphs (streamed)", *measure([sys.executable, "-c", LOAD, str(folder)], env)))
        if not args.skip_index:
            rows.append(("`sofa index` (whole build)", *measure([sys.executable, "-m", "sofa_cli", "index", str(folder)], env)))
    lines = [
        "## One very large corpus file (bench/big_file.py)\n",
        f"Command: `python bench/big_file.py --mb {args.mb:g}`; one file of {size / 1024 / 1024:,.0f} MB"
        " (bundled-corpus paragraphs, seed 7); peak RSS and wall time from `/usr/bin/time -v`.\n",
        "| step | peak RSS (MB) | wall |",
        "|---|---:|---:|",
        *[f"| {name} | {rss:,.0f} | {wall} |" for name, rss, wall in rows],
        "",
    ]
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "big_file.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
