"""Turn outside test collections into sofa corpus folders and QA files, for bench/quality/run.py.

    python bench/quality/convert.py [--data ../shared/data] [--out bench/data]

writes, under --out (git-ignored):

    xquad/corpus/   one .md per XQuAD-en Wikipedia article; each context is one paragraph
    xquad/qa.jsonl  1,190 questions
    time/corpus/    one .md per TIME article (423), cut into ~100-word paragraphs
    time/qa.jsonl   82 TIME queries (the ones with judgements inside the collection)
    mixed/corpus/   xquad/ + time/ + cranfield/ (1,400 aeronautics abstracts) as distractors
    mixed/qa.jsonl  the XQuAD questions again, gold made unique in the larger corpus

Everything is a pure function of the input files: same data in, same bytes out, and a file
whose content has not changed is not rewritten (so sofa's incremental index reuses it).

How gold substrings are chosen, given how `sofa eval` counts: a result is a *hit* when its
passage text contains a gold substring; *answer@1* when the top result's `answer` sentence
contains one. One list serves both, so a gold string must (1) occur in exactly one passage of
the corpus, or hits would be credited to the wrong passage, and (2) lie inside the sentence
that answers, or answer@1 could never succeed.

- XQuAD: the answer text at its annotated offset, widened word by word (right, then left,
  alternately) inside its sentence until it occurs exactly once in the whole corpus. "1990"
  alone appears in many articles; "in 1990 the Broncos" does not. Widening stays inside the
  sentence sofa's own segmenter finds, so "the answer sentence contains the gold" still means
  "sofa's answer is the sentence that holds the annotated answer". When the annotated span
  crosses a sentence boundary (rare; counted in the printed report), widening may cross it
  too, and answer@1 can then only fail: the price of honest hit@k for those questions.
- TIME: relevance is judged per article, so gold is, for each relevant article, the first
  60 characters of each of its paragraphs (longer if 60 is not unique). A hit is any paragraph
  of a relevant article. answer@1 is not meaningful for TIME (it only succeeds when the answer
  is a paragraph's first sentence) and is reported but not a target.
- TIME.REL gives positions in TIME.ALL (1-based), not *TEXT numbers; three judgements point
  past the 423 articles (queries 15, 23, 26) and are dropped, and with them query 23, whose
  only judgement that was: 82 of the 83 queries remain.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from sofa_cli.corpus.discover import discover  # noqa: E402
from sofa_cli.corpus.documents import load_file  # noqa: E402
from sofa_cli.corpus.segment import passages_of  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "bench" / "data"

TIME_PARAGRAPH_WORDS = 100  # a TIME paragraph closes at the first sentence end past this many words
TIME_GOLD_PREFIX = 60  # characters of a paragraph's start that identify it (widened if not unique)


@dataclass(frozen=True)
class SourceDoc:
    """A document to write: file name (relative to the corpus folder), metadata, paragraphs."""

    name: str
    meta: dict[str, str]
    paragraphs: tuple[str, ...]


# -- readers ---------------------------------------------------------------------------------


def read_xquad(data: Path) -> tuple[list[SourceDoc], list[dict]]:
    """XQuAD-en articles and questions; a question keeps its context and answer offset."""
    raw = json.loads((data / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    docs, questions = [], []
    for article in raw["data"]:
        title = article["title"]
        paragraphs = []
        for p in article["paragraphs"]:
            # Two contexts hold a newline ("O\n2"); a space keeps offsets and the paragraph whole.
            context = p["context"].replace("\n", " ")
            paragraphs.append(context)
            for qa in p["qas"]:
                answer = qa["answers"][0]
                questions.append(
                    {
                        "id": qa["id"],
                        "q": qa["question"].strip(),
                        "context": context,
                        "answer": answer["text"].replace("\n", " "),
                        "start": answer["answer_start"],
                    }
                )
        meta = {"title": title.replace("_", " "), "kind": "article", "source": "XQuAD-en (Wikipedia)"}
        docs.append(SourceDoc(f"{_slug(title)}.md", meta, tuple(paragraphs)))
    return docs, questions


def read_time(data: Path) -> tuple[list[SourceDoc], list[dict]]:
    """TIME articles (one file each, ~100-word paragraphs) and queries with their relevant files."""
    folder = data / "time"
    text = (folder / "TIME.ALL").read_text(encoding="latin-1")
    docs = []
    for block in re.split(r"^\*TEXT ", text, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        # "017 01/04/63 PAGE 020"; one header reads "431 08/30 63 PAGE 026".
        match = re.match(r"(\d+)\s+(\d+)/(\d+)[/ ](\d+)\s+PAGE\s+(\d+)", header)
        if not match:
            raise SystemExit(f"convert: unexpected TIME header {header!r}")
        number, month, day, year, page = match.groups()
        body = body.split("*STOP")[0]
        words = " ".join(body.split())
        meta = {
            "title": f"TIME {number}, page {int(page)}",
            "kind": "article",
            "source": "TIME",
            "date": f"19{year}-{month}-{day}",
        }
        docs.append(SourceDoc(f"time-{len(docs) + 1:03d}-{number}.md", meta, tuple(_time_paragraphs(words))))
    queries = {}
    for block in re.split(r"^\*FIND", (folder / "TIME.QUE").read_text(encoding="latin-1"), flags=re.M)[1:]:
        number, _, query = block.partition("\n")
        queries[int(number)] = " ".join(query.split("*STOP")[0].split())
    questions = []
    for line in (folder / "TIME.REL").read_text(encoding="latin-1").splitlines():
        fields = [int(x) for x in line.split()]
        if not fields:
            continue
        relevant = [docs[pos - 1].name for pos in fields[1:] if 1 <= pos <= len(docs)]
        if relevant:
            questions.append({"id": fields[0], "q": queries[fields[0]], "relevant": relevant})
    return docs, questions


def _time_paragraphs(words: str) -> list[str]:
    """Cut a TIME article (no paragraph marks in the source) at sentence ends past ~100 words."""
    sentences = re.split(r"(?<=\s[.?!])\s+", words)
    paragraphs, current, count = [], [], 0
    for sentence in sentences:
        current.append(sentence)
        count += len(sentence.split())
        if count >= TIME_PARAGRAPH_WORDS:
            paragraphs.append(" ".join(current))
            current, count = [], 0
    if current:
        if paragraphs and count < TIME_PARAGRAPH_WORDS // 3:
            paragraphs[-1] += " " + " ".join(current)
        else:
            paragraphs.append(" ".join(current))
    return paragraphs


def read_cranfield(data: Path) -> list[SourceDoc]:
    """Cranfield abstracts; an indented line opens a paragraph, as in the source."""
    text = (data / "cranfield" / "cran.all.1400").read_text(encoding="latin-1")
    docs = []
    for record in re.split(r"^\.I ", text, flags=re.M)[1:]:
        number = int(record.split()[0])
        fields = dict(re.findall(r"^\.([TABW])\n(.*?)(?=^\.[TABW]\n|\Z)", record, flags=re.M | re.S))
        title = " ".join(fields.get("T", "").split()) or f"Cranfield {number}"
        paragraphs: list[str] = []
        for line in fields.get("W", "").splitlines():
            if not line.strip():
                continue
            if line.startswith((" ", "\t")) or not paragraphs:
                paragraphs.append(line.strip())
            else:
                paragraphs[-1] += " " + line.strip()
        meta = {"title": title, "kind": "article", "source": "Cranfield"}
        docs.append(SourceDoc(f"cran-{number:04d}.md", meta, tuple(p for p in paragraphs if p)))
    return docs


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", title).strip("-") or "article"


# -- writing ---------------------------------------------------------------------------------


def render(doc: SourceDoc) -> str:
    header = "".join(f"{k}: {v.replace(chr(10), ' ')}\n" for k, v in doc.meta.items())
    return f"---\n{header}---\n\n" + "\n\n".join(doc.paragraphs) + "\n"


def write_corpus(folder: Path, docs: list[SourceDoc], prefix: str = "") -> None:
    """Write documents, leaving unchanged files untouched and removing stale ones."""
    target = folder / prefix if prefix else folder
    target.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for doc in docs:
        wanted[doc.name] = render(doc)
    for path in target.glob("*.md"):
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = target / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def write_qa(path: Path, items: list[dict]) -> None:
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# -- gold ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPassage:
    doc_path: str  # relative to the corpus folder, as sofa stores it
    text: str
    sentences: tuple[tuple[int, int], ...]


def segmented(root: Path) -> list[CorpusPassage]:
    """Passages exactly as sofa cuts them (its own loader and segmenter)."""
    out = []
    for path in discover(root):
        for doc in load_file(path, root):
            for p in passages_of(doc):
                out.append(CorpusPassage(doc.path, p.text, p.sentences))
    return out


class Occurrences:
    """Counts of a string across all passages (a separator no gold contains keeps them apart)."""

    def __init__(self, passages: list[CorpusPassage]) -> None:
        self.blob = "\x00".join(p.text for p in passages)

    def count(self, s: str) -> int:
        return self.blob.count(s)


def widen_until_unique(text: str, start: int, end: int, lo: int, hi: int, occurrences: Occurrences) -> tuple[str, bool]:
    """text[start:end] grown a word at a time (right, then left) within [lo, hi) until unique."""
    turn = 0
    while True:
        gold = text[start:end].strip()
        if occurrences.count(gold) == 1:
            return gold, True
        can_right, can_left = end < hi, start > lo
        if not (can_right or can_left):
            return gold, False
        if (turn % 2 == 0 and can_right) or not can_left:
            m = re.match(r"\s*\S+", text[end:hi])
            end = end + m.end() if m else hi
        else:
            m = re.search(r"\S+\s*$", text[lo:start])
            start = lo + m.start() if m else lo
        turn += 1


def xquad_gold(questions: list[dict], passages: list[CorpusPassage], doc_paths: set[str]) -> tuple[list[dict], dict]:
    """One gold substring per question (see the module docstring); plus counts for the report."""
    occurrences = Occurrences(passages)
    by_text = {}
    for p in passages:
        if p.doc_path in doc_paths:
            by_text.setdefault(p.text, p)
    stats = {"answer as is": 0, "widened in its sentence": 0, "crosses a sentence": 0, "not unique": 0}
    items = []
    for q in questions:
        passage = by_text.get(q["context"].strip())
        if passage is None:
            raise SystemExit(f"convert: XQuAD context not found as one sofa passage: {q['context'][:60]!r}")
        offset = q["context"].index(passage.text)  # strip() may have moved the start
        start = q["start"] - offset
        end = start + len(q["answer"])
        if passage.text[start:end] != q["answer"]:
            raise SystemExit(f"convert: answer offset off for XQuAD question {q['id']}")
        sentence = next(((a, b) for a, b in passage.sentences if a <= start and end <= b), None)
        lo, hi = sentence if sentence else (0, len(passage.text))
        gold, unique = widen_until_unique(passage.text, start, end, lo, hi, occurrences)
        if not unique:
            stats["not unique"] += 1
        elif sentence is None:
            stats["crosses a sentence"] += 1
        elif gold == q["answer"].strip():
            stats["answer as is"] += 1
        else:
            stats["widened in its sentence"] += 1
        items.append({"q": q["q"], "gold": [gold]})
    return items, stats


def time_gold(questions: list[dict], passages: list[CorpusPassage]) -> list[dict]:
    occurrences = Occurrences(passages)
    by_doc: dict[str, list[CorpusPassage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_path, []).append(p)
    items = []
    for q in questions:
        gold = []
        for name in q["relevant"]:
            for p in by_doc[name]:
                prefix, unique = widen_until_unique(p.text, 0, min(TIME_GOLD_PREFIX, len(p.text)), 0, len(p.text), occurrences)
                if not unique:  # a paragraph repeated verbatim elsewhere: skip it rather than mislead
                    continue
                gold.append(prefix)
        items.append({"q": q["q"], "gold": gold})
    return items


# -- main ------------------------------------------------------------------------------------


def convert(data: Path, out: Path, log=print) -> None:
    if not (data / "xquad" / "xquad.en.json").exists():
        raise SystemExit(f"convert: no XQuAD at {data}/xquad/xquad.en.json; pass --data DIR")
    xquad_docs, xquad_questions = read_xquad(data)
    time_docs, time_questions = read_time(data)
    cran_docs = read_cranfield(data)

    write_corpus(out / "xquad" / "corpus", xquad_docs)
    passages = segmented(out / "xquad" / "corpus")
    items, stats = xquad_gold(xquad_questions, passages, {d.name for d in xquad_docs})
    write_qa(out / "xquad" / "qa.jsonl", items)
    log(f"xquad: {len(xquad_docs)} articles, {len(passages)} passages, {len(items)} questions; gold: {stats}")

    write_corpus(out / "time" / "corpus", time_docs)
    passages = segmented(out / "time" / "corpus")
    items = time_gold(time_questions, passages)
    write_qa(out / "time" / "qa.jsonl", items)
    log(f"time: {len(time_docs)} articles, {len(passages)} passages, {len(items)} queries")

    mixed = out / "mixed" / "corpus"
    write_corpus(mixed, xquad_docs, "xquad")
    write_corpus(mixed, time_docs, "time")
    write_corpus(mixed, cran_docs, "cranfield")
    passages = segmented(mixed)
    items, stats = xquad_gold(xquad_questions, passages, {f"xquad/{d.name}" for d in xquad_docs})
    write_qa(out / "mixed" / "qa.jsonl", items)
    log(f"mixed: {len(xquad_docs) + len(time_docs) + len(cran_docs)} documents, {len(passages)} passages; gold: {stats}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad/, time/, cranfield/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where corpus folders and QA files go")
    args = parser.parse_args()
    convert(args.data.resolve(), args.out.resolve(), log=lambda s: print(s, file=sys.stderr))


if __name__ == "__main__":
    main()
