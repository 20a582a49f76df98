"""`--format` rich / plain / markdown / json on ask, with and without --explain."""

from __future__ import annotations

import json
import re

import pytest

HORNUNG = "what did Hornung suggest?"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_plain_is_the_default_when_stdout_is_not_a_terminal(sofa):
    _, default, _ = sofa("ask", HORNUNG)
    _, plain, _ = sofa("ask", HORNUNG, "--format", "plain")
    assert default == plain


def test_plain_lists_rank_citation_title_score_and_answer(sofa):
    code, out, _ = sofa("ask", HORNUNG, "-f", "plain", "-k", "2")
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(r"1\. kyodo-sofa ¶19 · .*Trump's return .+ \(score \d+\.\d\d\)", lines[0])
    assert lines[1].startswith("   > Hornung suggested that while")
    assert [line for line in lines if re.match(r"\d\. ", line)][1].startswith("2. ")


def test_plain_names_the_speaker_of_an_interview_turn(sofa):
    _, out, _ = sofa("ask", "what did Tanaka say about the helicopter crash?", "-f", "plain", "-k", "1")
    assert out.startswith("1. tanaka-interview ¶4 · Dr. Tanaka · Interview with Dr. Keiko Tanaka")


def test_markdown_has_a_heading_per_question_and_result(sofa):
    _, out, _ = sofa("ask", HORNUNG, "-f", "markdown", "-k", "1")
    assert out.startswith("## what did Hornung suggest?\n\n### 1. kyodo-sofa ¶19 · ")
    assert "> **Hornung suggested that while" in out  # the answering sentence in bold


def test_markdown_escapes_markup_in_the_question(sofa):
    _, out, _ = sofa("ask", "Hornung *suggest* [link]", "-f", "markdown", "-k", "1")
    assert out.startswith("## Hornung \\*suggest\\* \\[link\\]\n")


def test_json_is_the_same_as_dash_dash_json(sofa):
    _, a, _ = sofa("ask", HORNUNG, "--format", "json")
    _, b, _ = sofa("ask", HORNUNG, "--json")
    assert a == b
    assert json.loads(a)["results"][0]["citation"] == "kyodo-sofa ¶19"


def test_rich_without_a_terminal_has_no_escape_codes(sofa):
    code, out, _ = sofa("ask", HORNUNG, "--format", "rich")
    assert code == 0
    assert "\x1b" not in out
    assert out.startswith("1. kyodo-sofa ¶19 · ")


