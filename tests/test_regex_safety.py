"""No pattern that runs on corpus text can backtrack catastrophically (issue 17 #5).

Each function below runs a regex (or several) over untrusted text: headings, speaker
turns, paragraph and length cuts, attribution, acronyms, tokens, HTML, sentences, and the
answer-type patterns that read passages. Each is run on adversarial texts of 20,000
characters, built from the characters its patterns care about (a run that a greedy or lazy
quantifier can share with its neighbour, and a last character that makes the match fail).
A linear pattern takes milliseconds; a backtracking one takes seconds to hours (the heading
pattern took 28 s on `# a`, 2,000 spaces, `b`). The bound is an anti-hang guard, not a
benchmark: generous, and enforced from outside, so a hang fails the test instead of the run.
"""

from __future__ import annotations

import multiprocessing
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sofa_cli.corpus import attribution, html, paragraphs, segment
from sofa_cli.corpus.paragraphs import first_heading, is_heading
from sofa_cli.query import answer_types
from sofa_cli.text import analysis

LENGTH = 20_000

# CPU seconds any one input may take (CPU, not wall-clock time: a machine busy with other
# work must not fail the test). Linear code does each in well under 0.3 s; the catastrophic
# cases took from 28 s to forever.
BOUND = 2.0

# What a run holding every generic input may take before the child is killed as hung.
HANG = 120.0

PREFIXES = ("", "# a", "Ab ")
PUMPS = (" ", "a", "A", "Ab ", "#", "*", ". ", "'", "\n", " \n", "Aa, ", "has ", "1,", "“")
SUFFIXES = ("b", "(AB)", " said")

# The known catastrophic inputs first: each one hung or took seconds before its fix.
KNOWN = ("# a" + " " * LENGTH + "b", "A" * LENGTH + " (AB)", "A" * LENGTH)


def _texts() -> list[str]:
    generic = [pre + pump * (LENGTH // len(pump)) + suf for pre in PREFIXES for pump in PUMPS for suf in SUFFIXES]
    return [*KNOWN, *generic]


FUNCTIONS = {
    "first_heading": paragraphs.first_heading,
    "is_heading": paragraphs.is_heading,
    "speaker_of": paragraphs.speaker_of,
    "split_paragraphs": paragraphs.split_paragraphs,
    "cap_length": lambda t: list(paragraphs.cap_length(t)),
    "attribution subject": lambda t: attribution._SUBJECT_RE.search(t),
    "attribution pronoun": lambda t: attribution._PRONOUN_RE.search(t),
    "attribution names": lambda t: list(attribution._names_in(t)),
    "acronyms": analysis.acronym_definitions,
    "tokens": lambda t: list(analysis.tokenize(t)),
    "html": html.html_to_text,
    "sentences": lambda t: segment.sentence_spans(t[:8000]),  # passages are at most 8,000 characters
    "answer names": answer_types._holds("name").findall,
    "answer places": answer_types._holds("place").findall,
}


def _slowest(name: str, texts: list[str], out) -> None:
    fn = FUNCTIONS[name]
    fn("warm up: imports and caches")
    worst = (0.0, "")
    for text in texts:
        started = time.process_time()
        fn(text)
        took = time.process_time() - started
        if took > worst[0]:
            worst = (took, f"{text[:12]!r}...{text[-8:]!r}")
        if took > BOUND:
            break
    out.send(worst)


def slowest_input(name: str, texts: list[str]) -> tuple[float, str]:
    """The longest time FUNCTIONS[name] took on one of `texts`, run in a child process that
    is killed when the whole run exceeds HANG (reported as taking HANG)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_slowest, args=(name, texts, send), daemon=True)
    child.start()
    if not receive.poll(HANG):
        child.kill()
        child.join()
        return HANG, "(killed: still running)"
    worst = receive.recv()
    child.join()
    return worst


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_no_pattern_backtracks_catastrophically(name):
    took, text = slowest_input(name, _texts())
    assert took < BOUND, f"{name} took {took:.1f}s on {text}"


# -- the heading reader that replaced a backtracking pattern reads headings as it did --

OLD_HEADING_RE = re.compile(r"^\s*(?:#{1,6}\s+(?P<hash>.+?)\s*#*|\*\*(?P<bold>[^*\n]+)\*\*)\s*$")


def _old_first_heading(body: str) -> str | None:
    for line in body.split("\n"):
        if line.strip():
            match = OLD_HEADING_RE.match(line)
            return (match.group("hash") or match.group("bold")).strip() if match else None
    return None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("#* ab\n\t\r\x1c\u3000:"), max_size=14))
def test_heading_reader_agrees_with_the_pattern_it_replaced(text):
    assert first_heading(text) == _old_first_heading(text)
    assert is_heading(text) == ("\n" not in text.strip() and bool(OLD_HEADING_RE.match(text)))


OLD_ACRONYM_RE = re.compile(r"((?:[A-Z][\w’'-]*\s+)(?:(?:of|and|the|for|on|in)\s+|[A-Z][\w’'-]*\s+){1,9})\(([A-Z]{2,8})\)")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Status", "of", "Forces", "Agreement", "the", "(SOFA)", "(SFA)", "Rand", "Corp", "x", "-", "\n"]),
        max_size=14,
    )
)
def test_acronym_pattern_finds_what_it_found_at_word_starts(words):
    """The look-behind only drops matches starting inside a word, which texts of words never have."""
    text = " ".join(words)
    assert [m.groups() for m in analysis.acronym_pattern().finditer(text)] == [m.groups() for m in OLD_ACRONYM_RE.finditer(text)]
