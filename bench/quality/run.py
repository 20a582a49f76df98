"""Answer quality: sofa against rank-bm25, with each ranking feature switched off in turn.

    python bench/quality/run.py [--data ../shared/data] [--sets bundled,xquad,time,mixed] [-k 5]

Sets: the bundled corpus with its development questions (bench/qa/bundled.jsonl, skipped
when absent), files as people have them (tests/data/files with bench/qa/files.jsonl),
XQuAD-en, TIME, and XQuAD's questions over XQuAD + TIME + Cranfield ("mixed");
bench/quality/convert.py makes the last three from --data and explains their gold strings.

Configurations, all over the very same passages (sofa's loader and segmenter):
- rank-bm25: BM25Okapi with lower-case `\\w+` tokens, scored by rank_bm25 itself; its answer
  sentence is the one holding most distinct query words (earliest on ties).
- sofa plain: `search.PLAIN`, the BM25 ranking with sentence and attribution evidence off.
- sofa full: the default `search.Weights()`.
- full − X: each ranking constant of `Weights` zeroed (booleans set False) in turn, read from
  the dataclass at run time so a new constant is ablated without editing this script.
- BM25 variants: sofa full over indexes built with `variant=okapi|l` (plus is the default).

Scores come from `sofa_cli.query.evaluate.evaluate`, the code behind `sofa eval`. Writes
bench/results/quality.md (from the latest run of each set) and bench/data/misses-<set>.jsonl (sofa full's rank-1
misses and answer misses, for whoever tunes the ranking).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from convert import DEFAULT_DATA, DEFAULT_OUT, convert  # noqa: E402

from sofa_cli import index as index_module  # noqa: E402
from sofa_cli import question, search  # noqa: E402
from sofa_cli.corpus.discover import discover  # noqa: E402
from sofa_cli.corpus.documents import Skipped, load_file  # noqa: E402
from sofa_cli.corpus.segment import passages_of  # noqa: E402
from sofa_cli.index import open_index  # noqa: E402
from sofa_cli.query.evaluate import QAItem, Scores, evaluate, read_qa  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "quality.md"
BUNDLED_QA = ROOT / "bench" / "qa" / "bundled.jsonl"
MEMO_CHECK = 40  # questions per set answered with and without the bench's memo, compared
FILES_QA = ROOT / "bench" / "qa" / "files.jsonl"
SETS = ("bundled", "files", "xquad", "time", "mixed")
COMMAND = "make bench-quality   # = .venv/bin/python bench/quality/run.py"
TARGETS = {  # issue 3
    "xquad": {"hit@1": 0.96, "hit@5": 0.99, "answer@1": 0.80},
    "bundled": {"hit@1": 0.92, "hit@3": 1.0},
}
DESCRIPTIONS = {
    "bundled": "the bundled corpus (corpus/) with bench/qa/bundled.jsonl",
    "files": "files as people have them (tests/data/files: hard-wrapped text, a saved web page, a plain "
    "transcript) with bench/qa/files.jsonl",
    "xquad": "XQuAD-en: 48 Wikipedia articles, one passage per context",
    "time": "TIME: 423 news articles (1963) in ~100-word paragraphs, 82 judged queries; a hit is any "
    "paragraph of a relevant article (answer@1 means little here)",
    "mixed": "XQuAD questions over XQuAD + TIME + Cranfield (1,400 abstracts) as distractors",
}


# -- the rank-bm25 baseline ----------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    """What `evaluate` reads of a result: passage text, answer sentence, citation."""

    text: str
    answer: str
    citation: str


@dataclass(frozen=True)
class _Answer:
    results: list[_Hit]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class Baseline:
    """rank_bm25.BM25Okapi over sofa's own passages, tokens = lower-case `\\w+`."""

    def __init__(self, root: Path) -> None:
        from rank_bm25 import BM25Okapi

        self.passages = []
        for path in discover(root):
            for doc in load_file(path, root):
                if isinstance(doc, Skipped):
                    continue
                for p in passages_of(doc):
                    self.passages.append((f"{doc.id} ¶{p.number}", p.text, p.sentences))
        self.model = BM25Okapi([words(text) for _, text, _ in self.passages])

    def ask(self, question: str, k: int) -> _Answer:
        query = words(question)
        scores = self.model.get_scores(query)
        order = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))[:k]
        wanted = set(query)
        hits = []
        for i in order:
            citation, text, sentences = self.passages[i]
            spans = sentences or ((0, len(text)),)
            a, b = max(spans, key=lambda ab: (len(wanted & set(words(text[ab[0] : ab[1]]))), -ab[0]))
            hits.append(_Hit(text, text[a:b], citation))
        return _Answer(hits)


