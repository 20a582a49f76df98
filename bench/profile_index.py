"""Where sofa's build and full-ranking query spend time, memory and disk (issue 16: profile first).

    python bench/profile_index.py build-profile CORPUS   # cProfile of build + write, in-process, no workers
    python bench/profile_index.py build-split CORPUS     # wall/CPU split and RSS by phase, as users run it
    python bench/profile_index.py build-split CORPUS --serial   # the same with the parsing in-process
    python bench/profile_index.py sections INDEX         # bytes per section, and what smaller encodings save
    python bench/profile_index.py sections TANTIVY_DIR   # a tantivy index's bytes by kind of file
    python bench/profile_index.py impacts CORPUS INDEXDIR QUESTIONS  # do float32 / 8-bit impacts change BM25's top 100?
    python bench/profile_index.py impacts-from-tf CORPUS QUESTIONS   # tf + lengths instead of impacts: same floats?
    python bench/profile_index.py merge-sim INDEX [--runs 10]   # plan 5.2's merge of runs: memory, CPU, same bytes?
    python bench/profile_index.py query CORPUS INDEXDIR QUESTIONS   # cProfile of Corpus.ask over the questions
    python bench/profile_index.py tails CORPUS INDEXDIR QUESTIONS   # analysis and BM25 apart: where the p99 comes from
    python bench/profile_index.py stored-rerank CORPUS INDEXDIR QUESTIONS  # Corpus.ask with sentence/title terms stored

Each prints Markdown (bench/results/profile.md is assembled from these outputs) and starts with
the load average, since the machine is shared.

`build-profile` and `build-split --serial` turn the parse workers off with the build's
`parallel_bytes` parameter (under cProfile the workers' time would not be seen at all; raising
the writer's PARALLEL_BYTES, as this script did, stopped working once the build took the
threshold as a parameter: its default is read when the function is defined). `build-split` times the stages by wrapping
the writer's and compiler's own functions (a few calls per document, so the timing costs
nothing measurable), and samples the RSS of this process and of its workers every 10 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def mb(n: float) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


# -- cProfile tables ---------------------------------------------------------------------


def top_table(stats: pstats.Stats, key: str, n: int, total: float) -> list[str]:
    """The first `n` functions by `key` ('cumulative' or 'tottime') as a Markdown table."""
    rows = []
    for func, (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append((ct if key == "cumulative" else tt, tt, ct, nc, func))
    rows.sort(reverse=True)
    out = ["| function | calls | self s | cumulative s | share of total |", "|---|---:|---:|---:|---:|"]
    for value, tt, ct, nc, (file, line, name) in rows[:n]:
        where = name if file == "~" else f"{_short(file)}:{line} {name}"
        out.append(f"| `{where}` | {nc:,} | {tt:.2f} | {ct:.2f} | {value / total:.0%} |")
    return out


def _short(file: str) -> str:
    for marker in ("sofa_cli/", "site-packages/", "lib/python3"):
        if marker in file:
            return file[file.index(marker) :]
    return Path(file).name


def cumulative(stats: pstats.Stats, file_suffix: str, name: str) -> float:
    """Cumulative seconds of a function (all its entries; generators count every resume)."""
    return sum(
        ct for (file, _line, fname), (_cc, _nc, _tt, ct, _) in stats.stats.items() if fname == name and file.endswith(file_suffix)
    )


# -- build ---------------------------------------------------------------------------------


SERIAL = 1 << 62  # the build's `parallel_bytes` that keeps the parsing in this process


def build_profile(corpus: Path) -> str:
    from sofa_cli.index import writer
    from sofa_cli.index.format import write_index

    profile = cProfile.Profile(time.process_time)  # CPU seconds: the machine is shared
    with tempfile.TemporaryDirectory(prefix="sofa-profile-") as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        profile.enable()
        header, sections, report = writer.build(corpus.resolve(), parallel_bytes=SERIAL)
        write_index(Path(tmp) / "index.sofa", header, sections)
        profile.disable()
        wall, total = time.perf_counter() - started, time.process_time() - cpu
    stats = pstats.Stats(profile)
    stages = [
        ("reading files, JSON, paragraphs (`documents.load_file`)", cumulative(stats, "corpus/documents.py", "load_file")),
        ("segmentation (`segment.passages_of`)", cumulative(stats, "corpus/segment.py", "passages_of")),
        ("attribution (`attribution.attribute`)", cumulative(stats, "corpus/attribution.py", "attribute")),
        ("tokenising and term numbering (`terms._pack`)", cumulative(stats, "index/terms.py", "_pack")),
        ("  of which `passage_and_sentence_bytes`", cumulative(stats, "index/terms.py", "passage_and_sentence_bytes")),
        ("stemming new forms (`_Compiler.add_vocabulary`)", cumulative(stats, "index/compiler.py", "add_vocabulary")),
        ("appending documents (`_Compiler.add`, incl. postings chunks)", cumulative(stats, "index/compiler.py", "add")),
        ("  of which counting postings (`_Compiler._flush`)", cumulative(stats, "index/compiler.py", "_flush")),
        (
            "compiling (`_Compiler.finish`: vocabulary, postings, impacts, tables)",
            cumulative(stats, "index/compiler.py", "finish"),
        ),
        ("writing (`format.write_index`: CRC-32, write, fsync)", cumulative(stats, "index/format.py", "write_index")),
    ]
    lines = [
        f"`build` + `write_index` in one process, parse workers off, under cProfile ({load()} at the end):",
        f"{report.documents:,} documents, {report.passages:,} passages, {total:.1f} CPU s under the profiler"
        f" ({wall:.1f} s wall); the profiler's clock is CPU time (time.process_time), as the machine is shared.",
        "",
        "| stage | cumulative CPU s | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {sec:.2f} | {sec / total:.0%} |" for name, sec in stages]
    lines += ["", "Top 25 by cumulative time:", ""] + top_table(stats, "cumulative", 25, total)
    lines += ["", "Top 25 by self time:", ""] + top_table(stats, "tottime", 25, total)
    return "\n".join(lines)


class RssSampler(threading.Thread):
    """Samples this process's RSS and its children's (the parse workers) every `every` s,
    keeping the peak of each per phase."""

    def __init__(self, every: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.phase = "start"
        self.peaks: dict[str, list[float]] = {}  # phase -> [own peak, largest child, children summed]
        self.order: list[str] = []
        self.stop = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm") as f:
                return int(f.read().split()[1]) * self.page
        except (OSError, ValueError, IndexError):
            return 0

    def _children(self) -> list[int]:
        pid = os.getpid()
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def set(self, phase: str) -> None:
        self.phase = phase

    def run(self) -> None:
        while not self.stop.is_set():
            own = self._rss(os.getpid())
            kids = [self._rss(c) for c in self._children()]
            phase = self.phase
            if phase not in self.peaks:
                self.peaks[phase] = [0, 0, 0]
                self.order.append(phase)
            p = self.peaks[phase]
            p[0] = max(p[0], own)
            p[1] = max(p[1], max(kids, default=0))
            p[2] = max(p[2], sum(kids))
            time.sleep(self.every)


def build_split(corpus: Path, serial: bool) -> str:
    """The build as users run it (workers beyond 8 MB of text unless `serial`), its wall time
    split by stage with light wrappers, CPU of the main process and of the workers, and RSS
    peaks per phase."""
    from sofa_cli.corpus import segment
    from sofa_cli.index import compiler, writer
    from sofa_cli.index.format import write_index

    spent: dict[str, list[float]] = {}  # stage -> [wall s, CPU s of the thread]
    sampler = RssSampler()

    def add(name: str, wall: float, cpu: float) -> None:
        total = spent.setdefault(name, [0.0, 0.0])
        total[0] += wall
        total[1] += cpu

    def timed(name: str, fn, phase: str | None = None):
        def wrapper(*args, **kwargs):
            if phase:
                sampler.set(phase)
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                add(name, time.perf_counter() - started, time.thread_time() - cpu)

        return wrapper

    def timed_items(name: str, fn):
        """A generator function's wrapper that times each item it yields (reading is lazy)."""

        def wrapper(*args, **kwargs):
            items = fn(*args, **kwargs)
            while True:
                started, cpu = time.perf_counter(), time.thread_time()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    add(name, time.perf_counter() - started, time.thread_time() - cpu)
                yield item

        return wrapper

    from sofa_cli.corpus.attribution import attribute

    # In-process stages (all of parsing when serial; with workers, these run in them).
    segment.passages_of = timed("segmentation", segment.passages_of)
    writer.load_file = timed_items("reading (load_file: files, JSON, paragraphs)", writer.load_file)
    writer.pack_document = timed("tokenising + term numbering (pack_document)", writer.pack_document)
    timed_attribute = timed("attribution", attribute)
    # The main process's own stages.
    compiler.Compiler.add_vocabulary = timed("stemming new forms (add_vocabulary)", compiler.Compiler.add_vocabulary, "streaming")
    compiler.Compiler.add = timed("appending documents (add, with postings chunks)", compiler.Compiler.add, "streaming")
    held_streaming: dict[str, int] = {}

    def finish(self, *args, **kwargs):
        held_streaming.update(_held(self))
        return compiler_finish(self, *args, **kwargs)

    compiler_finish = timed("compiling (finish)", compiler.Compiler.finish, "compiling (finish)")
    compiler.Compiler.finish = finish
    before = resource.getrusage(resource.RUSAGE_SELF)
    sampler.start()
    with tempfile.TemporaryDirectory(prefix="sofa-profile-") as tmp:
        started = time.perf_counter()
        sampler.set("parsing (before the first document)")
        header, sections, report = writer.build(
            corpus.resolve(), attribute=timed_attribute, parallel_bytes=SERIAL if serial else writer.PARALLEL_BYTES
        )
        built = time.perf_counter() - started
        sampler.set("writing")
        started_write, cpu = time.perf_counter(), time.thread_time()
        write_index(Path(tmp) / "index.sofa", header, sections)
        add("writing (write_index)", time.perf_counter() - started_write, time.thread_time() - cpu)
        total = time.perf_counter() - started
        held = {name: _nbytes(data) for name, data in sections.items()}
        del header, sections
    sampler.stop.set()
    sampler.join()
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu = (own.ru_utime - before.ru_utime) + (own.ru_stime - before.ru_stime)
    kids_cpu = kids.ru_utime + kids.ru_stime
    workers = "in this process (serial)" if serial else f"in {os.cpu_count()} forked workers beyond 8 MB of text"
    lines = [
        f"`writer.build` + `write_index`, parsing {workers}; {load()} at the end.",
        f"{report.documents:,} documents, {report.passages:,} passages: build {built:.1f} s, with the write {total:.1f} s"
        f" ({report.passages / total:,.0f} passages/s).",
        f"CPU: main process {main_cpu:.1f} s, workers {kids_cpu:.1f} s (summed; {kids_cpu / total:.2f} cores busy on average).",
        "",
        "| stage (measured where it runs) | wall s | share of the wall | CPU s | share of the main CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    main_stages = ("stemming", "appending", "compiling", "writing")
    for name, (sec, cpu) in spent.items():
        if not serial and not name.startswith(main_stages):
            continue  # parse-side stages ran in the workers: their wrappers' figures stayed there
        lines.append(f"| {name} | {sec:.2f} | {sec / total:.0%} | {cpu:.2f} | {cpu / main_cpu:.0%} |")
    if not serial:
        work = sum(v[0] for k, v in spent.items() if k.startswith(main_stages))
        lines.append(
            f"| main process waiting for the workers (the rest) | {total - work:.2f} | {(total - work) / total:.0%} | | |"
        )
    lines += [
        "",
        "RSS peaks by phase (sampled every 10 ms; workers: largest one, and all summed):",
        "",
        "| phase | main process | largest worker | workers summed |",
        "|---|---:|---:|---:|",
    ]
    for phase in sampler.order:
        p = sampler.peaks[phase]
        lines.append(f"| {phase} | {mb(p[0])} | {mb(p[1]) if p[1] else '-'} | {mb(p[2]) if p[2] else '-'} |")
    lines += [
        "",
        f"Peak RSS by getrusage: main {own.ru_maxrss / 1024:,.0f} MB, largest worker {kids.ru_maxrss / 1024:,.0f} MB.",
        f"The compiled sections handed to write_index: {mb(sum(held.values()))} (the largest: "
        + ", ".join(f"{k} {mb(v)}" for k, v in sorted(held.items(), key=lambda kv: -kv[1])[:5])
        + ").",
    ]
    if held_streaming:
        lines += [
            "",
            "What the main process holds when the last document is in (before `finish`), by Python object sizes:",
            "",
            "| held | MB |",
            "|---|---:|",
        ]
        lines += [f"| {k} | {v / 1024 / 1024:,.1f} |" for k, v in sorted(held_streaming.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)


def _deep_dict(d: dict) -> int:
    """A dict of strings to strings, ints or tuples of ints: the dict, its keys and values."""
    size = sys.getsizeof(d)
    for k, v in d.items():
        size += sys.getsizeof(k) + (sys.getsizeof(v) if not isinstance(v, int) or v > 256 else 0)
    return size


def _held(comp) -> dict[str, int]:
    """The build's own data when streaming ends: the compiler's arrays and tables (the term
    numberers' memos live in each FileParser, in the workers when parsing is parallel)."""
    out = {
        "compiler: passage text": _nbytes(comp.text),
        "compiler: postings chunks (term, passage, tf int32)": sum(sum(a.nbytes for a in c) for c in comp.chunks),
        "compiler: tokens not yet counted": _nbytes(comp.tokens),
        "compiler: passage and sentence arrays": sum(
            _nbytes(a)
            for a in (comp.text_off, comp.p_doc, comp.p_num, comp.p_speaker, comp.p_prompt, comp.p_sent)
            + (comp.s_start, comp.s_end, comp.s_attr, comp.p_len, comp.doc_off, comp.doc_first)
        ),
        "compiler: document records (JSON)": _nbytes(comp.doc_blob),
        "compiler: vocabulary, forms, term ids (dicts)": _deep_dict(comp.vocab)
        + _deep_dict(comp.forms)
        + _deep_dict(comp.form_ids)
        + sum(_nbytes(a) for a in comp.term_ids.values()),
    }
    return out


def _nbytes(data) -> int:
    if hasattr(data, "nbytes"):
        return int(data.nbytes)
    if hasattr(data, "itemsize"):
        return len(data) * data.itemsize
    return len(data)


# -- sections ------------------------------------------------------------------------------

GROUPS = {
    "passage text": ("text", "text_off", "text_block", "text_start"),
    "postings: passage ids": ("post_pid",),
    "postings: impacts (float64, format 3)": ("post_w",),
    "postings: tf, passage lengths (format 4 on)": ("post_tf", "p_len"),
    "postings: offsets, idf": ("post_off", "idf"),
    "sentences (start, end, speaker)": ("s_start", "s_end", "s_attr", "p_sent"),
    "passage records": ("p_doc", "p_num", "p_speaker", "p_prompt"),
    "documents": ("doc_blob", "doc_off", "doc_first"),
    "vocabulary (terms, forms, hashes, histograms)": (
        "term_blob",
        "term_off",
        "form_blob",
        "form_off",
        "form_term",
        "form_hist",
        "term_hash",
        "form_hash",
    ),
}


TANTIVY_FILES = {
    "store": "stored text (compressed blocks)",
    "idx": "postings: doc ids + term frequencies",
    "pos": "positions",
    "term": "term dictionary (FST)",
    "fieldnorm": "field lengths (one byte a document)",
    "fast": "fast fields",
}


def tantivy_files(folder: Path) -> str:
    """A tantivy index folder's bytes by kind of file (summed over its segments)."""
    by: dict[str, int] = {}
    for f in folder.iterdir():
        if f.is_file():
            by[f.suffix.lstrip(".") or f.name] = by.get(f.suffix.lstrip(".") or f.name, 0) + f.stat().st_size
    total = sum(by.values())
    segments = len({f.stem for f in folder.glob("*.idx")})
    lines = [
        f"tantivy `{folder}`: {mb(total)} in {segments} segment(s)",
        "",
        "| files | what | bytes | share |",
        "|---|---|---:|---:|",
    ]
    for ext, b in sorted(by.items(), key=lambda kv: -kv[1]):
        lines.append(f"| .{ext} | {TANTIVY_FILES.get(ext, '')} | {b:,} | {b / total:.1%} |")
    return "\n".join(lines)


def sections(index_path: Path) -> str:
    if index_path.is_dir():
        return tantivy_files(index_path)
    import numpy as np

    from sofa_cli.index.format import IndexFile

    f = IndexFile(index_path, verify=False)
    table = f.header["sections"]
    size = index_path.stat().st_size
    head = f._base
    sizes = {name: len(f.raw(name)) for name in table}
    lines = [
        f"`{index_path.name}`: {mb(size)} ({size:,} bytes); header (JSON: files, names, acronyms, synonyms) {mb(head)}.",
        "",
        "| section | type | items | bytes | share |",
        "|---|---|---:|---:|---:|",
    ]
    for name, (_off, code, count, _crc) in sorted(table.items(), key=lambda kv: -sizes[kv[0]]):
        lines.append(f"| {name} | {code} | {count:,} | {sizes[name]:,} | {sizes[name] / size:.1%} |")
    lines += ["", "| group | bytes | share |", "|---|---:|---:|"]
    for group, names in GROUPS.items():
        b = sum(sizes.get(n, 0) for n in names)
        lines.append(f"| {group} | {mb(b)} | {b / size:.1%} |")
    lines.append(f"| header | {mb(head)} | {head / size:.1%} |")

    # What smaller encodings would take, computed on copies of this index's arrays.
    arr = {
        n: np.frombuffer(f.raw(n), dtype={"i": np.int32, "q": np.int64, "d": np.float64, "B": np.uint8}[table[n][1]])
        for n in table
    }
    post_off, post_pid, post_w = arr["post_off"], arr["post_pid"], arr["post_w"]
    n_post = len(post_pid)
    # Delta of passage ids within each term's list (the first id of a list as is).
    deltas = np.diff(post_pid.astype(np.int64), prepend=0)
    starts = post_off[:-1][np.diff(post_off) > 0]
    deltas[starts] = post_pid[starts]
    varint = int(np.sum(1 + (deltas >= 1 << 7) + (deltas >= 1 << 14) + (deltas >= 1 << 21) + (deltas >= 1 << 28)))
    packed = _block_bits(deltas, post_off, 128)
    q8 = _quantised_bytes(post_w, 8)
    est = [
        ("post_pid as int32 (now)", post_pid.nbytes),
        ("post_pid, delta + LEB128 varint", varint),
        ("post_pid, delta + bit-packed blocks of 128 (Lucene/tantivy style)", packed),
        ("post_w as float64 (now)", post_w.nbytes),
        ("post_w as float32", n_post * 4),
        ("post_w quantised to uint8 (one global scale)", q8),
        ("post_w as term frequency uint8 + per-passage length byte (impacts at query time)", n_post + len(arr["p_doc"])),
    ]
    text = bytes(f.raw("text"))
    for level in (1, 6):
        est.append(
            (f"text, zlib level {level} in 16 KB blocks (tantivy's doc store: 16 KB blocks)", _block_zlib(text, 16384, level))
        )
    est.append(("text as is (now)", len(text)))
    s_start, p_sent, text_off = arr["s_start"], arr["p_sent"], arr["text_off"]
    lengths = np.diff(text_off)
    lines += [
        "",
        "Smaller encodings, computed on copies of these arrays (bytes; the index's own encoding first):",
        "",
        "| encoding | bytes | vs now |",
        "|---|---:|---:|",
    ]
    now = {"post_pid": post_pid.nbytes, "post_w": post_w.nbytes, "text": len(text)}
    for name, b in est:
        base = now[name.split(" ")[0].rstrip(",")]
        lines.append(f"| {name} | {b:,} | {b / base:.2f}x |")
    u16 = int(lengths.max()) < 1 << 16 if len(lengths) else True
    lines += [
        "",
        f"Sentences: {len(s_start):,} spans in {len(p_sent) - 1:,} passages; longest passage {int(lengths.max()):,} bytes,"
        f" so spans {'fit' if u16 else 'do not fit'} uint16 offsets within a passage: start+end 8 -> 4 bytes a sentence"
        f" ({mb(8 * len(s_start))} -> {mb(4 * len(s_start))}).",
    ]
    f.close()
    return "\n".join(lines) + "\n\n" + sentence_terms_store(index_path)


def sentence_terms_store(index_path: Path, sample: int = 5000) -> str:
    """What storing each sentence's term ids (what the rerank re-tokenises today) would take:
    `_sentence_terms` of an even sample of passages, scaled to the index."""
    import numpy as np

    from sofa_cli.index.reader import Index
    from sofa_cli.query.sentences import _sentence_terms

    with Index(index_path, verify=False) as index:
        n = index.n_passages
        step = max(1, n // sample)
        pids = range(0, n, step)
        df = np.diff(np.frombuffer(index.file.raw("post_off"), dtype="<i8"))
        by_df = np.empty(len(df), dtype=np.int64)  # term id -> its rank by document frequency
        by_df[np.argsort(-df, kind="stable")] = np.arange(len(df))
        ids, sentences = [], 0
        started = time.process_time()
        for pid in pids:
            for terms in _sentence_terms(index, index.passage(pid)):
                ids += terms
                sentences += 1
        cpu = time.process_time() - started
        n_sentences = len(index.s_start)
    ids = np.array(ids, dtype=np.int64)
    scale = n / len(pids)
    per_token = len(ids) / len(pids)

    def varint(x) -> float:
        return float(np.sum(1 + (x >= 1 << 7) + (x >= 1 << 14) + (x >= 1 << 21))) * scale

    tokens = len(ids) * scale
    ranked = varint(by_df[ids])
    return "\n".join(
        [
            f"Per-sentence term ids (what `_sentence_terms` re-tokenises per question), measured on {len(pids):,} passages"
            f" (every {step}th), scaled to {n:,}: {per_token:.1f} content tokens a passage, about {tokens:,.0f} in all;"
            f" loading a passage and tokenising its sentences took {cpu / len(pids) * 1000:.3f} CPU ms"
            f" ({cpu / len(pids) * 100 * 1000:.1f} ms for a question's 100 candidates, on this loaded machine).",
            "",
            "| encoding | bytes at this size |",
            "|---|---:|",
            f"| int32 term ids + an int32 end offset a sentence | {tokens * 4 + n_sentences * 4:,.0f} |",
            f"| LEB128 varint of today's term ids (byte-sorted) + offsets | {varint(ids) + n_sentences * 4:,.0f} |",
            f"| LEB128 varint of term ids renumbered by document frequency + offsets | {ranked + n_sentences * 4:,.0f} |",
            f"| the same, with a uint16 token count a sentence instead of int32 offsets | {ranked + n_sentences * 2:,.0f} |",
        ]
    )


def _block_bits(deltas, post_off, block: int) -> int:
    """Bytes of delta-coded ids bit-packed in blocks of `block` within each list, each block at
    the bit width of its largest delta, one byte of width per block (Lucene's PForDelta-less FOR)."""
    import numpy as np

    bits = np.zeros(len(deltas), dtype=np.int64)
    nz = deltas > 0
    bits[nz] = np.floor(np.log2(deltas[nz])).astype(np.int64) + 1
    total = 0
    lens = np.diff(post_off)
    # Block number of each posting within its list, made global.
    within = np.arange(len(deltas)) - np.repeat(post_off[:-1], lens)
    list_no = np.repeat(np.arange(len(lens)), lens)
    blocks_before = np.concatenate([[0], np.cumsum((lens + block - 1) // block)])[:-1]
    block_id = blocks_before[list_no] + within // block
    n_blocks = int(block_id.max()) + 1 if len(block_id) else 0
    width = np.zeros(n_blocks, dtype=np.int64)
    np.maximum.at(width, block_id, bits)
    count = np.bincount(block_id, minlength=n_blocks)
    total = int(np.sum((width * count + 7) // 8) + n_blocks)
    return total


def _quantised_bytes(weights, bits: int) -> int:
    return len(weights) * bits // 8


def _block_zlib(data: bytes, block: int, level: int) -> int:
    return sum(len(zlib.compress(data[i : i + block], level)) for i in range(0, len(data), block))


def impacts(corpus: Path, index_dir: Path, questions_file: Path) -> str:
    """Whether smaller impacts change BM25's candidates: for each question (sofa's own analysis),
    the top 100 (the rerank depth) and top 10 by float64 impacts against float32 and 8-bit ones."""
    import numpy as np

    import sofa_cli
    from sofa_cli.query.question import analyse_question

    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    with sofa_cli.open(corpus, index_dir=index_dir) as opened:
        index = opened.index
        post_off = np.frombuffer(index.file.raw("post_off"), dtype="<i8")
        post_pid = np.frombuffer(index.file.raw("post_pid"), dtype="<i4")
        exact = np.frombuffer(index.file.raw("post_w"), dtype="<f8")
        top_w = exact.max()
        # Per-term scale: each term's largest impact maps to 255.
        term_of = np.repeat(np.arange(len(post_off) - 1), np.diff(post_off))
        term_max = np.zeros(len(post_off) - 1)
        np.maximum.at(term_max, term_of, exact)
        variants = {
            "float32": exact.astype(np.float32).astype(np.float64),
            "uint16, one global scale": np.round(exact / top_w * 65535) * top_w / 65535,
            "uint8, one global scale": np.round(exact / top_w * 255) * top_w / 255,
            "uint8, per-term scale": np.round(exact / term_max[term_of] * 255) * term_max[term_of] / 255,
        }
        del term_of
        same = {name: [0, 0, 0.0] for name in variants}  # top-100 set equal, top-10 list equal, top-10 overlap
        asked = 0
        for q in questions:
            terms = analyse_question(index, q).terms
            if not terms:
                continue
            asked += 1
            pids = np.concatenate([post_pid[post_off[t] : post_off[t + 1]] for t in terms])
            spans = [(post_off[t], post_off[t + 1]) for t in terms]

            def ranking(weights, pids=pids, spans=spans):
                w = np.concatenate([weights[a:b] for a, b in spans])
                dense = np.bincount(pids, weights=w, minlength=index.n_passages)
                order = np.lexsort((np.arange(len(dense)), -dense))[:100]
                return [int(x) for x in order if dense[x] > 0]

            reference = ranking(exact)
            for name, weights in variants.items():
                got = ranking(weights)
                same[name][0] += set(got) == set(reference)
                same[name][1] += got[:10] == reference[:10]
                same[name][2] += len(set(got[:10]) & set(reference[:10])) / max(1, len(reference[:10]))
    lines = [
        f"BM25 candidates with smaller impacts, {asked} XQuAD questions at {index.n_passages:,} passages ({load()}):",
        "",
        "| impacts | same top-100 set (the reranked candidates) | same top-10 in order | mean top-10 overlap |",
        "|---|---:|---:|---:|",
    ]
    for name, (hundred, ten, overlap) in same.items():
        lines.append(f"| {name} | {hundred}/{asked} | {ten}/{asked} | {overlap / asked:.1%} |")
    return "\n".join(lines)


# -- query ---------------------------------------------------------------------------------


def query_profile(corpus: Path, index_dir: Path, questions_file: Path) -> str:
    import sofa_cli

    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    with sofa_cli.open(corpus, index_dir=index_dir) as opened:
        for q in questions[:5]:  # warm-up: numpy, name tables, the page cache
            opened.ask(q, k=10)
        started, cpu = time.perf_counter(), time.process_time()
        for q in questions:
            opened.ask(q, k=10)
        plain, plain_cpu = time.perf_counter() - started, time.process_time() - cpu
        profile = cProfile.Profile(time.process_time)  # CPU seconds: the machine is shared
        started = time.process_time()
        profile.enable()
        for q in questions:
            opened.ask(q, k=10)
        profile.disable()
        total = time.process_time() - started
        passages = opened.passages
    stats = pstats.Stats(profile)
    stages = _query_stages(stats)
    n = len(questions)
    lines = [
        f"`Corpus.ask(q, k=10)` over {n} XQuAD questions at {passages:,} passages, after 5 warm-up questions"
        f" ({load()} at the end): {plain / n * 1000:.1f} ms wall, {plain_cpu / n * 1000:.1f} ms CPU a question"
        f" without the profiler; {total / n * 1000:.1f} ms CPU under cProfile (its clock: CPU time).",
        "",
        "| stage | CPU ms a question (profiled) | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {sec / n * 1000:.2f} | {sec / total:.0%} |" for name, sec in stages]
    lines += ["", "Top 20 by cumulative time:", ""] + top_table(stats, "cumulative", 20, total)
    lines += ["", "Top 20 by self time:", ""] + top_table(stats, "tottime", 20, total)
    return "\n".join(lines)


def tails(corpus: Path, index_dir: Path, questions_file: Path) -> str:
    """The BM25-only tail: question analysis and `Index.bm25(top=100)` timed apart, over the
    questions twice in one fresh process (numpy is imported lazily, by the first question that
    needs it), with the slowest analyses and their typo corrections."""
    import statistics

    import sofa_cli
    from sofa_cli.query.question import analyse_question

    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    lines = [f"Question analysis and `Index.bm25(top=100)` apart, {len(questions)} questions twice in one fresh process:", ""]
    with sofa_cli.open(corpus, index_dir=index_dir) as opened:
        index = opened.index
        for round_ in (1, 2):
            rows, numpy_at = [], None
            for i, q in enumerate(questions):
                had = "numpy" in sys.modules
                started = time.process_time()
                query = analyse_question(index, q)
                analysed = time.process_time()
                index.bm25(query.terms, top=100)
                done = time.process_time()
                if not had and "numpy" in sys.modules:
                    numpy_at = i
                rows.append((done - started, analysed - started, done - analysed, query.corrections))
            at99 = min(len(rows) - 1, int(0.99 * len(rows)))

            def p(values, at99=at99):
                values = sorted(values)
                return f"{statistics.median(values) * 1000:.2f}/{values[at99] * 1000:.1f}"

            slow = sorted(rows, key=lambda r: -r[1])[:3]
            lines.append(
                f"- round {round_}: numpy imported at question {numpy_at}; CPU ms p50/p99: total {p(r[0] for r in rows)},"
                f" analysis {p(r[1] for r in rows)}, bm25 {p(r[2] for r in rows)}; slowest analyses: "
                + ", ".join(f"{r[1] * 1000:.1f} ms {list(r[3]) or ''}" for r in slow)
            )
    lines.append(f"- {load()} at the end")
    return "\n".join(lines)


def merge_sim(index_path: Path, runs: int, block_terms: int) -> str:
    """The merge of plan 5.2, measured on this index's own postings: they are cut into `runs`
    runs by passage range (as a streaming build would write them: each run's postings sorted
    by term, then passage), each run written to its own files, and a fresh process merges them
    term block by term block with explicit reads. Its peak RSS, CPU and output are reported, and
    the output must equal the index's postings byte for byte. The payload is the float64 impact,
    where a run would hold tf (1 byte): the merge moves more bytes here than it would there."""
    import subprocess

    import numpy as np

    from sofa_cli.index.format import IndexFile

    f = IndexFile(index_path, verify=False)
    post_off = np.frombuffer(f.raw("post_off"), dtype="<i8")
    post_pid = np.frombuffer(f.raw("post_pid"), dtype="<i4")
    post_w = np.frombuffer(f.raw("post_w"), dtype="<f8")
    n_passages, n_terms = int(post_pid.max()) + 1, len(post_off) - 1
    term_of = np.repeat(np.arange(n_terms, dtype=np.int32), np.diff(post_off))
    bounds = np.linspace(0, n_passages, runs + 1).astype(np.int64)
    with tempfile.TemporaryDirectory(prefix="sofa-merge-") as tmp:
        folder = Path(tmp)
        for r in range(runs):
            keep = (post_pid >= bounds[r]) & (post_pid < bounds[r + 1])
            terms = term_of[keep]
            vocab, counts = np.unique(terms, return_counts=True)  # the run's local vocabulary (sorted)
            offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            vocab.astype("<i4").tofile(folder / f"run{r}.vocab")
            offsets.tofile(folder / f"run{r}.off")
            post_pid[keep].tofile(folder / f"run{r}.pid")
            post_w[keep].tofile(folder / f"run{r}.w")
        del term_of
        cmd = [sys.executable, __file__, "merge-sim-merge", str(folder), str(runs), str(n_terms), str(block_terms)]
        result = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        merged_pid = np.fromfile(folder / "merged.pid", dtype="<i4")
        merged_w = np.fromfile(folder / "merged.w", dtype="<f8")
        same = np.array_equal(merged_pid, post_pid) and np.array_equal(merged_w, post_w)
    f.close()
    return "\n".join(
        [
            f"Merging {len(post_pid):,} postings of {n_terms:,} terms from {runs} runs (passage ranges), {block_terms:,}"
            f" terms a block, in a fresh process ({load()} at the end):",
            f"- output equals the index's post_pid and post_w byte for byte: {same};",
            f"- {result['cpu_s']:.2f} CPU s, {result['wall_s']:.2f} s wall; peak RSS {result['peak_mb']:.0f} MB"
            f" (interpreter and numpy alone: {result['base_mb']:.0f} MB); largest block {result['largest_block']:,} postings.",
        ]
    )


def _hwm_mb() -> float:
    """This process's peak RSS since its exec (VmHWM). getrusage's ru_maxrss would not do in a
    child: Linux carries the parent's peak across fork and exec into it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def merge_sim_merge(folder: Path, runs: int, n_terms: int, block_terms: int) -> None:
    """merge_sim's merging process: reads only each run's vocabulary and offsets whole, and the
    postings of one block of terms at a time (np.fromfile at an offset); writes the merged lists."""
    import numpy as np

    base = _hwm_mb()
    started, cpu = time.perf_counter(), time.process_time()
    vocab = [np.fromfile(folder / f"run{r}.vocab", dtype="<i4") for r in range(runs)]
    offsets = [np.fromfile(folder / f"run{r}.off", dtype="<i8") for r in range(runs)]
    files = [(open(folder / f"run{r}.pid", "rb"), open(folder / f"run{r}.w", "rb")) for r in range(runs)]
    largest = 0
    with open(folder / "merged.pid", "wb") as out_pid, open(folder / "merged.w", "wb") as out_w:
        for first in range(0, n_terms, block_terms):
            last = min(first + block_terms, n_terms)
            pids, weights, terms = [], [], []
            for r in range(runs):
                # The run's local terms in [first, last) are a contiguous range of its vocabulary.
                a, b = np.searchsorted(vocab[r], [first, last])
                start, end = int(offsets[r][a]), int(offsets[r][b])
                pid_file, w_file = files[r]
                pid_file.seek(start * 4)
                w_file.seek(start * 8)
                pids.append(np.fromfile(pid_file, dtype="<i4", count=end - start))
                weights.append(np.fromfile(w_file, dtype="<f8", count=end - start))
                terms.append(np.repeat(vocab[r][a:b], np.diff(offsets[r][a : b + 1])))
            term = np.concatenate(terms)
            order = np.argsort(term, kind="stable")  # runs in passage order: each list stays ascending
            np.concatenate(pids)[order].tofile(out_pid)
            np.concatenate(weights)[order].tofile(out_w)
            largest = max(largest, len(term))
    for pid_file, w_file in files:
        pid_file.close()
        w_file.close()
    print(
        json.dumps(
            {
                "cpu_s": time.process_time() - cpu,
                "wall_s": time.perf_counter() - started,
                "peak_mb": _hwm_mb(),
                "base_mb": base,
                "largest_block": largest,
            }
        )
    )


def _query_stages(stats: pstats.Stats, stored: bool = False) -> list[tuple[str, float]]:
    """Cumulative CPU seconds of the query path's stages; `stored`: with stored-rerank's look-ups."""
    c = lambda suffix, name: cumulative(stats, suffix, name)  # noqa: E731
    if stored:
        sentences = ("sentence terms looked up (stored-rerank)", c("profile_index.py", "stored_sentence_terms"))
        titles = ("title terms looked up (stored-rerank)", c("profile_index.py", "stored_title_terms"))
    else:
        sentences = ("sentence terms (`_sentence_terms`: stored, else tokenised)", c("query/sentences.py", "_sentence_terms"))
        titles = ("title terms (`_title_terms`: stored, else tokenised)", c("query/evidence.py", "_title_terms"))
    return [
        ("question analysis (`analyse_question`)", c("query/question.py", "analyse_question")),
        ("BM25 top 100 (`Index.bm25`)", c("index/reader.py", "bm25")),
        ("loading candidates (`Index.passage`)", c("index/reader.py", "passage")),
        sentences,
        ("best sentence (`_best_sentence`, without the tokenising)", c("query/sentences.py", "_best_sentence")),
        ("  of which answer types (`has_answer_type`)", c("query/answer_types.py", "has_answer_type")),
        titles,
        ("title excess (`_title_excess`)", c("query/evidence.py", "_title_excess")),
        ("document shares (`_document_shares`)", c("query/evidence.py", "_document_shares")),
        ("phrase share (`_phrase_share`)", c("query/evidence.py", "_phrase_share")),
        ("results with highlights (`_result`: tokenize of 10 texts)", c("query/rank.py", "_result")),
    ]


def stored_rerank(corpus: Path, index_dir: Path, questions_file: Path) -> str:
    """Full-ranking CPU per question reading each candidate's stored sentence and title term
    ids (the index as built) against tokenising them again (`Index(stored_terms=False)`, how
    reranking worked before they were stored), alternating, with the answers compared."""
    import sofa_cli
    from sofa_cli.index.reader import Index
    from sofa_cli.query.rank import ask

    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    with sofa_cli.open(corpus, index_dir=index_dir) as opened:
        path = opened.index.path
    indexes = {"today": Index(path, stored_terms=False), "stored": Index(path)}
    index = indexes["stored"]

    def ask_all(mode: str) -> tuple[list, list[float]]:
        answers, cpu = [], []
        for q in questions:
            started = time.process_time()
            answer = ask(indexes[mode], q, limit=10)
            cpu.append(time.process_time() - started)
            answers.append([(r.citation, r.score, r.answer) for r in answer])
        return answers, cpu

    for q in questions[:5]:
        ask(index, q, limit=10)
    runs = {"today": [], "stored": []}
    answers = {}
    for mode in ("today", "stored", "today", "stored"):
        got, cpu = ask_all(mode)
        runs[mode] += cpu
        answers.setdefault(mode, got)
    # Where the rest of a question goes once nothing is re-tokenised.
    profile = cProfile.Profile(time.process_time)
    started = time.process_time()
    profile.enable()
    for q in questions:
        ask(index, q, limit=10)
    profile.disable()
    profiled = time.process_time() - started
    stages = _query_stages(pstats.Stats(profile), stored=True)
    same = sum(a == b for a, b in zip(answers["today"], answers["stored"]))
    lines = [
        f"`rank.ask` reading the index's stored sentence and title terms ('stored') against tokenising them"
        f" ('today': `Index(stored_terms=False)`), {len(questions)} questions x 2 alternating runs each way,"
        f" {index.n_passages:,} passages ({load()} at the end).",
        f"Identical answers (citations, scores, answer sentences, top 10): {same}/{len(questions)}.",
        "",
        "| rerank reads | CPU p50 ms | CPU p90 ms | CPU p99 ms | CPU mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, cpu in runs.items():
        cpu = sorted(cpu)
        at = lambda f, cpu=cpu: cpu[min(len(cpu) - 1, int(f * len(cpu)))] * 1000  # noqa: E731
        lines.append(f"| {mode} | {at(0.5):.1f} | {at(0.9):.1f} | {at(0.99):.1f} | {sum(cpu) / len(cpu) * 1000:.1f} |")
    n = len(questions)
    lines += [
        "",
        f"With the look-ups, under cProfile (CPU clock; {profiled / n * 1000:.1f} ms a question profiled), where the rest goes:",
        "",
        "| stage | CPU ms a question (profiled) | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {sec / n * 1000:.2f} | {sec / profiled:.0%} |" for name, sec in stages]
    return "\n".join(lines)


def impacts_from_tf(corpus: Path, questions_file: Path) -> str:
    """Plan 5.4's first step, checked: if the index stored each posting's tf and each passage's
    length instead of float64 impacts, would BM25 computed at query time give the same floats, and
    at what cost a question? The build runs in this process with `bm25.impacts` wrapped to keep
    its inputs (tf, passage lengths, idf), the postings are kept from the sections, and each
    question's impacts are recomputed from them with the same function."""
    import numpy as np

    from sofa_cli.index import bm25, compiler, writer
    from sofa_cli.query.question import analyse_question

    seen: dict[str, list] = {"tf": [], "doc_len": []}
    exact = bm25.impacts

    def keeping(variant, idf, tf, doc_len, avgdl):
        seen["tf"].append(np.array(tf, dtype=np.int32))
        seen["doc_len"].append(np.array(doc_len, dtype=np.float64))
        return exact(variant, idf, tf, doc_len, avgdl)

    compiler.bm25.impacts = keeping
    header, sections, report = writer.build(corpus.resolve(), parallel_bytes=SERIAL)
    compiler.bm25.impacts = exact
    tf = np.concatenate(seen["tf"])
    post_off, post_pid = np.asarray(sections["post_off"]), np.asarray(sections["post_pid"])
    post_w, idf = np.asarray(sections["post_w"]), np.asarray(sections["idf"])
    n = report.passages
    doc_len = np.zeros(n)
    doc_len[post_pid] = np.concatenate(seen["doc_len"])  # each passage's length, from its postings
    variant, avgdl = header["variant"], header["avgdl"]
    with tempfile.TemporaryDirectory(prefix="sofa-profile-") as tmp:
        from sofa_cli.index.format import write_index
        from sofa_cli.index.reader import Index

        write_index(Path(tmp) / "index.sofa", header, sections)
        with Index(Path(tmp) / "index.sofa") as index:
            questions = json.loads(questions_file.read_text(encoding="utf-8"))
            cpu, postings, equal = [], [], 0
            tf8, len16 = tf.astype(np.uint8), doc_len.astype(np.uint16)  # as they would be stored
            for q in questions:
                terms = analyse_question(index, q).terms
                if not terms:
                    continue
                started = time.process_time()
                spans = [(post_off[t], post_off[t + 1]) for t in terms]
                pids = np.concatenate([post_pid[a:b] for a, b in spans])
                term_idf = np.concatenate([np.full(b - a, idf[t]) for t, (a, b) in zip(terms, spans)])
                freq = np.concatenate([tf8[a:b] for a, b in spans])
                w = exact(variant, term_idf, freq, len16[pids], avgdl)
                cpu.append(time.process_time() - started)
                postings.append(len(pids))
                equal += bool(np.array_equal(w, np.concatenate([post_w[a:b] for a, b in spans])))
    cpu.sort()
    asked = len(cpu)
    return "\n".join(
        [
            f"Impacts from tf + passage length at query time, {n:,} passages, {len(tf):,} postings ({load()} at the end):",
            f"- largest tf {int(tf.max())} ({np.mean(tf > 255):.4%} of postings above 255); longest passage {int(doc_len.max())}"
            f" terms, so tf fits uint8 and lengths uint16 here: {len(tf) + 2 * n:,} bytes against"
            f" {post_w.nbytes:,} for float64 impacts;",
            f"- recomputed from uint8 tf and uint16 lengths with `bm25.impacts`, each question's impacts equal the"
            f" stored float64 ones bit for bit: {equal}/{asked} questions;",
            f"- cost a question (gathering idf, tf and lengths, then the formula): CPU p50 {cpu[asked // 2] * 1000:.2f} ms,"
            f" p99 {cpu[min(asked - 1, int(0.99 * asked))] * 1000:.2f} ms, for a median of"
            f" {int(np.median(postings)):,} and at most {max(postings):,} postings.",
        ]
    )


def array_i():
    import array

    return array.array("i")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("build-profile")
    p.add_argument("corpus", type=Path)
    p = sub.add_parser("build-split")
    p.add_argument("corpus", type=Path)
    p.add_argument("--serial", action="store_true")
    p = sub.add_parser("sections")
    p.add_argument("index", type=Path)
    for name in ("impacts", "stored-rerank", "tails", "query"):  # over a built index, with questions
        p = sub.add_parser(name)
        p.add_argument("corpus", type=Path)
        p.add_argument("index_dir", type=Path)
        p.add_argument("questions", type=Path)
    p = sub.add_parser("impacts-from-tf")
    p.add_argument("corpus", type=Path)
    p.add_argument("questions", type=Path)
    p = sub.add_parser("merge-sim")
    p.add_argument("index", type=Path)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--block-terms", type=int, default=1024)
    p = sub.add_parser("merge-sim-merge")  # merge-sim's own subprocess
    p.add_argument("folder", type=Path)
    p.add_argument("runs", type=int)
    p.add_argument("n_terms", type=int)
    p.add_argument("block_terms", type=int)
    args = parser.parse_args()
    out = io.StringIO()
    if args.what == "build-profile":
        out.write(build_profile(args.corpus))
    elif args.what == "build-split":
        out.write(build_split(args.corpus, args.serial))
    elif args.what == "sections":
        out.write(sections(args.index))
    elif args.what == "stored-rerank":
        out.write(stored_rerank(args.corpus, args.index_dir, args.questions))
    elif args.what == "impacts-from-tf":
        out.write(impacts_from_tf(args.corpus, args.questions))
    elif args.what == "tails":
        out.write(tails(args.corpus, args.index_dir, args.questions))
    elif args.what == "merge-sim":
        out.write(merge_sim(args.index, args.runs, args.block_terms))
    elif args.what == "merge-sim-merge":
        merge_sim_merge(args.folder, args.runs, args.n_terms, args.block_terms)
        return
    elif args.what == "impacts":
        out.write(impacts(args.corpus, args.index_dir, args.questions))
    else:
        out.write(query_profile(args.corpus, args.index_dir, args.questions))
    print(out.getvalue())


if __name__ == "__main__":
    main()
