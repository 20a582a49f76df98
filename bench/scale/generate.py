"""Write a large, realistic corpus folder for the scale benchmarks (bench/perf.py).

Passages are made of real sentences sampled, with a fixed seed, from the outside corpora
in ../shared/data (XQuAD-en paragraphs, TIME news articles, Cranfield abstracts), so the
vocabulary, sentence lengths and term frequencies are those of real prose rather than of
random words. Documents are mostly news articles, with one in ten an interview whose
turns are marked `**Name:**`; about one sentence in six reports a named person ("X said
..."), so attribution has work to do. They are written as .jsonl archives (one document
per line, `DOCS_PER_FILE` a file), as a news dump would be: at a million passages, that is
hundreds of files rather than tens of thousands.

    python bench/scale/generate.py 1000000 bench/data/scale-1m
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():  # a worktree beside /work/main
    SHARED = Path("/work/shared/data")
SEED = 20261126
DOCS_PER_FILE = 100
PASSAGES_PER_DOC = (4, 36)
SENTENCES_PER_PASSAGE = (1, 5)
INTERVIEW_SHARE = 0.1
REPORTED_SHARE = 0.16

FIRST = "Jeffrey Keiko Maria Ahmed Olga Kenji Laura Pedro Amara Liam Chen Fatima Hans Ingrid Ravi Sofia Tomasz Yuki".split()
LAST = (
    "Hornung Tanaka Schmidt Okafor Novak Ishikawa Garcia Haddad Lindqvist Moreau Patel Kowalski Rossi Nakamura "
    "Fischer Mensah Dubois Yamada Costa Bergstrom Ivanova Mahmoud Keller Sato Oliveira"
).split()
VERBS = "said suggested argued noted warned added explained emphasized proposed acknowledged".split()


def _sentences_of(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", text)
    return [p for p in parts if 30 <= len(p) <= 400]


def _sentence_case(upper: str) -> str:
    text = re.sub(r"\s+([.,;:?!'])", r"\1", upper.lower())
    return re.sub(r"(^|[.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def load_sentences() -> list[str]:
    """Every usable sentence of XQuAD-en, TIME and Cranfield, in a fixed order."""
    out: list[str] = []
    xquad = json.loads((SHARED / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    for article in xquad["data"]:
        for para in article["paragraphs"]:
            out += _sentences_of(para["context"])
    time_all = (SHARED / "time" / "TIME.ALL").read_text(encoding="utf-8", errors="replace")
    for article in re.split(r"^\*TEXT.*$", time_all, flags=re.M):
        if article.strip() and not article.strip().startswith("*STOP"):
            out += _sentences_of(_sentence_case(article))
    cran = (SHARED / "cranfield" / "cran.all.1400").read_text(encoding="utf-8", errors="replace")
    for abstract in re.split(r"^\.W$", cran, flags=re.M)[1:]:
        body = re.split(r"^\.I ", abstract, flags=re.M)[0]
        out += _sentences_of(_sentence_case(body))
    return out


class Writer:
    def __init__(self, rng: random.Random, sentences: list[str]) -> None:
        self.rng = rng
        self.sentences = sentences
        self.people = [f"{first} {last}" for first in FIRST for last in LAST]

    def sentence(self, speaker: str | None = None) -> str:
        s = self.rng.choice(self.sentences)
        if speaker is None and self.rng.random() < REPORTED_SHARE:
            speaker = self.rng.choice(self.people)
            s = f"{speaker} {self.rng.choice(VERBS)} that {s[0].lower()}{s[1:]}"
        return s

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(*SENTENCES_PER_PASSAGE)))

    def article(self, n: int, passages: int) -> dict:
        first = self.sentence().rstrip(".")
        return {
            "title": first[:80],
            "author": self.rng.choice(self.people),
            "date": f"20{self.rng.randint(10, 26):02d}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}",
            "kind": "article",
            "text": "\n\n".join(self.paragraph() for _ in range(passages)),
        }

    def interview(self, n: int, passages: int) -> dict:
        guest = self.rng.choice(self.people)
        turns = []
        for t in range(passages):
            if t % 2 == 0:
                question = self.sentence(speaker="Editor").rstrip(".") + "?"
                turns.append(f"**Editor:** {question}")
            else:
                turns.append(f"**{guest}:** {self.paragraph()}")
        return {
            "title": f"Interview with {guest}",
            "author": self.rng.choice(self.people),
            "kind": "interview",
            "text": "\n\n".join(turns),
        }


def generate(passages: int, out: Path, seed: int = SEED) -> dict:
    """Write about `passages` passages under `out`; returns counts."""
    rng = random.Random(seed)
    writer = Writer(rng, load_sentences())
    out.mkdir(parents=True, exist_ok=True)
    written = docs = files = 0
    batch: list[str] = []

    def flush() -> None:
        nonlocal files, batch
        if batch:
            (out / f"archive-{files:05d}.jsonl").write_text("\n".join(batch) + "\n", encoding="utf-8")
            files += 1
            batch = []

    while written < passages:
        count = min(rng.randint(*PASSAGES_PER_DOC), passages - written)
        if rng.random() < INTERVIEW_SHARE and count >= 2:
            record = writer.interview(docs, count)
        else:
            record = writer.article(docs, count)
        batch.append(json.dumps(record, ensure_ascii=False))
        written += count
        docs += 1
        if len(batch) == DOCS_PER_FILE:
            flush()
    flush()
    return {"passages": written, "documents": docs, "files": files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("passages", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(json.dumps(generate(args.passages, args.out, args.seed)))


if __name__ == "__main__":
    main()