# -- speed ---------------------------------------------------------------------------------


_MEMO: dict = {}


@contextmanager
def memoised():
    """Memoise sofa's pure lookups (Index.stem_of/term_id, tokenize, closest_form, _passage_terms).

    On main, `_lookup` builds a class per call and every candidate passage is re-tokenised per
    question, about 1 s per XQuAD question: 12 configurations x 3,600 questions would take
    hours. These functions are pure over an immutable index, so caching them changes no
    result (`check_memo` verifies it on each set); it does change the times, so the tables
    say which timings are stock.
    """
    saved = []
    for owner, name in ((index_module.Index, "stem_of"), (index_module.Index, "term_id")):
        original = getattr(owner, name, None)
        if original is None:
            continue

        def cached(self, key, _original=original, _slot=f"_bench_{name}"):
            cache = self.__dict__.setdefault(_slot, {})
            try:
                return cache[key]
            except KeyError:
                cache[key] = value = _original(self, key)
                return value

        saved.append((owner, name, original))
        setattr(owner, name, cached)
    tokenize = getattr(search, "tokenize", None)
    if tokenize is not None:
        saved.append((search, "tokenize", tokenize))
        search.tokenize = _MEMO.setdefault("tokenize", lru_cache(maxsize=None)(lambda text: tuple(tokenize(text))))
    # Pure in (index, word/text): the typo search scans the whole vocabulary per unknown word.
    for owner, name in ((question, "closest_form"), (search, "_passage_terms")):
        original = getattr(owner, name, None)
        if original is None:
            continue
        memo = _MEMO.setdefault(name, {})  # kept across configurations; the key holds the index itself

        def cached_pure(index, key, _original=original, _memo=memo, **options):
            slot = (index, key, tuple(sorted(options.items())))
            if slot not in _memo:
                value = _original(index, key, **options)
                _memo[slot] = value if isinstance(value, str | None) else tuple(value)
            return _memo[slot]

        saved.append((owner, name, original))
        setattr(owner, name, cached_pure)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def check_memo(index, items: list[QAItem], k: int, n: int = MEMO_CHECK) -> tuple[int, float]:
    """(questions whose answers are identical with and without `memoised`, stock s/question)."""
    sample = items[:n]
    started = time.perf_counter()
    stock = [search.ask(index, item.q, limit=k) for item in sample]
    seconds = (time.perf_counter() - started) / (len(sample) or 1)
    with memoised():
        fast = [search.ask(index, item.q, limit=k) for item in sample]
    return sum(a == b for a, b in zip(stock, fast)), seconds


# -- configurations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    name: str
    weights: search.Weights | None  # None: the rank-bm25 baseline
    variant: str = "plus"


def configurations() -> list[Config]:
    full = search.Weights()
    configs = [Config("rank-bm25 BM25Okapi", None), Config("sofa plain (PLAIN)", search.PLAIN), Config("sofa full", full)]
    for f in dataclasses.fields(search.Weights):
        value = getattr(full, f.name)
        if isinstance(value, bool):
            if value:
                configs.append(Config(f"full − {f.name}", dataclasses.replace(full, **{f.name: False})))
        elif isinstance(value, float) and value != 0.0:
            configs.append(Config(f"full − {f.name}", dataclasses.replace(full, **{f.name: 0.0})))
    configs.append(Config("full, BM25 okapi", full, "okapi"))
    configs.append(Config("full, BM25L", full, "l"))
    return configs


# -- running -------------------------------------------------------------------------------


@dataclass
class Row:
    config: Config
    scores: Scores
    seconds: float
    answers: dict[str, object]
    hit_at_3: float  # issue 3 wants every bundled gold passage in the top 3


def hit_at(items: list[QAItem], answers: dict, depth: int) -> float:
    """hit@depth from the answers already given (same rule as sofa_cli.query.evaluate)."""
    hits = 0
    for item in items:
        results = answers[item.q].results[:depth]
        hits += (not results) if not item.gold else any(g in r.text for r in results for g in item.gold)
    return hits / (len(items) or 1)


