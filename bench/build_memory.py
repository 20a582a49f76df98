"""A build's peak memory and time, before and after a change, beside tantivy's (issue 16).

    python bench/build_memory.py --before REF --corpus 100000=/tmp/scale-100k --corpus 1000000=/tmp/scale-1m

For each corpus, in one run: `bench/scale/systems.py build` of sofa at REF and at --after
(default HEAD; each exported with `git archive` into a temporary folder), and of tantivy, each in a
fresh process (peak RSS: the building process's own, and its largest child's, the parse
workers'); then `bench/build_phases.py` of both sofas (peak RSS and seconds per phase).
`--jobs N` runs N of these side by side. Appends each figure to bench/results/build_memory.json
as it comes (a 1M run takes a while) and writes bench/results/build_memory.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PY = sys.executable
COMMAND = " ".join(["python bench/build_memory.py", *(a for a in sys.argv[1:] if a != "--section-only")])


def run_json(cmd: list[str]) -> dict:
    print("bench:", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    print("bench: ->", out.stdout.strip().splitlines()[-1], file=sys.stderr, flush=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(
    checkouts: dict[str, Path], corpora: dict[int, Path], work: Path, jobs: int, phases_max: int, only: set
) -> list[dict]:
    """Every build of the run, `jobs` at a time (on a shared machine, builds run side by side
    finish sooner than one after the other; their peak RSS and CPU seconds are their own)."""
    from concurrent.futures import ThreadPoolExecutor

    planned = []
    for n, corpus in sorted(corpora.items(), reverse=True):
        for label, checkout in checkouts.items():
            systems = str(checkout / "bench/scale/systems.py")
            planned.append((n, f"sofa {label}", "build", [PY, systems, "build", "sofa", str(corpus), str(work / f"{label}-{n}")]))
        systems = str(HERE / "scale/systems.py")
        planned.append((n, "tantivy", "build", [PY, systems, "build", "tantivy", str(corpus), str(work / f"tantivy-{n}")]))
        if n <= phases_max:
            for label, checkout in checkouts.items():
                phases = str(checkout / "bench/build_phases.py")
                planned.append((n, f"sofa {label}", "phases", [PY, phases, str(corpus), str(work / f"phases-{label}-{n}")]))
    rows: list[dict] = []

    def one(plan) -> None:
        n, system, kind, cmd = plan
        try:
            rows.append({"size": n, "system": system, kind: run_json(cmd), "command": COMMAND})
        except subprocess.CalledProcessError as err:  # the others go on; this one is left out
            print(f"bench: failed ({err.returncode}): {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
            return
        save(rows)

    planned = [plan for plan in planned if not only or plan[1].removeprefix("sofa ") in only]
    with ThreadPoolExecutor(jobs) as pool:
        for _ in pool.map(one, planned):
            pass
    return rows


def _key(row: dict) -> tuple:
    return row["size"], row["system"], "build" if "build" in row else "phases"


def save(rows: list[dict]) -> None:
    """Into bench/results/build_memory.json, replacing the same measurement of an earlier run
    (so a run of one size keeps the other size's figures)."""
    path = RESULTS / "build_memory.json"
    kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    fresh = {_key(r) for r in rows}
    merged = [r for r in kept if _key(r) not in fresh] + rows
    order = ("sofa before", "sofa after", "tantivy")
    merged.sort(key=lambda r: (r["size"], "phases" in r, [r["system"].startswith(o) for o in order].index(True), r["system"]))
    path.write_text(json.dumps(merged, indent=1), encoding="utf-8")


def export(ref: str, folder: Path) -> Path:
    """The files of commit `ref` in `folder` (with this checkout's build_phases.py if it has none)."""
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    if not (folder / "bench/build_phases.py").exists():
        (folder / "bench/build_phases.py").write_bytes((HERE / "build_phases.py").read_bytes())
    return folder


# What the figures showed, read off the runs recorded in bench/results/build_memory.json.
NOTES = """
What the phases showed. Before (02f8f78) the peak is the finish: at 100k, 404 MB against 279 MB
while parsing. `finish` held, at once, the counted postings (12 bytes each), their layout term by
term (8 bytes each), the impacts (8 bytes each) and their temporaries, beside the passage texts,
spans and sentence terms held since parsing; then the whole index was in memory as it was written.
All of it grows with the corpus: at 1M, 1,306 MB at the end of the parse, 1,958 MB in the finish
(1,966 MB by getrusage) and 1,604 MB while writing (1,750 MB in issue 16's run).

After: past a 64 MB budget the postings are written out as runs sorted by term bytes and merged
term by term at the end; the per-passage and per-sentence arrays are appended to scratch files
past a 4 MB buffer; the large sections stream from those files into the index. What is left in
memory is the budget, the counting of one 2M-token chunk (np.unique over int64 keys), the
vocabulary's dictionaries (which grow with the vocabulary, not the passages), and Python, numpy
and the Punkt model. ecbe876 still buffered the merged postings up to the 64 MB budget (two
buffers) and merged 2M postings at a time: 297 MB at 100k, 455 MB at 1M. 3f68b15 writes them past
the 4 MB buffer and merges a million at a time: 228 MB at 100k, where the peak is now the parse
(227 MB; the finish 205 MB), and 349 MB at 1M (5.6x less than before's 1,966 MB; 2.0x tantivy's
174 MB in the same run). CPU seconds at 100k, side by side in one run: 33.6 before, 33.4 after.

The index is the same, section for section: `tests/test_index_spill.py` builds with a tiny
budget (many runs, every array written out) and compares the index after its header byte for
byte, and the answers; bench/compare_indexes.py finds no difference in any of the 31 sections
between the builds before and after, of 5,866 passages and of the 1M corpus (1,040,649,207 bytes).
"""


def section(rows: list[dict], machine: str) -> str:
    commands = list(dict.fromkeys(r.get("command", "?") for r in rows))
    lines = [
        "## A build's peak memory, before and after streaming it (bench/build_memory.py)",
        "",
        "Commands (each figure comes from one of them; a build's row says which):",
        "",
        *(f"{i}. `{c}`" for i, c in enumerate(commands, 1)),
        "",
        f"Machine: {machine}. Other engineers' builds and tests shared the 2 cores (load average 11 to 26",
        "during these runs): wall times are noise, CPU seconds (the building process's and its parse",
        "workers') much less so; the builds of one run ran side by side (`--jobs`). Peak RSS does not",
        "depend on the load.",
        "",
        "| passages | system | wall s | passages/s | CPU s (own + workers) | peak RSS own | largest child | disk | run |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        b = row.get("build")
        if not b:
            continue
        lines.append(
            f"| {row['size']:,} | {row['system']} | {b['seconds']:.1f} | {b['passages'] / b['seconds']:,.0f}"
            f" | {b['cpu_s']:.1f} + {b['cpu_children_s']:.1f} | {b['peak_mb']:.0f} MB | {b['peak_worker_mb']:.0f} MB"
            f" | {b['disk'] / 1e6:.0f} MB | {commands.index(row.get('command', '?')) + 1} |"
        )
    lines += [
        "",
        "Peak RSS of the building process per phase (bench/build_phases.py, sampled every 20 ms):",
        "",
        "| passages | system | parse + accumulate | finish | write | peak (getrusage) | run |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        p = row.get("phases")
        if not p:
            continue
        phases = [p["phases"][k] for k in ("parse + accumulate", "finish", "write")]
        cells = " | ".join(f"{phase['peak_mb']:.0f} MB, {phase['seconds']:.1f} s" for phase in phases)
        run = commands.index(row.get("command", "?")) + 1
        lines.append(f"| {row['size']:,} | {row['system']} | {cells} | {p['peak_mb']} MB | {run} |")
    return "\n".join(lines) + "\n" + NOTES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the git ref to compare with")
    parser.add_argument("--after", default="HEAD", help="the git ref measured (default: HEAD, not the working tree)")
    parser.add_argument("--corpus", action="append", required=True, help="N=FOLDER, or N: bench/data/scale-N")
    parser.add_argument("--jobs", type=int, default=1, help="builds run side by side")
    parser.add_argument("--phases-max", type=int, default=10**9, help="phases measured up to this size")
    parser.add_argument("--only", help="some of before,after,tantivy (the others' figures are kept)")
    parser.add_argument("--section-only", action="store_true", help="rewrite the .md from the saved .json")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run_all import machine

    if not args.section_only:
        from perf import corpus_for

        corpora = {int(c.split("=")[0]): Path(c.split("=", 1)[1]) if "=" in c else corpus_for(int(c)) for c in args.corpus}
        with tempfile.TemporaryDirectory(prefix="sofa-build-memory-") as tmp:
            checkouts = {label: export(ref, Path(tmp) / label) for label, ref in (("before", args.before), ("after", args.after))}
            only = set(args.only.split(",")) if args.only else set()
            measure(checkouts, corpora, Path(tmp) / "work", args.jobs, args.phases_max, only)
    rows = json.loads((RESULTS / "build_memory.json").read_text(encoding="utf-8"))
    (RESULTS / "build_memory.md").write_text(section(rows, machine()), encoding="utf-8")


if __name__ == "__main__":
    main()
