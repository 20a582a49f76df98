"""Compare two sofa index files: what each section weighs in each, then every section byte for
byte, and the header but for times.

    python bench/compare_indexes.py A/index.sofa B/index.sofa

The table gives each section's type, bytes and share of its file in A and in B, so a change of
format shows where the bytes went (issue 16); a section only one file holds shows a dash for the
other. Then the contents: for checking that a faster build writes the same index, the header's
build time and the corpus files' mtimes may differ between two builds, nothing else. Exits 1 on
a difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sofa_cli.index.format import _ITEMSIZE, IndexFile, IndexFileError  # noqa: E402

VOLATILE = {"built", "sections"}  # build time; section offsets are compared as contents


def comparable_header(header: dict) -> dict:
    out = {k: v for k, v in header.items() if k not in VOLATILE}
    out["files"] = [{k: v for k, v in f.items() if k != "mtime_ns"} for f in header.get("files", [])]
    return out


def raw_header(path: Path) -> dict:
    """The header JSON as written, whatever the format version (an older index is compared too)."""
    with open(path, "rb") as f:
        head = f.read(16)
        return json.loads(f.read(int.from_bytes(head[8:12], "little")))


def section_sizes(header: dict) -> dict[str, tuple[str, int]]:
    """Each section's (type code, bytes), from the header's table of sections."""
    return {name: (code, _ITEMSIZE[code] * count) for name, (_, code, count, _) in header["sections"].items()}


def size_table(path_a: Path, path_b: Path) -> list[str]:
    """A markdown table: every section of either file, largest in B first, with its bytes and share
    of the file; the rest of each file (magic, header JSON, alignment) as its own row."""
    sa, sb = section_sizes(raw_header(path_a)), section_sizes(raw_header(path_b))
    size_a, size_b = path_a.stat().st_size, path_b.stat().st_size
    names = sorted(sa.keys() | sb.keys(), key=lambda n: (-sb.get(n, ("", 0))[1], -sa.get(n, ("", 0))[1], n))

    def cell(sizes: dict, name: str, total: int) -> str:
        if name not in sizes:
            return "- | - | -"
        code, nbytes = sizes[name]
        return f"{code} | {nbytes:,} | {100 * nbytes / total:.1f}%"

    rows = [
        "| section | A type | A bytes | A share | B type | B bytes | B share | B - A bytes |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for name in names:
        change = sb.get(name, ("", 0))[1] - sa.get(name, ("", 0))[1]
        rows.append(f"| {name} | {cell(sa, name, size_a)} | {cell(sb, name, size_b)} | {change:+,} |")
    rest_a = size_a - sum(n for _, n in sa.values())
    rest_b = size_b - sum(n for _, n in sb.values())
    rows.append(
        f"| (header, alignment) | | {rest_a:,} | {100 * rest_a / size_a:.1f}% "
        f"| | {rest_b:,} | {100 * rest_b / size_b:.1f}% | {rest_b - rest_a:+,} |"
    )
    change = f"**{size_b - size_a:+,}** ({size_b / size_a:.2f}x)"
    rows.append(f"| **file** | | **{size_a:,}** | 100% | | **{size_b:,}** | 100% | {change} |")
    return rows


def main() -> int:
    path_a, path_b = Path(sys.argv[1]), Path(sys.argv[2])
    print("\n".join(size_table(path_a, path_b)))
    print()
    try:
        a, b = IndexFile(path_a), IndexFile(path_b)
    except IndexFileError as err:
        print(f"contents not compared: {err}")
        return 1
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