def test_rich_highlights_matched_words_when_colour_is_forced(sofa):
    _, out, _ = sofa("ask", HORNUNG, "--format", "rich", "-k", "1", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[30;43mHornung" in out or "\x1b[1;30;43mHornung" in out  # black on yellow
    assert ANSI.sub("", out).startswith("1. kyodo-sofa ¶19 · ")


def test_no_color_keeps_rich_free_of_colour(sofa):
    _, out, _ = sofa("ask", HORNUNG, "--format", "rich", "-k", "1", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[1m" in out  # still a terminal: bold stays
    assert [code for code in ANSI.findall(out) if re.search(r"\[(3|4|9)\d", code)] == []


def test_plain_never_has_escape_codes_even_when_colour_is_forced(sofa):
    _, out, _ = sofa("ask", HORNUNG, "--format", "plain", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert out.startswith("1. kyodo-sofa ¶19") and "\x1b" not in out


def test_unknown_format_is_a_one_line_error(sofa):
    code, _, err = sofa("ask", HORNUNG, "--format", "yaml")
    assert code == 2
    assert err == "sofa: error: unknown format 'yaml' (choose from rich, plain, markdown, json)\n"


# -- --explain in every format -------------------------------------------------------------------

EXPLAIN_RE = re.compile(
    r"explain:\*? (?P<terms>.+) = BM25 (?P<bm25>[\d.]+); \+ evidence (?P<ev>-?[\d.]+) = score (?P<score>[\d.]+)"
)


def test_explain_json_parts_add_up_to_the_score(sofa):
    _, out, _ = sofa("ask", HORNUNG, "--json", "--explain", "-k", "3")
    for r in json.loads(out)["results"]:
        e = r["explain"]
        assert set(e["terms"]) == {"hornung", "suggest"}
        assert sum(e["terms"].values()) == pytest.approx(e["bm25"], abs=1e-5)
        assert e["bm25"] + e["evidence"] == pytest.approx(r["score"], abs=1e-5)


def test_explain_is_left_out_of_json_unless_asked(sofa):
    _, out, _ = sofa("ask", HORNUNG, "--json")
    assert all("explain" not in r for r in json.loads(out)["results"])


def test_explain_counts_a_term_the_passage_lacks_by_the_models_constant(sofa):
    _, out, _ = sofa("ask", HORNUNG, "--json", "--explain", "-k", "3")
    results = json.loads(out)["results"]
    lacking = [r for r in results if "suggest" not in r["text"].lower()]
    having = [r for r in results if "suggested" in r["text"]]
    assert lacking and having
    assert 0 < lacking[0]["explain"]["terms"]["suggest"] < having[0]["explain"]["terms"]["suggest"]


@pytest.mark.parametrize("fmt", ["plain", "markdown", "rich"])
def test_explain_line_in_human_formats_matches_the_json(sofa, fmt):
    _, out, _ = sofa("ask", HORNUNG, "--explain", "-k", "1", "-f", fmt)
    _, raw, _ = sofa("ask", HORNUNG, "--explain", "-k", "1", "--json")
    result = json.loads(raw)["results"][0]
    match = EXPLAIN_RE.search(" ".join(out.replace("\\", "").split()))  # rich wraps at 80 columns
    assert match, out
    assert match.group("score") == f"{result['score']:.2f}"
    assert match.group("bm25") == f"{result['explain']['bm25']:.2f}"
    assert match.group("terms") == " + ".join(f"{t} {w:.2f}" for t, w in result["explain"]["terms"].items())


@pytest.mark.parametrize("fmt", ["plain", "markdown", "rich"])
def test_no_explain_line_unless_asked(sofa, fmt):
    _, out, _ = sofa("ask", HORNUNG, "-f", fmt)
    assert "explain" not in out


# -- issue 14 #3: --color, FORCE_COLOR, no padding ---------------------------------------------------


def test_force_color_makes_piped_output_rich_and_coloured(sofa):
    code, out, _ = sofa("ask", HORNUNG, "-k", "1", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert code == 0
    assert "\x1b[" in out and ANSI.sub("", out).startswith("1. kyodo-sofa ¶19 · ")


def test_color_always_colours_a_pipe_even_under_no_color(sofa):
    _, out, _ = sofa("ask", HORNUNG, "-k", "1", "--color", "always", env={"NO_COLOR": "1"})
    assert "\x1b[30;43mHornung" in out or "\x1b[1;30;43mHornung" in out


def test_color_never_wins_over_force_color(sofa):
    _, out, _ = sofa("ask", HORNUNG, "-k", "1", "-f", "rich", "--color", "never", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b" not in out and out.startswith("1. kyodo-sofa ¶19 · ")


def test_color_values_are_case_insensitive_and_checked(sofa):
    assert sofa("ask", HORNUNG, "--color", "NEVER")[0] == 0
    code, _, err = sofa("ask", HORNUNG, "--color", "sometimes")
    assert code == 2 and err == "sofa: error: unknown --color value 'sometimes' (choose from auto, always, never)\n"


@pytest.mark.parametrize(
    "args", [("ask", HORNUNG, "-f", "rich"), ("sources", "-f", "rich"), ("show", "kyodo-sofa ¶19", "-f", "rich")]
)
def test_piped_rich_output_is_not_padded_to_the_width(args, sofa):
    for env in ({}, {"FORCE_COLOR": "1", "NO_COLOR": ""}):
        _, out, _ = sofa(*args, env=env)
        lines = ANSI.sub("", out).splitlines()
        assert lines and not [line for line in lines if line.endswith(" ")], (args, env)


# -- issue 14 #4: batches head each answer with its question -------------------------------------------

BATCH = "what did Hornung suggest?\ncapital of France\nwho is Jeffrey Hornung?\n"


def test_plain_batch_heads_each_answer_with_its_question(sofa):
    code, out, _ = sofa("ask", "-", "-k", "1", "-f", "plain", input=BATCH)
    assert code == 0
    heads = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert heads[0] == "Q: what did Hornung suggest?" and heads[1].startswith("1. kyodo-sofa ¶19")
    assert heads[2] == "Q: capital of France"
    assert heads[3] == "Q: who is Jeffrey Hornung?" and heads[4].startswith("1. ")
    assert out.split("Q: capital of France\n")[1].startswith("   no answer\n")


def test_rich_batch_heads_each_answer_and_says_no_answer(sofa):
    _, out, _ = sofa("ask", "-", "-k", "1", "-f", "rich", input=BATCH)
    lines = out.splitlines()
    assert lines[0] == "what did Hornung suggest?" and lines[1].startswith("1. kyodo-sofa ¶19")
    at = lines.index("capital of France")
    assert lines[at + 1] == "   no answer"
    assert "who is Jeffrey Hornung?" in lines[at + 2 :]


def test_markdown_batch_says_no_answer_under_its_heading(sofa):
    _, out, _ = sofa("ask", "-", "-k", "1", "-f", "md", input=BATCH)
    assert "## capital of France\n\n*no answer*\n\n## who is Jeffrey Hornung?\n" in out


def test_json_batch_stays_one_line_per_question(sofa):
    _, out, _ = sofa("ask", "-", "-k", "1", "--json", input=BATCH)
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in records] == BATCH.splitlines()
    assert records[1]["results"] == []


def test_a_single_question_has_no_heading(sofa):
    _, out, _ = sofa("ask", HORNUNG, "-f", "plain")
    assert out.startswith("1. kyodo-sofa ¶19")


def test_a_correction_is_said_once(sofa):
    _, _, err = sofa("ask", "hornug hornug hornug suggest", "-k", "1")
    assert err.count("no match for 'hornug'") == 1


def test_a_correction_is_listed_once_in_json(sofa):
    _, out, _ = sofa("ask", "hornug hornug hornug suggest", "-k", "1", "--json")
    assert json.loads(out)["corrections"] == [["hornug", "hornung"]]
