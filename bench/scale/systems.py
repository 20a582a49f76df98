"""One measurement of one system, in a fresh process: `build` or `query`, printed as JSON.

    python bench/scale/systems.py build sofa|bm25s|rank-bm25 CORPUS WORKDIR
    python bench/scale/systems.py query sofa|sofa-bm25|bm25s|rank-bm25 CORPUS WORKDIR QUERIES

bench/perf.py runs these as subprocesses, so that each figure of peak memory is that of
one build (resource.getrusage: the process's own peak and, for sofa's parse workers,
the largest child's), never of an earlier one.

Systems, all on the same passages (the paragraphs and turns of the corpus's documents):
- sofa: `open_index` (read, segment, attribute, analyse, compile BM25+ impacts, write);
  queries: `search.ask` (the full ranking a user gets) or `sofa-bm25`: question analysis
  and `Index.bm25(top=10)`, the like-for-like BM25 top-10.
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
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TOP_K = 10
WARMUP = 5


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(children, 1)


def passages_of_corpus(corpus: Path) -> list[str]:
    """The corpus's passages for the baselines: documents' paragraphs (blank-line separated)."""
    texts = []
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts += [p.strip() for p in re.split(r"\n[ \t]*\n", json.loads(line)["text"]) if p.strip()]
    return texts


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- sofa ------------------------------------------------------------------------------


def build_sofa(corpus: Path, work: Path) -> dict:
    from sofa_cli.index.cache import open_index

    started = time.perf_counter()
    opened = open_index(corpus, str(work), rebuild=True)
    seconds = time.perf_counter() - started
    own, children = peak_mb()
    return {
        "passages": opened.index.n_passages,
        "seconds": seconds,
        "peak_mb": own,
        "peak_worker_mb": children,
        "disk": disk_bytes(opened.index.path),
    }


def query_sofa(corpus: Path, work: Path, questions: list[str], mode: str) -> dict:
    from sofa_cli.index.cache import index_path, open_index
    from sofa_cli.index.reader import Index

    started = time.perf_counter()
    Index(index_path(corpus.resolve(), str(work)))
    mapped = time.perf_counter() - started
    started = time.perf_counter()
    index = open_index(corpus, str(work)).index  # mapped + freshness check of the corpus files
    opened = time.perf_counter() - started
    if mode == "sofa":
        from sofa_cli.query.rank import ask

        def run(q: str):
            return ask(index, q, limit=TOP_K)

    else:
        from sofa_cli.query.question import analyse_question

        def run(q: str):
            return index.bm25(analyse_question(index, q).terms, top=TOP_K)

    return {"open_s": mapped, "open_fresh_s": opened, **_latencies(run, questions)}


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
    return {"passages": len(texts), "seconds": seconds, "peak_mb": own, "peak_worker_mb": children, "disk": disk}


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
    times = []
    for q in questions:
        started = time.perf_counter()
        run(q)
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "queries": len(times),
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[min(len(times) - 1, int(0.99 * len(times)))] * 1000,
    }


def main() -> None:
    action, system, corpus, work = sys.argv[1], sys.argv[2], Path(sys.argv[3]).resolve(), Path(sys.argv[4])
    work.mkdir(parents=True, exist_ok=True)
    if action == "build":
        result = {"sofa": build_sofa, "bm25s": build_bm25s, "rank-bm25": build_rank_bm25}[system](corpus, work)
    else:
        questions = json.loads(Path(sys.argv[5]).read_text(encoding="utf-8"))
        if system in ("sofa", "sofa-bm25"):
            result = query_sofa(corpus, work, questions, system)
        elif system == "bm25s":
            result = query_bm25s(corpus, work, questions)
        else:
            result = query_rank_bm25(corpus, work, questions)
    result["peak_mb_total"] = peak_mb()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
