"""Check that the fast sentence splitter, attribution and tokenizer give exactly the reference output.

    python bench/segment_equivalence.py [--reference REV] CORPUS [CORPUS ...]

For every passage of every document in the corpus folders:
- sentence spans: `segment.sentence_spans` (the fast Punkt) against
  `segment.punkt_sentence_spans` (nltk's own PunktSentenceTokenizer.span_tokenize);
- attributions: this tree's `attribution.attribute` against the attribution module of git
  revision REV (default: main; a revision before the corpus/ folder must still import), on the same passages;
- tokens of ASCII text: `analysis._ASCII_TOKEN_RE` against the pattern it replaced
  (every match's span), on the passages' text.

Prints the counts compared and the differences (the first few in full); exits 1 on any.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sofa_cli.corpus.attribution import attribute  # noqa: E402
from sofa_cli.corpus.discover import discover  # noqa: E402
from sofa_cli.corpus.documents import Skipped, load_file  # noqa: E402
from sofa_cli.corpus.segment import passages_of, punkt_sentence_spans, sentence_spans  # noqa: E402
from sofa_cli.text.analysis import _ASCII_TOKEN_RE  # noqa: E402

REFERENCE_ASCII_TOKEN_RE = re.compile(r"(?:[A-Za-z]\.){2,}|\d+(?:[.,]\d+)*|[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*'?")


def token_spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def reference_attribute(rev: str):
    """`attribute` of the attribution module as it was at git revision `rev` (sofa_cli/corpus/
    since the package was split into folders, sofa_cli/ before)."""
    for path in ("sofa_cli/corpus/attribution.py", "sofa_cli/attribution.py"):
        shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            source = shown.stdout
            break
    else:
        raise SystemExit(f"no attribution module at {rev}")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("attribution_reference", f.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.attribute


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", default="main")
    parser.add_argument("corpora", nargs="+", type=Path)
    args = parser.parse_args()
    old_attribute = reference_attribute(args.reference)
    counts = dict(documents=0, passages=0, sentences=0, tokens=0)
    counts.update(span_differences=0, attribution_differences=0, token_differences=0)
    seconds = dict(fast=0.0, punkt=0.0, attribute=0.0, reference_attribute=0.0)
    shown = 0
    for root in args.corpora:
        for path in discover(root):
            for doc in load_file(path, root):
                if isinstance(doc, Skipped):
                    continue
                counts["documents"] += 1
                passages = passages_of(doc)
                for p in passages:
                    started = time.perf_counter()
                    fast = sentence_spans(p.text)
                    seconds["fast"] += time.perf_counter() - started
                    started = time.perf_counter()
                    reference = punkt_sentence_spans(p.text)
                    seconds["punkt"] += time.perf_counter() - started
                    counts["passages"] += 1
                    counts["sentences"] += len(reference)
                    if p.text.isascii():
                        tokens = token_spans(_ASCII_TOKEN_RE, p.text)
                        counts["tokens"] += len(tokens)
                        if tokens != token_spans(REFERENCE_ASCII_TOKEN_RE, p.text):
                            counts["token_differences"] += 1
                            if shown < 5:
                                shown += 1
                                print(f"tokens differ in {doc.path} passage {p.number}: {p.text!r}")
                    if fast != reference:
                        counts["span_differences"] += 1
                        if shown < 5:
                            shown += 1
                            print(f"spans differ in {doc.path} passage {p.number}: {p.text!r}\n  {fast}\n  {reference}")
                started = time.perf_counter()
                new = attribute(doc, passages)
                seconds["attribute"] += time.perf_counter() - started
                started = time.perf_counter()
                old = old_attribute(doc, passages)
                seconds["reference_attribute"] += time.perf_counter() - started
                for a, b in zip(new, old, strict=True):
                    if a != b:
                        counts["attribution_differences"] += 1
                        if shown < 5:
                            shown += 1
                            print(f"attributions differ in {doc.path} passage {a.number}: {a.attributions} vs {b.attributions}")
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    print(" ".join(f"{k}={v:.2f}s" for k, v in seconds.items()))
    return 1 if counts["span_differences"] or counts["attribution_differences"] or counts["token_differences"] else 0


if __name__ == "__main__":
    sys.exit(main())
