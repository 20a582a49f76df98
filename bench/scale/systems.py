"""One measurement of one system, in a fresh process: `build` or `query`, printed as JSON.

    python bench/scale/systems.py build sofa|tantivy|bm25s|rank-bm25 CORPUS WORKDIR
    python bench/scale/systems.py query sofa|sofa-bm25|tantivy|bm25s|rank-bm25 CORPUS WORKDIR QUERIES

bench/perf.py runs these as subprocesses, so that each figure of peak memory is that of
one build (resource.getrusage: the process's own peak and, for sofa's parse workers,
the largest child's), never of an earlier one. A sofa build also reports its process tree's
peak, sampled (bench/tree_memory.py): the RSS and PSS of the building process and its
workers summed at each moment, which getrusage's per-process peaks cannot give.
`SOFA_BENCH_NO_TREE=1` leaves the sampling out (for CPU comparisons).

Systems, all on the same passages (the paragraphs and turns of the corpus's documents):
- sofa: `sofa_cli.open(rebuild=True)` (read, segment, attribute, analyse, compile BM25+
  impacts, write); queries: `Corpus.ask` (the full ranking a user gets) or `sofa-bm25`:
  question analysis and `Index.bm25(top=10)`, the like-for-like BM25 top-10.
- tantivy: tantivy-py with its `en_stem` tokenizer (lower-case, English Snowball stemmer, no
  stopwords), text stored, default index options (positions kept), the index on disk, the
  writer's default heap (128 MB) and thread count, committed and merged; queried through
  `parse_query_lenient` (a question's quotes or colons are not query syntax), top 10, and
  each hit's stored text fetched (`searcher.doc`), as sofa returns each result's text.
- bm25s: bm25s.tokenize with English stopwords and PyStemmer's English Snowball stemmer
  (bm25s's recommended set-up, and sofa's stemmer), BM25+ (k1 1.5, b 0.75, delta 1),
  saved with `save()`, queried after `BM25.load(mmap=True)`, retrieve(k=10).
- rank-bm25: BM25Plus over the same tokenizer; persisted with pickle, as its users do.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

TOP_K = 10
WARMUP = 5


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(children, 1)


def iter_passages(corpus: Path):
    """The corpus's passages for the baselines: documents' paragraphs (blank-line separated),
    one file read at a time (tantivy streams them into its writer)."""
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield from (p.strip() for p in re.split(r"\n[ \t]*\n", json.loads(line)["text"]) if p.strip())


def cpu_seconds() -> dict:
    """CPU seconds of this process and of its (finished) children, e.g. sofa's parse workers."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": own.ru_utime + own.ru_stime, "cpu_children_s": kids.ru_utime + kids.ru_stime}


def passages_of_corpus(corpus: Path) -> list[str]:
    return list(iter_passages(corpus))


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- sofa ------------------------------------------------------------------------------


def build_sofa(corpus: Path, work: Path, sample_tree: bool = True) -> dict:
    """A sofa build's figures; with `sample_tree`, also the process tree's sampled peaks
    (the building process and its parse workers at once: bench/tree_memory.py), RSS and PSS.
    `cpu_s` leaves out the sampling thread's own CPU seconds (reported apart)."""
    import sofa_cli

    sampler = None
    if sample_tree:
        from tree_memory import TreeSampler

        sampler = TreeSampler().start()
    started = time.perf_counter()
    opened = sofa_cli.open(corpus, index_dir=work, rebuild=True)
    seconds = time.perf_counter() - started
    tree = sampler.stop() if sampler else {}
    own, children = peak_mb()
    cpu = cpu_seconds()
    cpu["cpu_s"] -= tree.get("sampler_cpu_s", 0.0)
    return {
        "passages": opened.passages,
        "seconds": seconds,
        **cpu,
        "peak_mb": own,
        "peak_worker_mb": children,
        "disk": disk_bytes(opened.index.path),
        **tree,
    }


def query_sofa(corpus: Path, work: Path, questions: list[str], mode: str) -> dict:
    import sofa_cli
    from sofa_cli.index.cache import index_path
    from sofa_cli.index.reader import Index

    started = time.perf_counter()
    Index(index_path(corpus.resolve(), str(work)))
    mapped = time.perf_counter() - started
    started = time.perf_counter()
    opened_corpus = sofa_cli.open(corpus, index_dir=work)  # mapped + freshness check of the corpus files
    opened = time.perf_counter() - started
    index = opened_corpus.index
    if mode == "sofa":

        def run(q: str):
            return opened_corpus.ask(q, k=TOP_K)

    else:
        from sofa_cli.query.question import analyse_question

        def run(q: str):
            return index.bm25(analyse_question(index, q).terms, top=TOP_K)

    return {"open_s": mapped, "open_fresh_s": opened, **_latencies(run, questions)}


# -- tantivy ---------------------------------------------------------------------------


def build_tantivy(corpus: Path, work: Path) -> dict:
    started = time.perf_counter()
    import tantivy

    schema = tantivy.SchemaBuilder()
    schema.add_text_field("text", stored=True, tokenizer_name="en_stem")
    folder = work / "tantivy"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh index: tantivy would add to an existing one
    folder.mkdir(parents=True)
    index = tantivy.Index(schema.build(), path=str(folder))
    writer = index.writer()
    passages = 0
    for text in iter_passages(corpus):
        writer.add_document(tantivy.Document(text=text))
        passages += 1
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    own, children = peak_mb()
    return {
        "passages": passages,
        "seconds": seconds,
        **cpu_seconds(),
        "peak_mb": own,
        "peak_worker_mb": children,
        "disk": disk_bytes(folder),
    }


