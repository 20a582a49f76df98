"""The fast paths of the index build give exactly what the code they short-cut gives.

- `sentence_spans` (Punkt's decisions reduced to rules for plain contexts) against
  `punkt_sentence_spans` (nltk's PunktSentenceTokenizer itself);
- `attribution._names_in` (the name pattern tried only where a match can start) against
  `_ANY_NAME_RE.finditer`; the reporting-verb check against the verb patterns; the subject
  pattern's look-ahead against the pattern without it;
- the ASCII token pattern against the one it replaced.
bench/segment_equivalence.py checks the same over whole corpora.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sofa_cli.corpus import attribution
from sofa_cli.corpus.segment import punkt_sentence_spans, sentence_spans
from sofa_cli.text import analysis

TRICKY = [
    "Dr. Tanaka said so. Then he left.",
    "J. R. Smith arrived. He sat down.",
    "The U.S. has similar agreements. The U.K. does too.",
    "It grew in 1990. the next year it fell. In 1991. It rose.",
    "Wait... What? Really! Yes.",
    "Wait.. what. And then.",
    'He said "it is over." Then he left.',
    "He said “it is over.” Then he left.",
    "(This is one.) This is two.",
    "[Done.] Next one. {Braces.} More.",
    "See e.g. the report. Also i.e. this one.",
    "The ex-Gov. Smith spoke. The ex-gov. spoke.",
    "Words   with  spaces.   Next\tone.\n\nNew paragraph.\nLine two.",
    "Tōkyō is big. Ōsaka is too. Zürich. Ärger. É. Ça va.",
    "A. B. C. d. 1. 2. 3. x.",
    "No. 5 is here. Nos. 6 and 7. vs. them.",
    "Very bad acting!!! I promise. Really?! Yes?? No.",
    "It cost $5.50. That is 50,000. Or 2.5. Fine.",
    "He wrote: 'Done.' She said, 'No.' End.",
    "A sentence.\u201cQuoted next.\u201d Another.",
    "Mr. Smith. Mrs. Jones. Ms. Doe. Prof. X. Gen. Y.",
    "It ended. ; then more. : colon. , comma.",
    "The 1990s. The 2000-01 season. 3-for-4. Then.",
    "U.S.A. (to wit) and I.R.A.' said. Done.",
    "cases.. (1) are.. (a) precision,. (b) ok.",
    "Ends with abbreviation etc.",
    "Number at end 42.",
    "Initial at end Z.",
    "x.\x1c y. Z.\x1c\x1d next? \x1e! end.",
    "Hi.\u00a0There. Non-breaking\u00a0space.\u2003Em space.",
    "Line one.\r\nLine two.\r\nLine three.",
    "'Quoted.' \"Double.\" ‘Single curly.’ «Guillemets.» Next.",
    "Hmm.) Odd. ]Odd2. --dash. Start.-- x.",
    ". Leading period. ? Leading question.",
    "A.B.C. the. a.b. The. St. Louis. Mt. Fuji. Ft. Worth.",
]

FRAGMENTS = [
    "Dr.",
    "Mr.",
    "U.S.",
    "e.g.",
    "ex-Gov.",
    "J.",
    "R.",
    "x.",
    "1990.",
    "50,000.",
    "2.5",
    "the",
    "The",
    "said",
    "He",
    "in",
    "Smith",
    "Tōkyō",
    "über",
    "Élan.",
    "...",
    "..",
    ". . .",
    "?",
    "!",
    "?!",
    ".",
    '"',
    "”",
    "“",
    "’",
    "'",
    ")",
    "(",
    "]",
    "--",
    "-",
    ",",
    ";",
    ":",
    "etc.",
    "no.",
    "No.",
    "a.m.",
    "1.",
    "iii.",
    "\x1c",
]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "", ""]

texts = st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), max_size=25).map(
    lambda parts: "".join(a + b for a, b in parts)
)


def test_fast_sentence_spans_equal_punkt_on_tricky_texts():
    for text in TRICKY:
        assert sentence_spans(text) == punkt_sentence_spans(text), text


def test_candidate_pattern_finds_punkts_candidates_around_every_code_point():
    """The candidate pattern runs on `re` with \\s narrowed to the `regex` module's: the same
    candidates (span, the token after) as nltk's own pattern, whatever character stands
    before, after or inside the token that follows."""
    from sofa_cli.corpus.segment import _punkt, _punkt_parts

    period = _punkt()._lang_vars.period_context_re()
    original = getattr(period, "_rx", period).finditer
    finditer = _punkt_parts()[0]

    def candidates(find, text):
        return [(m.span(), m.group("after_tok"), m.group("next_tok")) for m in find(text)]

    for code in [*range(0x3100), *range(0xFE00, 0x10000)]:
        c = chr(code)
        text = f"Ab{c}. x{c}y!{c}z. {c} q?"
        assert candidates(finditer, text) == candidates(original, text), hex(code)


@settings(max_examples=120, deadline=None)
@given(texts)
def test_fast_sentence_spans_equal_punkt(text):
    assert sentence_spans(text) == punkt_sentence_spans(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("aB1 .?!'\"”)(-\n\x1cÉz,;:"), max_size=40))
def test_fast_sentence_spans_equal_punkt_on_any_text(text):
    assert sentence_spans(text) == punkt_sentence_spans(text)


NAME_TEXTS = st.lists(
    st.sampled_from(
        [
            "Prime Minister",
            "Mr.",
            "Mr",
            "Dr.",
            "President",
            "Jeffrey",
            "Hornung",
            "O'Brien",
            "The",
            "He",
            "said",
            "he",
            "also",
            "noted",
            "AP",
            "US",
            "a",
            ",",
            ".",
            "“",
            "Smith-Jones",
            "McDonald",
            "X",
            "Ab",
            "ABC",
            "said,",
        ]
    ),
    max_size=20,
).map(" ".join)


@settings(max_examples=120, deadline=None)
@given(NAME_TEXTS)
def test_names_in_equals_finditer(text):
    fast = [(m.span(), m.group("name")) for m in attribution._names_in(text)]
    assert fast == [(m.span(), m.group("name")) for m in attribution._ANY_NAME_RE.finditer(text)]


@settings(max_examples=120, deadline=None)
@given(NAME_TEXTS)
def test_no_reporting_verb_means_no_verb_pattern_matches(text):
    if not attribution._has_reporting_verb(text):
        assert not attribution._SUBJECT_RE.search(text)
        assert not attribution._PRONOUN_RE.search(text)


@settings(max_examples=200, deadline=None)
@given(NAME_TEXTS)
def test_subject_pattern_finds_what_it_finds_without_its_look_ahead(text):
    plain = re.compile(attribution._SUBJECT_RE.pattern.removeprefix("(?=[A-Z][a-z])"))
    assert plain.pattern != attribution._SUBJECT_RE.pattern
    found = [(m.span(), m.group("name")) for m in attribution._SUBJECT_RE.finditer(text)]
    assert found == [(m.span(), m.group("name")) for m in plain.finditer(text)]


READABLE_ASCII_TOKEN_RE = re.compile(r"(?:[A-Za-z]\.){2,}|\d+(?:[.,]\d+)*|[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*'?")
READABLE_ASCII_AMP = r"(?:(?<=[A-Za-z])&[A-Za-z]{1,3}(?![A-Za-z0-9]))?"
READABLE_ASCII_TOKEN_AMP_RE = re.compile(READABLE_ASCII_TOKEN_RE.pattern + READABLE_ASCII_AMP)


@settings(max_examples=120, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09.,' -_x&\n"), max_size=40))
def test_ascii_token_pattern_matches_the_readable_one(text):
    readable = READABLE_ASCII_TOKEN_AMP_RE if "&" in text else READABLE_ASCII_TOKEN_RE
    assert [m.span() for m in analysis.token_pattern(text).finditer(text)] == [m.span() for m in readable.finditer(text)]
    no_amp = text.replace("&", " ")
    assert [m.span() for m in analysis._ASCII_TOKEN_RE.finditer(no_amp)] == [
        m.span() for m in READABLE_ASCII_TOKEN_RE.finditer(no_amp)
    ]


@settings(max_examples=120, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09.,' -_x&\n"), max_size=40))
def test_ascii_and_unicode_token_patterns_agree_on_ascii_text(text):
    for ascii_pattern, unicode_pattern in (
        (analysis._ASCII_TOKEN_RE, analysis._TOKEN_RE),
        analysis.amp_token_patterns(),
    ):
        assert [m.span() for m in ascii_pattern.finditer(text)] == [m.span() for m in unicode_pattern.finditer(text)]


@settings(max_examples=120, deadline=None)
@given(st.lists(NAME_TEXTS, min_size=1, max_size=4).map(". ".join), st.integers(0, 40), st.integers(0, 60))
def test_names_someone_from_the_passage_matches_equals_a_scan_of_the_sentence(text, a, b):
    names = [(m.start(), m.end(), attribution._clean(m.group("name"))) for m in attribution._names_in(text)]
    spans = [(s, e) for s, e in sentence_spans(text)] + [(min(a, len(text)), min(max(a, b), len(text)))]
    for start, end in spans:
        one, two = attribution._People(), attribution._People()
        for person in (one, two):
            person.canonical("Jeffrey Hornung")
        fast = attribution._names_someone_in(text, start, end, names, one)
        assert fast == attribution._names_someone(text[start:end], two)
        assert one.full == two.full


def test_a_form_whose_stem_is_empty_is_no_term(tmp_path):
    """The compiler stems forms; one with an empty stem is dropped from its passage, as
    the analyser used to drop it (never seen with Snowball, kept exact all the same)."""
    from sofa_cli.corpus.segment import Passage
    from sofa_cli.index import bm25
    from sofa_cli.index.compiler import Compiler
    from sofa_cli.index.terms import TermNumberer, pack_document
    from sofa_cli.text.analysis import stem

    passages = [
        Passage(1, "Zebra zebra runs fast.", ((0, 22),), attributions=(None,)),
        Passage(2, "Lions run.", ((0, 10),), attributions=(None,)),
    ]
    record = {"id": "d", "path": "d.md", "title": "D", "kind": "article", "source": None, "author": None}
    record.update(date=None, url=None)
    build = Compiler(bm25.BM25Params(), stem=lambda form: "" if form == "zebra" else stem(form))
    numberer = TermNumberer()
    packed = pack_document(passages, numberer)
    build.add_vocabulary(numberer.take_new())
    build.add(record, packed)
    header, sections = build.finish(tmp_path, [])
    assert header["avgdl"] == 2.0  # "run fast" and "lion run": the zebras are no terms
    terms = bytes(sections["term_blob"]).decode()
    assert "zebra" not in terms and "fast" in terms