def run_set(
    root: Path, items: list[QAItem], index_root: Path, k: int, memo: bool, log: Callable[[str], None]
) -> tuple[list[Row], dict]:
    rows = []
    info: dict = {"questions": len(items)}
    indexes = {}
    for config in configurations():
        if config.weights is None:
            started = time.perf_counter()
            baseline = Baseline(root)
            info["baseline build s"] = time.perf_counter() - started
            info["passages"] = len(baseline.passages)
            ask = baseline.ask
        else:
            if config.variant not in indexes:
                started = time.perf_counter()
                # Rebuilt each run: an index made by older sofa code is "fresh" to open_index.
                opened = open_index(root, str(index_root / config.variant), rebuild=True, variant=config.variant)
                info[f"index {config.variant} s"] = time.perf_counter() - started
                indexes[config.variant] = opened.index
                if config.variant == "plus":
                    search.ask(opened.index, "warm up", limit=k)  # first use loads the stemmer
                    same, stock = check_memo(opened.index, items, k)
                    info["memo check"] = f"{same}/{min(len(items), MEMO_CHECK)}"
                    info["stock ms/question"] = 1000 * stock
                    if same != min(len(items), MEMO_CHECK):
                        raise SystemExit("quality: memoised lookups changed sofa's answers; run with --stock")
            index, weights = indexes[config.variant], config.weights

            def ask(q, k, index=index, weights=weights):
                return search.ask(index, q, limit=k, weights=weights)

        answers: dict[str, object] = {}

        def answer(q, ask=ask, answers=answers):
            answers[q] = result = ask(q, k)
            return result

        with memoised() if memo and config.weights is not None else nullcontext():
            started = time.perf_counter()
            scores = evaluate(items, answer, k)
            seconds = time.perf_counter() - started
        rows.append(Row(config, scores, seconds, answers, hit_at(items, answers, 3)))
        s = scores
        log(f"  {config.name}: hit@1 {s.hit_at_1:.3f} hit@{k} {s.hit_at_k:.3f} answer@1 {s.answer_at_1:.3f} ({seconds:.1f}s)")
    return rows, info


def dump_misses(path: Path, items: list[QAItem], rows: list[Row]) -> int:
    """sofa full's misses, with what the baseline and plain sofa did on the same question."""
    by_name = {r.config.name: r for r in rows}
    full, plain, base = by_name["sofa full"], by_name["sofa plain (PLAIN)"], by_name["rank-bm25 BM25Okapi"]

    def rank_of(row: Row, item: QAItem):
        results = row.answers[item.q].results
        if not item.gold:
            return None if results else 1
        return next((i for i, r in enumerate(results, 1) if any(g in r.text for g in item.gold)), None)

    lines = []
    for item in items:
        results = full.answers[item.q].results
        rank = rank_of(full, item)
        answered = bool(results) and any(g in results[0].answer for g in item.gold)
        if rank == 1 and (answered or not item.gold):
            continue
        top = results[0] if results else None
        lines.append(
            {
                "q": item.q,
                "gold": list(item.gold),
                "miss": "rank" if rank != 1 else "answer",
                "rank": rank,
                "rank_plain": rank_of(plain, item),
                "rank_bm25": rank_of(base, item),
                "got": top.citation if top else None,
                "got_answer": top.answer if top else None,
                "got_text": top.text[:300] if top else None,
            }
        )
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return len(lines)


# -- report --------------------------------------------------------------------------------


