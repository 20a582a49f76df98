"""`sofa index` on a folder of several hundred files, and the shell against one-shot `ask`.

The folder is the TIME collection (../shared/data/time/TIME.ALL): 423 articles, one
Markdown file each with a metadata header. Measured as a user runs sofa, as whole
processes: a first build, a run with nothing changed, a run after two files were added
and one edited (the summary line shows what was reparsed), then the 83 TIME queries
answered by one `sofa shell` process (index loaded once) and by one `sofa ask` each.

    python bench/index_folder.py [--runs N]     # writes bench/results/index_folder.md
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIME_DIR = ROOT.parent / "shared" / "data" / "time"
RESULT = HERE / "results" / "index_folder.md"
LINES_PER_PARAGRAPH = 8  # TIME.ALL puts each printed line in its own block


def write_time_corpus(dest: Path) -> int:
    """One .md file per *TEXT article of TIME.ALL; returns the number of files."""
    text = (TIME_DIR / "TIME.ALL").read_text(encoding="latin-1")
    articles = re.split(r"^\*TEXT ", text, flags=re.M)[1:]
    for article in articles:
        head, _, body = article.partition("\n")
        number, date, _, page = head.split()[:4]
        lines = [line.strip() for line in body.splitlines() if line.strip() and not line.startswith("*STOP")]
        paragraphs = [" ".join(lines[i : i + LINES_PER_PARAGRAPH]) for i in range(0, len(lines), LINES_PER_PARAGRAPH)]
        header = f"---\ntitle: TIME {number}, page {page}\nsource: TIME\ndate: {date}\nkind: article\n---\n"
        (dest / f"time-{number}.md").write_text(header + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return len(articles)


def time_queries() -> list[str]:
    text = (TIME_DIR / "TIME.QUE").read_text(encoding="latin-1")
    found = re.split(r"^\*FIND\s+\d+\s*$", text, flags=re.M)[1:]
    return [q for q in (" ".join(part.replace("*STOP", "").split()) for part in found) if q]


def sofa(*args: str, index_dir: Path, stdin: str | None = None) -> tuple[float, str]:
    """(wall seconds, stderr) of one `python -m sofa_cli` process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sofa_cli", *args, "--index-dir", str(index_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"sofa {' '.join(args)} failed: {done.stderr}")
    return seconds, done.stderr.strip()


def summary_line(stderr: str) -> str:
    """'2 new, 1 updated, 422 unchanged, 0 removed (...)' from 'sofa: indexed PATH: ...'."""
    line = next(line for line in stderr.splitlines() if " new, " in line)
    return line.split(": ", 2)[-1]


def one_round(work: Path, questions: list[str]) -> dict[str, tuple[float, str]]:
    corpus, index_dir = work / "time-md", work / "index"
    shutil.rmtree(work, ignore_errors=True)
    corpus.mkdir(parents=True)
    write_time_corpus(corpus)
    out: dict[str, tuple[float, str]] = {}
    seconds, err = sofa("index", str(corpus), index_dir=index_dir)
    out["first build"] = (seconds, summary_line(err))
    seconds, err = sofa("index", str(corpus), index_dir=index_dir)
    out["nothing changed"] = (seconds, summary_line(err))
    (corpus / "new-1.md").write_text("A new story about the Nassau accord and Polaris missiles.\n", encoding="utf-8")
    (corpus / "new-2.md").write_text("---\ntitle: Second new\n---\nMacmillan spoke of Skybolt.\n", encoding="utf-8")
    with (corpus / "time-017.md").open("a", encoding="utf-8") as f:
        f.write("\nONE MORE PARAGRAPH ABOUT POLARIS .\n")
    seconds, err = sofa("index", str(corpus), index_dir=index_dir)
    out["2 added, 1 edited"] = (seconds, summary_line(err))
    seconds, _ = sofa("shell", "--json", "--corpus", str(corpus), index_dir=index_dir, stdin="\n".join(questions) + "\n")
    out[f"shell: {len(questions)} questions, one process"] = (seconds, f"{seconds / len(questions):.2f} s per question")
    few = questions[:10]
    seconds = sum(sofa("ask", q, "--json", "--corpus", str(corpus), index_dir=index_dir)[0] for q in few)
    out[f"ask: {len(few)} questions, one process each"] = (seconds, f"{seconds / len(few):.2f} s per question")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds; the median is reported")
    args = parser.parse_args()
    questions = time_queries()
    with tempfile.TemporaryDirectory(prefix="sofa-bench-") as tmp:
        rounds = [one_round(Path(tmp) / "work", questions) for _ in range(args.runs)]
    lines = [
        "## `sofa index` on a folder of 423 files, and the shell\n",
        f"Command: `python bench/index_folder.py --runs {args.runs}` (whole processes; median of {args.runs} rounds).",
        "Corpus: TIME.ALL, one Markdown file per article (423 files, about 3,000 passages).\n",
        "| step | wall s (median) | what sofa said (same round) |",
        "|---|---|---|",
    ]
    for step in rounds[0]:
        median_round = sorted(rounds, key=lambda r: r[step][0])[len(rounds) // 2]
        seconds, note = median_round[step]
        lines.append(f"| {step} | {seconds:.2f} | {note} |")
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
