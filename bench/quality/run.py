"""Answer quality: sofa against rank-bm25, with each ranking feature switched off in turn.

    python bench/quality/run.py [--data ../shared/data] [--sets bundled,xquad,time,mixed] [-k 5]
                                [--configs "sofa full,sofa plain (PLAIN)"]

Sets: the bundled corpus with its development questions (bench/qa/bundled.jsonl, skipped
when absent), files as people have them (tests/data/files with bench/qa/files.jsonl),
XQuAD-en, TIME, and XQuAD's questions over XQuAD + TIME + Cranfield ("mixed");
bench/quality/convert.py makes the last three from --data and explains their gold strings.

Configurations, all over the very same passages (sofa's loader and segmenter):
- rank-bm25: BM25Okapi with lower-case `\\w+` tokens, scored by rank_bm25 itself; its answer
  sentence is the one holding most distinct query words (earliest on ties).
- sofa plain: `sofa_cli.query.config.PLAIN`, the BM25 ranking with sentence and attribution evidence off.
- sofa full: the default `Ranking()`.
- full − X: each constant of the ranking changed in turn, read from `Ranking.constants()` at run
  time so a new constant is ablated without editing this script: a weight zeroed, a switch
  turned off, a limit one lower (`rerank_depth` only sets speed and is left alone).
- BM25 variants: sofa full over indexes built with `variant=okapi|l` (plus is the default).

sofa is asked through the library (`sofa_cli.open(...).ask(q, ranking=...)`), as a user's program
would; nothing of sofa is patched or memoised, so the times are what a user sees. `--configs`
runs only the named configurations (a quick check that a refactoring left answers alone: "sofa
full,sofa plain (PLAIN)") and writes their tables to bench/results/quality-check.md, leaving
bench/results/quality.md alone. Scores come from
`sofa_cli.query.evaluate.evaluate`, the code behind `sofa eval`. Writes
bench/results/quality.md (from the latest run of each set) and bench/data/misses-<set>.jsonl (sofa full's rank-1
misses and answer misses, for whoever tunes the ranking).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from convert import DEFAULT_DATA, DEFAULT_OUT, convert  # noqa: E402

import sofa_cli  # noqa: E402
from sofa_cli.corpus.discover import discover  # noqa: E402
from sofa_cli.corpus.documents import Skipped, load_file  # noqa: E402
from sofa_cli.corpus.segment import passages_of  # noqa: E402
from sofa_cli.index.bm25 import BM25Params  # noqa: E402
from sofa_cli.model import QAItem, Scores  # noqa: E402
from sofa_cli.query.config import PLAIN, Ranking  # noqa: E402
from sofa_cli.query.evaluate import evaluate, read_qa  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "quality.md"
# Where --configs writes: a quick check beside the full tables, which it leaves alone.
CHECK_RESULTS = ROOT / "bench" / "results" / "quality-check.md"
BUNDLED_QA = ROOT / "bench" / "qa" / "bundled.jsonl"
TRUST_QA = ROOT / "bench" / "qa" / "trust.jsonl"  # issue 13's cases, on the bundled corpus
FILES_QA = ROOT / "bench" / "qa" / "files.jsonl"  # issue 13's files as people have them
# Sets over a small corpus of the repo's own, with their own QA file (no conversion needed).
LOCAL_SETS = {
    "bundled": (ROOT / "corpus", BUNDLED_QA),
    "trust": (ROOT / "corpus", TRUST_QA),
    "files": (ROOT / "tests" / "data" / "files", FILES_QA),
}
SETS = ("bundled", "trust", "files", "xquad", "time", "mixed")
COMMAND = "make bench-quality   # = .venv/bin/python bench/quality/run.py"
TARGETS = {  # issue 3
    "xquad": {"hit@1": 0.96, "hit@5": 0.99, "answer@1": 0.80},
    "bundled": {"hit@1": 0.92, "hit@3": 1.0},
}
DESCRIPTIONS = {
    "bundled": "the bundled corpus (corpus/) with bench/qa/bundled.jsonl",
    "trust": "the bundled corpus with bench/qa/trust.jsonl: issue 13's cases (a misspelt or unknown person,"
    " common words not corrected, word families, small talk, authorship); an empty gold means no answer",
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


# -- configurations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    name: str
    ranking: Ranking | None  # None: the rank-bm25 baseline
    variant: str = "plus"


def ablated(part: str, value: float | bool | int) -> float | bool | int | None:
    """What a constant becomes in its `full − X` row: a weight 0, a switch off, a limit one
    lower; None when that changes nothing (already 0 or off)."""
    if isinstance(value, bool):
        return False if value else None
    if isinstance(value, float):
        return 0.0 if value != 0.0 else None
    return value - 1 if part == "limits" and value > 0 else None


def configurations() -> list[Config]:
    full = Ranking()
    configs = [Config("rank-bm25 BM25Okapi", None), Config("sofa plain (PLAIN)", PLAIN), Config("sofa full", full)]
    for part, name, value in full.constants():
        changed = ablated(part, value)
        if changed is not None:
            label = f"full − {name}" if part != "limits" else f"full, {name} {value} → {changed}"
            configs.append(Config(label, full.with_constant(part, name, changed)))
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
    root: Path, items: list[QAItem], index_root: Path, k: int, configs: list[Config], log: Callable[[str], None]
) -> tuple[list[Row], dict]:
    rows = []
    info: dict = {"questions": len(items)}
    corpora: dict[str, sofa_cli.Corpus] = {}
    for config in configs:
        if config.ranking is None:
            started = time.perf_counter()
            baseline = Baseline(root)
            info["baseline build s"] = time.perf_counter() - started
            info["passages"] = len(baseline.passages)
            ask = baseline.ask
        else:
            if config.variant not in corpora:
                started = time.perf_counter()
                # Rebuilt each run: an index made by older sofa code is "fresh" to open_index.
                corpus = sofa_cli.open(root, index_dir=index_root / config.variant, rebuild=True, bm25=BM25Params(config.variant))
                info[f"index {config.variant} s"] = time.perf_counter() - started
                info.setdefault("passages", corpus.passages)
                corpora[config.variant] = corpus
                corpus.ask("warm up", k=k)  # first use loads the stemmer
            corpus, ranking = corpora[config.variant], config.ranking

            def ask(q, k, corpus=corpus, ranking=ranking):
                return corpus.ask(q, k=k, ranking=ranking)

        answers: dict[str, object] = {}

        def answer(q, ask=ask, answers=answers):
            answers[q] = result = ask(q, k)
            return result

        started = time.perf_counter()
        scores = evaluate(items, answer, k)
        seconds = time.perf_counter() - started
        rows.append(Row(config, scores, seconds, answers, hit_at(items, answers, 3)))
        s = scores
        log(f"  {config.name}: hit@1 {s.hit_at_1:.3f} hit@{k} {s.hit_at_k:.3f} answer@1 {s.answer_at_1:.3f} ({seconds:.1f}s)")
    for corpus in corpora.values():
        corpus.close()
    return rows, info


def dump_misses(path: Path, items: list[QAItem], rows: list[Row]) -> int:
    """sofa full's misses, with what the baseline and plain sofa did on the same question."""
    by_name = {r.config.name: r for r in rows}
    full = by_name.get("sofa full")
    if full is None:
        return 0
    plain, base = by_name.get("sofa plain (PLAIN)"), by_name.get("rank-bm25 BM25Okapi")

    def rank_of(row: Row | None, item: QAItem):
        if row is None:
            return None
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
    full = next((r for r in rows if r.config.name == "sofa full"), None)
    if full is None:
        return ""
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
            " the same passages (sofa's segmenter); indexes are rebuilt at each run. sofa is asked through"
            " the library (`sofa_cli.open(...).ask(q, ranking=...)`), unpatched; times are the evaluation"
            " loop only (in process, index open). `full − X` rows each change one constant of"
            " `sofa_cli.query.config.Ranking` (a weight zeroed, a switch off, a limit one lower), read"
            " from the dataclasses at run time. Misses of sofa full: bench/data/misses-<set>.jsonl.\n",
        ]
    )


