"""Speed at every size: one-shot `sofa ask`, and sofa vs tantivy, bm25s and rank-bm25 at 10k-1M passages.

    python bench/perf.py                      # 10k, 100k and 1M passages (the 1M run takes a while)
    python bench/perf.py --sizes 10000 100000 # smaller
    python bench/perf.py --oneshot-only

1. One-shot: `sofa ask "what did Hornung suggest?"` on the bundled corpus as a whole
   process, alternated with `python -c "import typer, rich.console"` (the floor any typer
   CLI pays), medians of ONESHOT_RUNS each, and their ratio; the same at the largest size.
2. Scale: bench/scale/generate.py writes a corpus of N passages (fixed seed) into
   bench/data/; each system builds its index in a fresh process (bench/scale/systems.py:
   wall time, peak RSS by resource.getrusage, size on disk), then answers the first
   QUERIES XQuAD questions in another fresh process (p50/p99 latency, after a warm-up).
   rank-bm25 runs up to RANK_BM25_MAX passages (beyond, it needs many GB and seconds a query).

Writes bench/results/perf.md (machine, commands, figures).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")

SIZES = (10_000, 100_000, 1_000_000)
QUERIES = 300
ONESHOT_RUNS = 21
ONESHOT_RUNS_LARGE = 9
RANK_BM25_MAX = 100_000
# sofa and its peers, in table order (bench/scale/systems.py builds and queries each).
SYSTEMS = ("sofa", "tantivy", "bm25s", "rank-bm25")
QUESTION = "what did Hornung suggest?"
# A question that reads every byline (people.author_terms): its one-shot is measured beside QUESTION's.
AUTHOR_QUESTION = "who wrote about turbulent separation?"
PY = sys.executable
SOFA = [PY, "-m", "sofa_cli"]


def machine() -> str:
    """run_all's machine line, plus the RAM and the load when the run starts."""
    from run_all import machine as base

    extra = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        extra += f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        extra += f", load average {os.getloadavg()[0]:.1f} at start"
    except OSError:
        pass
    return base() + extra


