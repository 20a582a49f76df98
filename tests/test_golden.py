"""Golden questions on the bundled corpus: question -> the citation that must come first."""

import json

import pytest
from conftest import BUNDLED

import sofa_cli

GOLDEN = [
    ("what did Hornung suggest?", "kyodo-sofa ¶19"),
    ("what did Hornung clarify?", "kyodo-sofa ¶20"),
    ("what did Tanaka say about the helicopter crash?", "tanaka-interview ¶4"),
    ("how many U.S. troops are stationed in Japan?", "kyodo-sofa ¶7"),
    ("50,000 troops", "kyodo-sofa ¶7"),
    ("where did Ishiba propose stationing the Self-Defense Forces?", "kyodo-sofa ¶6"),
    ("when did Ishiba assume office?", "kyodo-sofa ¶5"),
    ("who lost its majority in the House of Representatives?", "kyodo-sofa ¶4"),
    ("when was the SOFA established?", "kyodo-sofa ¶7"),
    ("what happened on an Okinawa university campus in 2004?", "kyodo-sofa ¶10"),
    ("what did Trump say about a Sony television?", "kyodo-sofa ¶15"),
    ("what did Nakashima advise?", "kyodo-sofa ¶23"),
    ("what did Nakashima welcome?", "kyodo-sofa ¶22"),
    ("how much will Japan spend on defense by fiscal 2027?", "kyodo-sofa ¶17"),
    ("why do critics in Okinawa see the agreement as biased?", "kyodo-sofa ¶8"),
    ("what will Ishiba's administration focus on in the coming months?", "tanaka-interview ¶10"),
    ("what challenges could Ishiba face from the U.S.?", "tanaka-interview ¶8"),
    ("how might the opposition in Okinawa influence political decisions?", "tanaka-interview ¶6"),
    ("who is Jeffrey Hornung?", "kyodo-sofa ¶13"),
    ("what did Hornung say about a cost-benefit analysis?", "kyodo-sofa ¶21"),
    ("flags at Kadena Air Base", "kyodo-sofa ¶1"),
    ("why does Ishiba see the security treaty as asymmetrical?", "kyodo-sofa ¶5"),
    ("what did Ishiba acknowledge?", "kyodo-sofa ¶12"),
    ("what do critics say about Trump's America First policy?", "kyodo-sofa ¶14"),
    ("how does Dr. Tanaka view Trump's return?", "tanaka-interview ¶2"),
    ("what did Hornug suggest?", "kyodo-sofa ¶19"),
]


@pytest.fixture(scope="module")
def bundled(shared_index_dir):
    """The bundled corpus through the library: golden questions test the ranking, not the CLI."""
    with sofa_cli.open(BUNDLED, shared_index_dir) as corpus:
        yield corpus


@pytest.mark.parametrize("question,citation", GOLDEN, ids=[q for q, _ in GOLDEN])
def test_golden_question_puts_expected_passage_first(bundled, question, citation):
    answer = bundled.ask(question)
    assert [r.citation for r in answer][:1] == [citation], [r.citation for r in answer]


def test_golden_questions_answer_the_same_from_the_command_line(sofa):
    """The CLI is a client of the library: its JSON carries the library's first result."""
    question, citation = GOLDEN[0]
    code, out, _ = sofa("ask", question, "--json")
    assert code == 0 and json.loads(out)["results"][0]["citation"] == citation


@pytest.mark.parametrize(
    "question",
    ["what is the capital of France?", "the of and", "?!", "Eiffel Tower opening hours"],
)
def test_question_without_shared_words_gets_no_answer(sofa, question):
    code, out, err = sofa("ask", question, "--json")
    assert code == 1
    assert json.loads(out)["results"] == []
