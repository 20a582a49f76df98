"""Fuzz the corpus loader: random bytes and near-text files, loaded and segmented.

Each example writes one file (random name, random corpus suffix, content drawn from raw
bytes, text in several encodings with front matter, HTML, JSON Lines, speaker turns and
very long lines) into a temporary folder, then runs what `sofa index` runs on it:
`load_file`, then `passages_of` on every document. The loader must never raise; every
document's passages must be non-empty, at most MAX_PASSAGE_CHARS long, with sentence
spans sorted and inside the text, and its text and metadata must be text that UTF-8 can
hold (the index writes them so: JSON's "\\ud800" once ended every build). Half the examples
force the streaming reader (a tiny STREAM_THRESHOLD and READ_CHUNK), and a streamed
document must yield the same paragraphs as the same file read whole.

    python bench/fuzz_loader.py --seconds 180      # writes bench/results/fuzz_loader.md
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import textwrap
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sofa_cli.corpus import documents  # noqa: E402
from sofa_cli.corpus.discover import CORPUS_SUFFIXES  # noqa: E402
from sofa_cli.corpus.documents import Document, Skipped, load_file  # noqa: E402
from sofa_cli.corpus.segment import passages_of  # noqa: E402

WORDS = [
    "Hornung",
    "said",
    "the",
    "U.S.",
    "Dr.",
    "treaty",
    "Okinawa",
    "50,000",
    "日本",
    "😀",
    "\u202e",
    "\x1b[31m",
    "\r\n",
    "\n\n",
    "\u200b",
    "\u00ad",
    "Interview: Chef Ines Moreau\n",
    "Baker Tomas Eid:",
    "\n- ",
    "#",
]

text_piece = st.one_of(
    st.text(max_size=200),
    st.sampled_from(WORDS),
    st.builds(lambda w, n: (w + " ") * n, st.sampled_from(WORDS), st.integers(0, 3000)),
    st.just("\n\n"),
    st.just("---\ntitle: T\nkind: interview\n---\n"),
    st.builds(lambda name, t: f"**{name}:** {t}\n\n", st.sampled_from(["Editor", "Dr. Tanaka", "Q"]), st.text(max_size=80)),
    st.builds(lambda t: f"<html><title>{t}</title><script>x</script><p>{t}</p>", st.text(max_size=80)),
    st.builds(lambda t: '{"title": "x", "text": ' + repr(t).replace("'", '"') + "}\n", st.text(max_size=80)),
    # half a character escaped in JSON (a lone surrogate once parsed), in a record and in JSON-LD
    st.just('{"title": "T\\ud800", "author": "\\udcff", "text": "a \\ud83d b \\ude00 c"}\n'),
    st.just('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "\\udc80"}</script><p>x</p>'),
    # hard-wrapped prose, plain transcript turns, a page with furniture and JSON-LD
    st.builds(
        lambda ws, w: textwrap.fill(" ".join(ws), w) + "\n",
        st.lists(st.sampled_from(WORDS[:9]), max_size=80),
        st.integers(30, 100),
    ),
    st.builds(
        lambda name, t: f"{name}: {t}\n",
        st.sampled_from(["Interviewer", "Chef Ines Moreau", "Baker Tomas Eid", "Note"]),
        st.text(max_size=80),
    ),
    st.builds(
        lambda t: (
            f'<nav>Home | World</nav><script type="application/ld+json">{t}</script>'
            f'<meta name="author" content="{t}"><article><header>{t}</header><p>{t}</p></article><footer>{t}</footer>'
        ),
        st.text(max_size=60),
    ),
)
text_content = st.builds(
    lambda parts, enc: "".join(parts).encode(enc, errors="replace"),
    st.lists(text_piece, max_size=30),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "latin-1"]),
)
content = st.one_of(st.binary(max_size=4096), text_content)
name = st.text(alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=20)


class Stats:
    examples = 0
    documents = 0
    skipped = 0
    passages = 0
    streamed = 0
    failures: list[str] = []


def check(data: bytes, stem: str, suffix: str, stream: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sofa-fuzz-"))
    try:
        path = folder / (stem.strip(".") + suffix)
        try:
            path.write_bytes(data)
        except OSError:  # a name the file system refuses (too long in bytes, ...)
            return
        documents.STREAM_THRESHOLD = 64 if stream else 8 * 1024 * 1024
        documents.READ_CHUNK = 17 if stream else 1024 * 1024
        items = list(load_file(path, folder))
        for item in items:
            assert isinstance(item, Document | Skipped), item
            if isinstance(item, Skipped):
                Stats.skipped += 1
                continue
            Stats.documents += 1
            Stats.streamed += item.stream is not None
            paragraphs = list(item.paragraphs())
            if item.stream is not None:
                documents.STREAM_THRESHOLD = 8 * 1024 * 1024
                (whole,) = [d for d in load_file(path, folder) if isinstance(d, Document)]
                assert list(whole.paragraphs()) == paragraphs, "streamed paragraphs differ from whole-file ones"
            for value in (item.title, item.author, item.source, item.date, item.url):
                (value or "").encode("utf-8")  # what the index writes must be text UTF-8 can hold
            for p in passages_of(item):
                Stats.passages += 1
                p.text.encode("utf-8")
                assert p.text.strip() and len(p.text) <= documents.MAX_PASSAGE_CHARS, len(p.text)
                last = 0
                for a, b in p.sentences:
                    assert last <= a < b <= len(p.text), (last, a, b, len(p.text))
                    last = b
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(content, name, st.sampled_from(CORPUS_SUFFIXES), st.booleans())
def fuzz_once(data: bytes, stem: str, suffix: str, stream: bool) -> None:
    Stats.examples += 1
    check(data, stem, suffix, stream)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--out", default=str(HERE / "results" / "fuzz_loader.md"))
    args = parser.parse_args()
    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < args.seconds:
        rounds += 1
        try:
            fuzz_once()
        except Exception:  # hypothesis re-raises the shrunk failing example
            Stats.failures.append(traceback.format_exc(limit=6))
            break
    elapsed = time.perf_counter() - started
    command = f"python bench/fuzz_loader.py --seconds {args.seconds:g}"
    lines = [
        "## Fuzzing the corpus loader (bench/fuzz_loader.py)\n",
        f"Command: `{command}` (hypothesis, {rounds} rounds of 200 examples, fresh random seeds)\n",
        "| examples | seconds | documents | skipped (binary, bad JSON...) | streamed docs | passages | failures |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {Stats.examples:,} | {elapsed:.0f} | {Stats.documents:,} | {Stats.skipped:,} | {Stats.streamed:,}"
        f" | {Stats.passages:,} | {len(Stats.failures)} |",
        "",
    ]
    if Stats.failures:
        lines += ["First failure:", "", "```", Stats.failures[0].rstrip(), "```", ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    sys.exit(1 if Stats.failures else 0)


if __name__ == "__main__":
    main()