def table(rows: list[Row], k: int) -> str:
    out = [
        f"| configuration | hit@1 | hit@3 | hit@{k} | MRR | answer@1 | time (s) | ms/question |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r.scores
        ms = 1000 * r.seconds / (s.questions or 1)
        figures = [s.hit_at_1, r.hit_at_3, s.hit_at_k, s.mrr, s.answer_at_1]
        out.append(f"| {r.config.name} | " + " | ".join(f"{x:.3f}" for x in figures) + f" | {r.seconds:.2f} | {ms:.2f} |")
    return "\n".join(out)


def targets_line(name: str, rows: list[Row], k: int) -> str:
    wanted = TARGETS.get(name)
    if not wanted:
        return ""
    full = next(r for r in rows if r.config.name == "sofa full")
    s = full.scores
    have = {"hit@1": s.hit_at_1, "hit@3": full.hit_at_3, f"hit@{k}": s.hit_at_k, "answer@1": s.answer_at_1}
    parts = [f"{m} {have.get(m, float('nan')):.3f} {'✓' if have.get(m, 0) >= t else '✗'} (≥ {t})" for m, t in wanted.items()]
    return "Issue 3 targets, sofa full: " + "; ".join(parts) + "\n"


def describe_code() -> str:
    """The commit that last changed sofa_cli/, and whether sofa_cli/ has uncommitted edits."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("log", "-1", "--format=%h", "--", "sofa_cli")
        dirty = git("status", "--porcelain", "--", "sofa_cli")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} + uncommitted edits" if dirty else commit


def header() -> str:
    return "\n".join(
        [
            "## Answer quality (issue 3)\n",
            f"Command: `{COMMAND}` (one set: `--sets xquad`; each set's section says which sofa commit it measured)."
            " Corpora and QA files are made by bench/quality/convert.py from ../shared/data; its docstring says how"
            " gold strings are chosen (XQuAD: the answer, widened inside its sentence until unique in the corpus,"
            " so hit = right passage and answer@1 = the sentence holding the answer). Every configuration ranks"
            " the same passages (sofa's segmenter); indexes are rebuilt at each run. Times are the evaluation"
            " loop only (in process, index open), with sofa's pure lookups (Index.stem_of/term_id, tokenize,"
            " closest_form, _passage_terms) memoised by the bench so the whole run fits in minutes (caches"
            " stay warm across configurations, so compare times loosely); the stock per-question time, what"
            " a user sees, is listed under each table. Misses of sofa full: bench/data/misses-<set>.jsonl.\n",
        ]
    )


def section(name: str, rows: list[Row], info: dict, k: int) -> str:
    parts = [f"### {name}: {DESCRIPTIONS[name]}\n"]
    parts.append(f"{info['questions']} questions, {info['passages']} passages, k = {k}; sofa_cli at `{describe_code()}`.\n")
    parts.append(table(rows, k) + "\n")
    builds = ", ".join(f"{v} {info[f'index {v} s']:.1f}s" for v in ("plus", "okapi", "l") if f"index {v} s" in info)
    parts.append(f"Index builds: {builds}; rank-bm25 model: {info['baseline build s']:.1f}s.")
    if "stock ms/question" in info:
        parts.append(
            f"Stock sofa (no bench memo), first {MEMO_CHECK} questions: {info['stock ms/question']:.0f} ms/question;"
            f" answers identical with the memo: {info['memo check']}.\n"
        )
    line = targets_line(name, rows, k)
    if line:
        parts.append(line)
    return "\n".join(parts)


def assemble(sections_dir: Path) -> str:
    """quality.md from the stored section of every set, so one set can be re-run alone."""
    parts = [header()]
    for name in SETS:
        path = sections_dir / f"{name}.md"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8").rstrip() + "\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad/, time/, cranfield/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="corpora, QA files, indexes and misses go here")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated subset of " + ",".join(SETS))
    parser.add_argument("-k", type=int, default=5, help="hit@k depth")
    parser.add_argument("--stock", action="store_true", help="no memoised lookups: stock timings, much slower")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(chosen) - set(SETS)
    if unknown:
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    out = args.out.resolve()
    if set(chosen) - {"bundled", "files"}:
        convert(args.data.resolve(), out, log=log)
    sections_dir = out / "quality-sections"
    for name in SETS:
        if name not in chosen:
            continue
        if name in ("bundled", "files"):
            root, qa = (ROOT / "corpus", BUNDLED_QA) if name == "bundled" else (ROOT / "tests" / "data" / "files", FILES_QA)
            if not qa.exists():
                log(f"quality: {qa.relative_to(ROOT)} missing; {name} set skipped")
                (sections_dir / f"{name}.md").unlink(missing_ok=True)
                continue
        else:
            root, qa = out / name / "corpus", out / name / "qa.jsonl"
        log(f"quality: {name}")
        items = read_qa(qa)
        rows, info = run_set(root, items, out / "index", args.k, not args.stock, log)
        n = dump_misses(out / f"misses-{name}.jsonl", items, rows)
        log(f"  {n} misses of sofa full -> {out / f'misses-{name}.jsonl'}")
        sections_dir.mkdir(parents=True, exist_ok=True)
        (sections_dir / f"{name}.md").write_text(section(name, rows, info, args.k), encoding="utf-8")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(assemble(sections_dir), encoding="utf-8")
    log(f"quality: wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