def section(name: str, rows: list[Row], info: dict, k: int) -> str:
    parts = [f"### {name}: {DESCRIPTIONS[name]}\n"]
    parts.append(f"{info['questions']} questions, {info['passages']} passages, k = {k}; sofa_cli at `{describe_code()}`.\n")
    parts.append(table(rows, k) + "\n")
    builds = ", ".join(f"{v} {info[f'index {v} s']:.1f}s" for v in ("plus", "okapi", "l") if f"index {v} s" in info)
    baseline = f"; rank-bm25 model: {info['baseline build s']:.1f}s" if "baseline build s" in info else ""
    parts.append(f"Index builds: {builds}{baseline}.\n")
    line = targets_line(name, rows, k)
    if line:
        parts.append(line)
    return "\n".join(parts)


def check_header(configs: str, sets: list[str]) -> str:
    """The heading of bench/results/quality-check.md: what was run, and why it is not the full table."""
    command = f'.venv/bin/python bench/quality/run.py --sets {",".join(sets)} --configs "{configs}"'
    return (
        "## Answer quality, quick check (issue 12, 13)\n\n"
        f"Command: `{command}`. Only these configurations, on these sets: a check that a change left"
        " the figures of the full tables above (bench/results/quality.md) standing, where re-running every"
        " configuration takes too long. Same passages, gold strings and scoring as the full run.\n"
    )


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
    parser.add_argument("--configs", default="", help="comma-separated configuration names (default: all)")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(chosen) - set(SETS)
    if unknown:
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")
    configs = configurations()
    if args.configs:
        wanted = [c.strip() for c in args.configs.split(",") if c.strip()]
        names = {c.name for c in configs}
        missing = [w for w in wanted if w not in names]
        if missing:
            parser.error(f"unknown configuration(s): {', '.join(missing)}; known: {', '.join(sorted(names))}")
        configs = [c for c in configs if c.name in wanted]

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    out = args.out.resolve()
    if set(chosen) - set(LOCAL_SETS):
        convert(args.data.resolve(), out, log=log)
    sections_dir = out / "quality-sections"
    checked: list[str] = []
    for name in SETS:
        if name not in chosen:
            continue
        if name in LOCAL_SETS:
            root, qa = LOCAL_SETS[name]
            if not qa.exists():
                log(f"quality: {qa.relative_to(ROOT)} missing; {name} set skipped")
                (sections_dir / f"{name}.md").unlink(missing_ok=True)
                continue
        else:
            root, qa = out / name / "corpus", out / name / "qa.jsonl"
        log(f"quality: {name}")
        items = read_qa(qa)
        rows, info = run_set(root, items, out / "index", args.k, configs, log)
        n = dump_misses(out / f"misses-{name}.jsonl", items, rows)
        log(f"  {n} misses of sofa full -> {out / f'misses-{name}.jsonl'}")
        if args.configs:
            checked.append(section(name, rows, info, args.k))
            continue
        sections_dir.mkdir(parents=True, exist_ok=True)
        (sections_dir / f"{name}.md").write_text(section(name, rows, info, args.k), encoding="utf-8")
    if args.configs:
        CHECK_RESULTS.write_text("\n".join([check_header(args.configs, chosen), *checked]), encoding="utf-8")
        log(f"quality: wrote {CHECK_RESULTS.relative_to(ROOT)}")
        return
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(assemble(sections_dir), encoding="utf-8")
    log(f"quality: wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
