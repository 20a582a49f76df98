"""Compare two sofa index files: every section byte for byte, and the header but for times.

    python bench/compare_indexes.py A/index.sofa B/index.sofa

For checking that a faster build writes the same index: the header's build time and
the corpus files' mtimes may differ between two builds, nothing else. Exits 1 on a
difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sofa_cli.index.format import IndexFile  # noqa: E402

VOLATILE = {"built", "sections"}  # build time; section offsets are compared as contents


def comparable_header(header: dict) -> dict:
    out = {k: v for k, v in header.items() if k not in VOLATILE}
    out["files"] = [{k: v for k, v in f.items() if k != "mtime_ns"} for f in header.get("files", [])]
    return out


def main() -> int:
    a, b = IndexFile(Path(sys.argv[1])), IndexFile(Path(sys.argv[2]))
    differences = []
    if comparable_header(a.header) != comparable_header(b.header):
        differences.append("header")
    names_a, names_b = set(a.header["sections"]), set(b.header["sections"])
    if names_a != names_b:
        differences.append(f"section names: {sorted(names_a ^ names_b)}")
    total = 0
    for name in sorted(names_a & names_b):
        x, y = a.section(name)[:], b.section(name)[:]
        total += x.nbytes
        if a.header["sections"][name][1:3] != b.header["sections"][name][1:3] or x != y:
            differences.append(name)
    print(f"{len(names_a & names_b)} sections, {total:,} bytes compared; differences: {differences or 'none'}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