def query_tantivy(corpus: Path, work: Path, questions: list[str]) -> dict:
    import tantivy

    started = time.perf_counter()
    index = tantivy.Index.open(str(work / "tantivy"))
    searcher = index.searcher()
    opened = time.perf_counter() - started

    def run(q: str):
        query, _errors = index.parse_query_lenient(q, ["text"])
        return [searcher.doc(address)["text"][0] for _score, address in searcher.search(query, TOP_K).hits]

    return {"open_s": opened, **_latencies(run, questions)}


# -- bm25s -----------------------------------------------------------------------------


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def build_bm25s(corpus: Path, work: Path) -> dict:
    started = time.perf_counter()
    import bm25s

    texts = passages_of_corpus(corpus)
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
    retriever = bm25s.BM25(method="bm25+", k1=1.5, b=0.75, delta=1.0)
    retriever.index(tokens, show_progress=False)
    retriever.save(str(work / "bm25s"))
    seconds = time.perf_counter() - started
    own, children = peak_mb()
    disk = disk_bytes(work / "bm25s")
    return {"passages": len(texts), "seconds": seconds, **cpu_seconds(), "peak_mb": own, "peak_worker_mb": children, "disk": disk}


def query_bm25s(corpus: Path, work: Path, questions: list[str]) -> dict:
    import bm25s

    stemmer = _stemmer()
    started = time.perf_counter()
    retriever = bm25s.BM25.load(str(work / "bm25s"), mmap=True)
    opened = time.perf_counter() - started

    def run(q: str):
        tokens = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)
        if not tokens[0]:
            return None
        return retriever.retrieve(tokens, k=TOP_K, show_progress=False, n_threads=1)

    return {"open_s": opened, **_latencies(run, questions)}


# -- rank-bm25 -------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _rank_tokenizer():
    import bm25s.stopwords

    stop = set(bm25s.stopwords.STOPWORDS_EN)
    stem = _stemmer().stemWord
    return lambda text: [stem(w) for w in _WORD.findall(text.lower()) if w not in stop]


def build_rank_bm25(corpus: Path, work: Path) -> dict:
    started = time.perf_counter()
    import rank_bm25

    tokenize = _rank_tokenizer()
    model = rank_bm25.BM25Plus([tokenize(t) for t in passages_of_corpus(corpus)])
    with open(work / "rank-bm25.pickle", "wb") as out:
        pickle.dump(model, out, protocol=pickle.HIGHEST_PROTOCOL)
    seconds = time.perf_counter() - started
    own, children = peak_mb()
    return {
        "passages": model.corpus_size,
        "seconds": seconds,
        **cpu_seconds(),
        "peak_mb": own,
        "peak_worker_mb": children,
        "disk": disk_bytes(work / "rank-bm25.pickle"),
    }


def query_rank_bm25(corpus: Path, work: Path, questions: list[str]) -> dict:
    import numpy as np

    tokenize = _rank_tokenizer()
    started = time.perf_counter()
    with open(work / "rank-bm25.pickle", "rb") as f:
        model = pickle.load(f)  # our own file, written by build_rank_bm25 just before
    opened = time.perf_counter() - started

    def run(q: str):
        scores = model.get_scores(tokenize(q))
        return np.argpartition(-scores, TOP_K)[:TOP_K]

    return {"open_s": opened, **_latencies(run, questions)}


# ---------------------------------------------------------------------------------------


def _latencies(run, questions: list[str]) -> dict:
    for q in questions[:WARMUP]:
        run(q)
    times, cpu = [], []
    for q in questions:
        started, started_cpu = time.perf_counter(), time.process_time()
        run(q)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    times.sort()
    cpu.sort()
    at99 = min(len(times) - 1, int(0.99 * len(times)))
    # CPU time (all threads of this process) beside the wall: on a shared machine the wall
    # also counts the time other jobs held the cores.
    return {
        "queries": len(times),
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[at99] * 1000,
        "cpu_p50_ms": statistics.median(cpu) * 1000,
        "cpu_p99_ms": cpu[at99] * 1000,
    }


def main() -> None:
    action, system, corpus, work = sys.argv[1], sys.argv[2], Path(sys.argv[3]).resolve(), Path(sys.argv[4])
    work.mkdir(parents=True, exist_ok=True)
    if action == "build":
        sample = not os.environ.get("SOFA_BENCH_NO_TREE")
        builders = {
            "sofa": lambda c, w: build_sofa(c, w, sample),
            "tantivy": build_tantivy,
            "bm25s": build_bm25s,
            "rank-bm25": build_rank_bm25,
        }
        result = builders[system](corpus, work)
    else:
        questions = json.loads(Path(sys.argv[5]).read_text(encoding="utf-8"))
        if system in ("sofa", "sofa-bm25"):
            result = query_sofa(corpus, work, questions, system)
        elif system == "tantivy":
            result = query_tantivy(corpus, work, questions)
        elif system == "bm25s":
            result = query_bm25s(corpus, work, questions)
        else:
            result = query_rank_bm25(corpus, work, questions)
    result["peak_mb_total"] = peak_mb()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
