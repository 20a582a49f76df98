"""What checking the index's checksums costs: the header and block table on every load,
each block of a section the first time it is read (format 2 checked whole sections at
load, and nothing at all of an index over 64 MiB).

For a corpus folder whose index is built (`sofa index FOLDER --index-dir DIR`), in one
process per question (as `sofa ask` runs): the first answer's time, how many bytes of
blocks it checked, and how long their CRC-32s take (timed again after the answer); then
the CRC-32 of the whole file, which is what checking every section on first use, or the
whole file at load, costs instead.

    python bench/index_checksums.py FOLDER --index-dir DIR [--out bench/results/index_checksums.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["what did the minister say about the treaty?", "Kennedy", "aircraft wing pressure distribution"]

ONE_ANSWER = """
import json, sys, time, zlib
sys.path.insert(0, {root!r})
from sofa_cli.index.format import BLOCK
started = time.perf_counter()
import sofa_cli
with sofa_cli.open({folder!r}, index_dir={index_dir!r}) as corpus:
    corpus.ask({question!r})
    elapsed = time.perf_counter() - started
    file = corpus.index._file  # a bench may look inside: which blocks did the answer check?
    checked = 0
    crc = 0.0
    for start, stop, _, _, first in file._table.values():
        for n in range(first, first + -(-(stop - start) // BLOCK)) if first >= 0 else ():
            if file._checked[n]:
                at = start + (n - first) * BLOCK
                block = file._view[at : min(at + BLOCK, stop)]
                t = time.perf_counter()
                zlib.crc32(block)
                crc += time.perf_counter() - t
                checked += len(block)
print(json.dumps({{"seconds": elapsed, "crc_seconds": crc, "checked": checked}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    path = next(Path(args.index_dir).glob("*/index.sofa"))
    size = path.stat().st_size
    lines = [
        "# Checking the index's checksums",
        "",
        f"Index: {size / 2**20:,.0f} MiB (`{Path(args.folder).name}`). One process per question, page cache warm.",
        "",
        "| question | first answer, ms | blocks checked, MiB | their CRC-32, ms | share |",
        "|---|---|---|---|---|",
    ]
    for question in QUESTIONS:
        script = ONE_ANSWER.format(root=str(ROOT), folder=args.folder, index_dir=args.index_dir, question=question)
        runs = [
            json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
            for _ in range(3)
        ]
        best = min(runs, key=lambda r: r["seconds"])
        mib = best["checked"] / 2**20
        lines.append(
            f"| {question} | {1000 * best['seconds']:.0f} | {mib:.1f} "
            f"| {1000 * best['crc_seconds']:.1f} | {best['crc_seconds'] / best['seconds']:.0%} |"
        )
    data = path.read_bytes()
    started = time.perf_counter()
    zlib.crc32(data)
    whole = time.perf_counter() - started
    lines += ["", f"CRC-32 of the whole file (every section checked at load instead): {1000 * whole:.0f} ms."]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
