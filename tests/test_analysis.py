"""The analyser, the segmenter and attribution: pure stages, tested directly."""

import pytest

from sofa_cli.corpus.attribution import attribute
from sofa_cli.corpus.documents import Document, parse_front_matter
from sofa_cli.corpus.paragraphs import split_paragraphs
from sofa_cli.corpus.segment import passages_of, sentence_spans
from sofa_cli.query.question import VERB_FAMILIES, answer_type
from sofa_cli.text.analysis import acronym_definitions, analyse, stem, tokenize


@pytest.mark.parametrize(
    "a,b",
    [
        ("Ishiba’s", "Ishiba"),
        ("Ishiba's", "Ishiba"),
        ("suggested", "suggest"),
        ("SUGGESTS", "suggest"),
        ("50,000", "50000"),
        ("“asymmetrical.”", "asymmetrical"),
    ],
)
def test_forms_that_must_match(a, b):
    assert analyse(a) == analyse(b)
    assert analyse(a)


def test_numbers_are_kept():
    assert analyse("over 50,000 troops in 2004") == ["50000", "troop", "2004"]


def test_stopwords_removed_and_acronym_kept():
    assert analyse("what did the U.S. say") == ["u.s", "say"]


def test_token_spans_point_into_original_text():
    text = "Ishiba’s “unfairness” — 50,000 U.S. troops"
    for token in tokenize(text):
        assert text[token.start : token.end].casefold().startswith(token.form.split(".")[0][:2])


def test_verb_family_stems_are_snowball_stems():
    """The families are written out as stems so the query path needs no nltk; they must stay true."""
    words = "suggest propose recommend advise urge say state argue contend warn caution clarify explain"
    stems = {stem(w) for w in words.split()}
    assert stems <= set().union(*VERB_FAMILIES)


def test_us_abbreviation_does_not_split_sentence():
    text = "The U.S. has similar agreements globally. Dr. Tanaka agreed."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["The U.S. has similar agreements globally.", "Dr. Tanaka agreed."]


def test_closing_quote_stays_with_its_sentence():
    text = "He said “it is over.” Then he left."
    assert [text[a:b] for a, b in sentence_spans(text)] == ["He said “it is over.”", "Then he left."]


def test_paragraphs_blank_lines_or_one_per_line():
    assert split_paragraphs("a\nb\n\nc") == ["a b", "c"]  # inner line breaks are wrapping (issue 13)
    assert split_paragraphs("a\nb\nc\n") == ["a", "b", "c"]


def test_front_matter():
    meta, body = parse_front_matter("---\ntitle: T\nkind: interview\n---\nBody\n")
    assert meta == {"title": "T", "kind": "interview"}
    assert body == "Body\n"


def _doc(body, kind="article"):
    return Document(id="d", path="d.md", title="t", kind=kind, body=body)


def test_interview_turns_have_speaker_and_prompt():
    body = "**Editor:** Why does it matter?\n\n**Dr. Tanaka:** Because it does.\n"
    first, second = passages_of(_doc(body, "interview"))
    assert (first.speaker, first.text) == ("Editor", "Why does it matter?")
    assert (second.speaker, second.text, second.prompt) == ("Dr. Tanaka", "Because it does.", "Why does it matter?")


def test_attribution_carries_pronoun_to_last_named_speaker():
    body = (
        "Jeffrey Hornung, a scientist at Rand, highlighted the risks.\n"
        "Hornung suggested that ideas could help.\n"
        "“It means access to bases,” he clarified.\n"
        "Nakashima welcomed the vision.\n"
        "“He must cultivate trust,” he advised.\n"
    )
    passages = attribute(_doc(body), passages_of(_doc(body)))
    assert [p.attributions for p in passages] == [
        ("Jeffrey Hornung",),
        ("Jeffrey Hornung",),
        ("Jeffrey Hornung",),
        ("Nakashima",),
        ("Nakashima",),
    ]


def test_attribution_ignores_group_subjects():
    body = "Experts indicate that reform is hard.\nCritics argue it is biased.\n"
    passages = attribute(_doc(body), passages_of(_doc(body)))
    assert [p.attributions for p in passages] == [(None,), (None,)]


def test_acronym_definition():
    assert acronym_definitions("revise the Status of Forces Agreement (SOFA) now") == {"sofa": ["status", "forc", "agreement"]}
    long_name = "the Taskforce of United Methodists on Abortion and Sexuality (TUMAS) met"
    assert acronym_definitions(long_name)["tuma"] == ["taskforc", "unit", "methodist", "abort", "sexual"]


@pytest.mark.parametrize("text", ["The V&A opened", "AT&T and R&D", "café V&A"])
def test_short_names_joined_by_ampersand_are_one_token(text):
    assert [t.form for t in tokenize(text) if "&" in t.form] == [w.casefold() for w in text.split() if "&" in w]


def test_words_around_a_spaced_ampersand_stay_apart():
    assert [t.form for t in tokenize("Light & Power, Procter&Gamble")] == ["light", "power", "procter", "gamble"]


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When was the Status of Forces Agreement established?", "time"),
        ("In what year did the base open?", "time"),
        ("How old was Manning when he played in Super Bowl 50?", "number"),
        ("What is the estimate of how many physicians dispense drugs?", "number"),
        ("Prior to Manning, who was the oldest quarterback?", "name"),
        ("Transport safety is dealt with by whom?", "name"),
        ("Where did the settlers land?", "place"),
        ("Which company built the steam engine indicator?", "name"),
        ("Why did the harbour close?", "reason"),
        # a later "when" relates a clause; "Doctor Who" is a name, not a question word
        ("What sea bordered the empire when Genghis Khan died?", None),
        ("What type of beings does Doctor Who take on his travels?", None),
    ],
)
def test_answer_type_is_read_at_the_asking_wh_word(question, kind):
    assert answer_type(question) == kind


def test_every_synonym_group_joins_words_of_different_stems_and_no_stopwords():
    from sofa_cli.index.vocabulary import synonym_groups
    from sofa_cli.text.analysis import is_stopword
    from sofa_cli.text.synonyms import SYNONYM_GROUPS

    assert len(synonym_groups()) == len(SYNONYM_GROUPS)
    assert not [w for group in SYNONYM_GROUPS for w in group if is_stopword(w)]


def test_a_question_compiles_neither_the_builds_acronym_pattern_nor_the_ampersand_tokenizers():
    """Compiling a pattern costs a one-shot `sofa ask` millions of instructions: the ones a
    question does not need are compiled on first use (a fresh process: other tests use them)."""
    import subprocess
    import sys

    probe = (
        "from sofa_cli.text import analysis as a\n"
        "a.analyse('what did Hornung suggest about the U.S. forces?')\n"
        "print(a.acronym_pattern.cache_info().currsize, a.amp_token_patterns.cache_info().currsize)\n"
        "a.analyse('AT&T')\n"
        "print(a.amp_token_patterns.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "0", "1"]