def wall(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - started


def oneshot(extra: list[str], runs: int, env: dict, question: str = QUESTION) -> dict:
    """sofa ask vs the typer+rich import floor, alternated, medians; the index built before."""
    ask = [*SOFA, "ask", question, *extra]
    subprocess.run(ask, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    floor_cmd = [PY, "-c", "import typer, rich.console"]
    sofa, floor = [], []
    for _ in range(runs):
        floor.append(wall(floor_cmd, env))
        sofa.append(wall(ask, env))
    s, f = statistics.median(sofa), statistics.median(floor)
    return {"sofa_ms": s * 1000, "floor_ms": f * 1000, "ratio": s / f, "runs": runs}


def oneshot_large_only(n: int, index_dir: Path | None) -> None:
    """The one-shot at `n` passages alone (the full run takes the better part of an hour),
    into bench/results/oneshot_large.md."""
    compileall.compile_dir(ROOT / "sofa_cli", quiet=1)
    with tempfile.TemporaryDirectory(prefix="sofa-perf-") as tmp:
        folder = index_dir or Path(tmp) / f"sofa-{n}"
        env = dict(os.environ, NO_COLOR="1")
        env.pop("SOFA_CORPUS", None)
        extra = ["--corpus", str(corpus_for(n)), "--index-dir", str(folder)]
        found = oneshot(extra, ONESHOT_RUNS_LARGE, env)
        authors = oneshot(extra, ONESHOT_RUNS_LARGE, env, AUTHOR_QUESTION)
    load = os.getloadavg()[0]
    text = (
        f"## One-shot `sofa ask` at {n:,} passages (bench/perf.py --oneshot-large)\n\n"
        f"Command: `python bench/perf.py --oneshot-large {n}`; each question's `sofa ask` alternated with\n"
        f'`python -c "import typer, rich.console"`, {found["runs"]} runs each, medians, index built before;'
        f" load average {load:.1f} at the end.\n\n"
        f"| question | `sofa ask` | typer+rich import | target |\n|---|---:|---:|---|\n"
        + "".join(
            f"| {q} | {f['sofa_ms']:.0f} ms | {f['floor_ms']:.0f} ms | < 500 ms: {'met' if f['sofa_ms'] < 500 else 'not met'} |\n"
            for q, f in ((QUESTION, found), (AUTHOR_QUESTION, authors))
        )
    )
    (RESULTS / "oneshot_large.md").write_text(text, encoding="utf-8")
    print(text)


def imports_on_query_path(env: dict) -> list[str]:
    """Heavy modules a one-shot ask on the bundled corpus imports (should be none)."""
    code = (
        f"import sys, runpy; sys.argv=['sofa','ask',{QUESTION!r}]\n"
        "try:\n    runpy.run_module('sofa_cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy=[m for m in ('nltk','numpy','rank_bm25','scipy','pydantic') if m in sys.modules]\n"
        "sys.stderr.write('IMPORTED '+','.join(heavy)+'\\n')"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, check=False)
    line = [x for x in out.stderr.splitlines() if x.startswith("IMPORTED")]
    return line[0][9:].split(",") if line and line[0][9:] else []


def corpus_for(n: int) -> Path:
    path = DATA / f"scale-{n}"
    if not (path / ".complete").exists():
        subprocess.run([PY, str(HERE / "scale" / "generate.py"), str(n), str(path)], check=True)
        (path / ".complete").write_text("")
    return path


def questions_file(work: Path) -> Path:
    data = json.loads((SHARED / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    qs = [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]][:QUERIES]
    path = work / "questions.json"
    path.write_text(json.dumps(qs), encoding="utf-8")
    return path


def measure(action: str, system: str, corpus: Path, work: Path, *rest: str) -> dict:
    cmd = [PY, str(HERE / "scale" / "systems.py"), action, system, str(corpus), str(work), *rest]
    print("bench:", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def scale(sizes: list[int], work_root: Path) -> list[dict]:
    rows = []
    questions = questions_file(work_root)
    for n in sizes:
        corpus = corpus_for(n)
        for system in SYSTEMS:
            if system == "rank-bm25" and n > RANK_BM25_MAX:
                continue
            work = work_root / f"{system}-{n}"
            built = measure("build", system, corpus, work)
            queried = [measure("query", system, corpus, work, str(questions))]
            if system == "sofa":
                queried.append(measure("query", "sofa-bm25", corpus, work, str(questions)))
            for q, name in zip(queried, [system, "sofa-bm25"]):
                rows.append({"size": n, "system": name, "build": built, "query": q})
            # Kept as they come: a long run that fails at 1M still leaves the smaller sizes.
            (RESULTS / "perf-partial.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


def fmt_mb(b: float) -> str:
    return f"{b / 1024 / 1024:.0f} MB" if b >= 1024 * 1024 else f"{b / 1024:.0f} kB"


def write_section(oneshot_small: dict, heavy: list[str], oneshot_large: dict | None, rows: list[dict], argv: list[str]) -> str:
    lines = [
        "## Speed at every size (bench/perf.py)",
        "",
        f"Command: `{' '.join(['python bench/perf.py', *argv])}`",
        f"Machine: {machine()}. Other jobs shared the machine; ratios are taken within one run.",
        "",
        "### One-shot `sofa ask` (whole process)",
        "",
        f'`sofa ask "{QUESTION}"` on the bundled corpus (index already built), alternated with',
        f'`python -c "import typer, rich.console"`, {oneshot_small["runs"]} runs each, medians'
        " (sofa_cli byte-compiled first, as pip installs it):",
        "",
        "| | median wall |",
        "|---|---:|",
        f"| `import typer, rich.console` | {oneshot_small['floor_ms']:.0f} ms |",
        f"| `sofa ask` (bundled corpus) | {oneshot_small['sofa_ms']:.0f} ms |",
        f"| ratio (target <= 1.5) | {oneshot_small['ratio']:.2f} |",
        "",
        f"Heavy modules imported by that process (nltk, numpy, rank_bm25, scipy, pydantic): {', '.join(heavy) or 'none'}.",
        "",
    ]
    if oneshot_large:
        n = oneshot_large["size"]
        lines += [
            f"At {n:,} passages (`--corpus bench/data/scale-{n}`, index built), {oneshot_large['runs']} runs each:"
            f" `sofa ask` {oneshot_large['sofa_ms']:.0f} ms (target < 500 ms),"
            f" typer+rich import {oneshot_large['floor_ms']:.0f} ms."
            + (f" `sofa ask {AUTHOR_QUESTION!r}`: {oneshot_large['author_ms']:.0f} ms." if "author_ms" in oneshot_large else ""),
            "",
        ]
    if rows:
        lines += [
            "### Cost growth: sofa vs tantivy, bm25s and rank-bm25",
            "",
            "Corpus: `bench/scale/generate.py N` (fixed seed; sentences of XQuAD, TIME and Cranfield).",
            f"Queries: the first {QUERIES} XQuAD questions, one at a time, in-process, top 10, after {5} warm-up queries.",
            "`sofa` = `Corpus.ask` (the full ranking a user gets: BM25 + sentence evidence + attribution for",
            "the best 100); `sofa-bm25` = question analysis + `Index.bm25(top=10)`, like for like with the others.",
            "`tantivy` = tantivy-py, `en_stem` tokenizer, text stored, index on disk, each hit's stored text fetched.",
            "Build = read files to index on disk, in a fresh process; peak = that process's max RSS",
            "(sofa's parse workers, forked, are listed apart: `+ N MB/worker`, 2 workers beyond 8 MB of text);",
            "tree peak = the highest sum over the building process and its workers at one moment, sampled every",
            "15 ms (bench/tree_memory.py): RSS; PSS (pages shared copy-on-write with the workers counted once);",
            "own = anonymous PSS summed + file-backed pages once, whole (PSS would also split the libraries' pages",
            "with unrelated processes); a one-process system's is its getrusage peak.",
            "Open = load the index in a fresh process (sofa: mmap; `+fresh`: also stat the corpus files).",
            "",
            "CPU = CPU seconds (all threads; sofa's parse workers added) beside the wall: the machine is shared, and",
            "the wall also counts the time other jobs held the cores.",
            "",
            "| passages | system | build s | CPU s | passages/s | peak MB | tree peak RSS / PSS / own MB | disk | open ms"
            " | p50 ms | p99 ms | CPU p50 / p99 |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            b, q = r["build"], r["query"]
            peak = f"{b['peak_mb']:.0f}"
            if b.get("peak_worker_mb"):
                peak += f" + {b['peak_worker_mb']:.0f}/worker"
            tree = ""
            if "tree_peak_own_mb" in b:
                tree = f"{b['tree_peak_rss_mb']:.0f} / {b['tree_peak_pss_mb']:.0f} / {b['tree_peak_own_mb']:.0f}"
            elif r["system"] != "sofa-bm25":
                tree = f"{b['peak_mb']:.0f}"  # one process (tantivy's threads are in it): its getrusage peak
            opened = f"{q['open_s'] * 1000:.1f}"
            if "open_fresh_s" in q:
                opened += f" ({q['open_fresh_s'] * 1000:.1f} +fresh)"
            cpu = f"{b['cpu_s'] + b.get('cpu_children_s', 0):.1f}" if "cpu_s" in b else ""
            if r["system"] == "sofa-bm25":  # the same build as the sofa row above
                built = "| | | | | | |"
            else:
                rate = f"{b['passages'] / b['seconds']:,.0f}"
                built = f"| {b['seconds']:.1f} | {cpu} | {rate} | {peak} | {tree} | {fmt_mb(b['disk'])} |"
            q_cpu = f"{q['cpu_p50_ms']:.2f} / {q['cpu_p99_ms']:.1f}" if "cpu_p50_ms" in q else ""
            lines.append(f"| {r['size']:,} | {r['system']} {built} {opened} | {q['p50_ms']:.2f} | {q['p99_ms']:.1f} | {q_cpu} |")
        lines.append("")
        lines += targets(rows, oneshot_small, oneshot_large)
        lines += targets_tantivy(rows, oneshot_small, oneshot_large)
    return "\n".join(lines)


def targets(rows: list[dict], small: dict, large: dict | None) -> list[str]:
    """Issue 5's targets, read off this run's figures (met or not, nothing typed by hand)."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    by = {(r["size"], r["system"]): r for r in rows}
    lines = ["### Targets (issue 5), from this run", ""]
    lines.append(
        f"- One-shot on the bundled corpus: {small['ratio']:.2f}x the typer+rich import (<= 1.5x):"
        f" {verdict(small['ratio'] <= 1.5)}."
    )
    if large:
        ms = large["sofa_ms"]
        lines.append(f"- One-shot at {large['size']:,} passages: {ms:.0f} ms (< 500 ms): {verdict(ms < 500)}.")
        if "author_ms" in large:  # not the question, but one that reads every byline
            ms = large["author_ms"]
            lines.append(f"- The same for {AUTHOR_QUESTION!r}: {ms:.0f} ms (< 500 ms): {verdict(ms < 500)}.")
    sizes = sorted({r["size"] for r in rows})
    for n in sizes:
        sofa, bm25s, plain = by.get((n, "sofa")), by.get((n, "bm25s")), by.get((n, "sofa-bm25"))
        if not (sofa and bm25s):
            continue
        # The targets are set at a million passages; smaller sizes show the same ratios, unjudged.
        judged = n == 1_000_000

        def verdict(ok: bool, judged: bool = judged) -> str:
            return ("met" if ok else "**not met**") if judged else ("ahead" if ok else "behind")

        rate = sofa["build"]["passages"] / sofa["build"]["seconds"]
        rate_b = bm25s["build"]["passages"] / bm25s["build"]["seconds"]
        peak, peak_b = sofa["build"]["peak_mb"], bm25s["build"]["peak_mb"]
        q, qb = sofa["query"], bm25s["query"]
        fast = q["p50_ms"] <= qb["p50_ms"] and q["p99_ms"] <= qb["p99_ms"]
        opened = sofa["query"]["open_s"] * 1000
        like = f" (BM25 alone: {plain['query']['p50_ms']:.1f} / {plain['query']['p99_ms']:.1f} ms)" if plain else ""
        lines.append(
            f"- {n:,} passages: build {rate:,.0f} vs bm25s {rate_b:,.0f} passages/s, {verdict(rate >= rate_b)};"
            f" peak memory {peak:,.0f} vs {peak_b:,.0f} MB, {verdict(peak <= peak_b)};"
            f" query p50 / p99 {q['p50_ms']:.1f} / {q['p99_ms']:.1f} vs {qb['p50_ms']:.1f} / {qb['p99_ms']:.1f} ms,"
            f" {verdict(fast)}{like}; index open {opened:.1f} ms{f' (< 100 ms), {verdict(opened < 100)}' if judged else ''};"
            f" disk {fmt_mb(sofa['build']['disk'])} vs {fmt_mb(bm25s['build']['disk'])}."
        )
    lines.append("")
    return lines


def targets_tantivy(rows: list[dict], small: dict, large: dict | None) -> list[str]:
    """Issue 16's targets against tantivy, read off this run: each as sofa's ratio to tantivy in
    the same run, judged at a million passages (smaller sizes show the same ratios, unjudged)."""
    by = {(r["size"], r["system"]): r for r in rows}
    lines = ["### Targets (issue 16, beside tantivy), from this run", ""]
    lines.append(
        f"- One-shot on the bundled corpus: {small['ratio']:.2f}x the typer+rich import (<= 1.3x):"
        f" {'met' if small['ratio'] <= 1.3 else '**not met**'}."
    )
    for n in sorted({r["size"] for r in rows}):
        sofa, tv, plain = by.get((n, "sofa")), by.get((n, "tantivy")), by.get((n, "sofa-bm25"))
        if not (sofa and tv):
            continue
        judged = n == 1_000_000

        def verdict(ok: bool, judged: bool = judged) -> str:
            return ("met" if ok else "**not met**") if judged else ("ahead" if ok else "behind")

        rate = sofa["build"]["passages"] / sofa["build"]["seconds"]
        rate_t = tv["build"]["passages"] / tv["build"]["seconds"]
        # The memory the build takes at once, workers included: the tree's sampled peak (shared
        # pages counted once, libraries whole); older runs without it: own + one worker's peak.
        peak = sofa["build"].get("tree_peak_own_mb") or sofa["build"]["peak_mb"] + sofa["build"].get("peak_worker_mb", 0)
        peak_t = tv["build"]["peak_mb"]
        disk, disk_t = sofa["build"]["disk"], tv["build"]["disk"]
        q, qt = sofa["query"], tv["query"]
        line = (
            f"- {n:,} passages: build {rate:,.0f} vs {rate_t:,.0f} passages/s = {rate / rate_t:.2f}x (>= 0.5x),"
            f" {verdict(rate >= 0.5 * rate_t)}; peak memory (workers included) {peak:,.0f} vs {peak_t:,.0f} MB ="
            f" {peak / peak_t:.2f}x (<= 1x), {verdict(peak <= peak_t)}; disk {fmt_mb(disk)} vs {fmt_mb(disk_t)} ="
            f" {disk / disk_t:.2f}x (<= 1.5x), {verdict(disk <= 1.5 * disk_t)}; full ranking p50 {q['p50_ms']:.1f} vs"
            f" {qt['p50_ms']:.1f} ms = {q['p50_ms'] / qt['p50_ms']:.2f}x (<= 1x), p99 {q['p99_ms']:.1f} vs"
            f" {qt['p99_ms']:.1f} ms = {q['p99_ms'] / qt['p99_ms']:.2f}x (<= 1.5x),"
            f" {verdict(q['p50_ms'] <= qt['p50_ms'] and q['p99_ms'] <= 1.5 * qt['p99_ms'])}"
        )
        if "cpu_p50_ms" in q and "cpu_p50_ms" in qt:  # on a loaded machine the CPU ratios are the steadier ones
            build_cpu = sofa["build"].get("cpu_s", 0) + sofa["build"].get("cpu_children_s", 0)
            line += (
                f" (by CPU time: p50 {q['cpu_p50_ms'] / qt['cpu_p50_ms']:.2f}x, p99 {q['cpu_p99_ms'] / qt['cpu_p99_ms']:.2f}x;"
                f" build {build_cpu:.1f} vs {tv['build'].get('cpu_s', 0):.1f} CPU s)"
            )
        if plain:
            pq = plain["query"]
            ratio = pq["p99_ms"] / qt["p99_ms"]
            line += f"; BM25-only p99 {pq['p99_ms']:.1f} ms = {ratio:.2f}x (<= 1x), {verdict(ratio <= 1)}"
        lines.append(line + ".")
    lines.append("")
    return lines


# What profiling showed, before and after (the commands are given; the machine was shared).
PROFILE_NOTES = """### What the profile showed

Commands: `python -X importtime -m sofa_cli ask "what did Hornung suggest?"`, `pyinstrument -m sofa_cli ask ...`,
cProfile over `index.build()` (10k passages) and over 300 XQuAD questions (`question.analyse_question`, `search.ask`).

- **One-shot, before** (commit d20e03d): 1.9 s of a 2.3 s `sofa ask` was `import nltk`, reached by stemming
  "suggest" (a form the corpus lacks; "suggested" it has). `nltk/__init__` imports most of the toolkit, and
  SciPy's stats when SciPy is installed (bm25s brings it): 1.4 s in `scipy.stats` alone. Next, typer 0.29
  imports pydantic and builds a TypeAdapter per option on every run: 0.17 s (`typer._adapters`), more than
  the whole `import typer, rich.console`. **After**: nltk's Snowball and Punkt modules are imported without
  `nltk/__init__` (analysis.nltk_module: ~10 ms instead of 0.8-6 s), typer is pinned below 0.29, and the
  process imports none of nltk, numpy, rank_bm25, scipy, pydantic. What is left beyond typer+rich:
  creating dataclasses at import (each compiles its methods), regex compilation, reading the index.
- **Build, before**: 26.6 s for 10k passages (376 passages/s): `tokenize()` 10.3 s (normalising every token
  occurrence in Python), Punkt 4 s plus 3.7 s importing nltk and SciPy, attribution 4.2 s, compile_index's
  per-passage Counters and dict of (pid, tf) tuples 3 s. **After**: each distinct raw token is normalised and
  stemmed once (a memo; ASCII text takes an equivalent ASCII regex, 2.5x faster), postings are counted and
  impacts computed with numpy, documents stream into compact arrays, and beyond 8 MB of text the parsing
  runs in one worker process per core. Punkt (segment.py) and attribution (attribution.py), pure Python per
  sentence, are now nearly all of the build.
- **Queries, before** (cProfile, 300 XQuAD questions, 10k passages): typo correction ran a Python edit
  distance over every corpus form (0.8 s per unknown word), `person_names` re-normalised every person's name
  for every question (70% of question analysis), and `Index.bm25` built a dict of every matching passage.
  **After**: typo candidates are narrowed by per-form character counts (numpy, a necessary condition, so the
  same corrections), names are looked up by part, `bm25(top=)` returns the best candidates only (numpy
  argpartition beyond 1,000 postings once numpy is loaded, 50,000 before). In `sofa`, re-tokenizing the 100
  reranked candidates (search.py) is now most of a query.
- **Build, second round** (cProfile of the parse path over the 100k corpus, 108,965 passages; py-spy is not
  installed): Punkt 43%, attribution 29%, analysis 22% (two thirds of it stemming words new to a worker).
  **After**: sentence splitting takes Punkt's own decision rules for its parameters without building Punkt's
  token objects (the 4% of candidates that are not plain words go to Punkt itself), 16.9 s -> 3.5 s;
  attribution runs its speaker patterns only on sentences holding a reporting verb and looks for names only
  at capitals, 15.4 s -> 5.0 s; the ASCII token pattern is grouped by first character (1.6x); workers send
  packed arrays and numbered forms, and the main process stems each new form once. Output is identical:
  `python bench/segment_equivalence.py ...` (7,407 documents, 321,201 sentences, 7.3M tokens: 0 differences)
  and `python bench/compare_indexes.py A B` (every section of the bundled, XQuAD, TIME, mixed and 100k
  indexes built before and after: identical).
- **One-shot at 1M, second round** (in-process timings per stage, `python -X importtime`, cProfile): the
  rerank binary-searched the mapped vocabulary for each distinct word of the 100 candidates (some twenty blob
  slices per word) and built a Token object per word; the freshness check spent 35 of the 41 ms of opening
  the index in pathlib (two stats per file). **After**: CRC-32 hash tables of forms and terms are stored in
  the index, candidates are tokenised sentence by sentence without spans (same answers on 61 questions at
  100k), and freshness is one `os.stat` per file (open at 1M: 41 -> 13.5 ms). What is left at 1M: importing
  numpy (55 ms quiet, 150 ms loaded), which summing 60k-100k postings needs (pure Python took 30-110 ms).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="sofa speed benchmarks")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--oneshot-only", action="store_true")
    parser.add_argument("--oneshot-large", type=int, metavar="N", help="only the one-shot at N passages: oneshot_large.md")
    parser.add_argument("--index-dir", type=Path, help="with --oneshot-large: an index folder to reuse (built there if absent)")
    args = parser.parse_args()
    if args.oneshot_large:
        oneshot_large_only(args.oneshot_large, args.index_dir)
        return
    sizes = [] if args.oneshot_only else args.sizes
    RESULTS.mkdir(exist_ok=True)
    # As pip installs it: byte-compiled. (Under PYTHONDONTWRITEBYTECODE=1, which this sandbox
    # sets, an edited module would otherwise be compiled from source on every one-shot run.)
    compileall.compile_dir(ROOT / "sofa_cli", quiet=1)
    with tempfile.TemporaryDirectory(prefix="sofa-perf-") as tmp:
        work_root = Path(tmp)
        env = dict(os.environ, SOFA_INDEX_DIR=str(work_root / "oneshot-index"), NO_COLOR="1")
        env.pop("SOFA_CORPUS", None)
        small = oneshot([], ONESHOT_RUNS, env)
        heavy = imports_on_query_path(env)
        rows = scale(sizes, work_root) if sizes else []
        large = None
        if sizes:
            n = max(sizes)
            extra = ["--corpus", str(corpus_for(n)), "--index-dir", str(work_root / f"sofa-{n}")]
            large = oneshot(extra, ONESHOT_RUNS_LARGE, env)
            large["size"] = n
            large["author_ms"] = oneshot(extra, ONESHOT_RUNS_LARGE, env, AUTHOR_QUESTION)["sofa_ms"]
        text = write_section(small, heavy, large, rows, sys.argv[1:]) + "\n" + PROFILE_NOTES
    (RESULTS / "perf.md").write_text(text + "\n", encoding="utf-8")
    figures = {"oneshot": small, "oneshot_large": large, "rows": rows}
    (RESULTS / "perf.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
