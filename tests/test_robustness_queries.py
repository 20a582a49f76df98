"""Bad queries: a one-line error (exit 2), or no answer (exit 1), never a traceback (docs/robustness.md)."""

import json

import pytest

from tests.conftest import run_process


def assert_clean_stderr(err: str) -> None:
    assert "Traceback" not in err
    assert "\x1b" not in err


@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\x1b[0m\x07"])
def test_empty_or_blank_question_is_a_one_line_error(sofa, question):
    code, out, err = sofa("ask", question)
    assert code == 2
    assert out == ""
    assert err == 'sofa: error: the question is empty (ask e.g. sofa ask "what did Hornung suggest?", or - to read stdin)\n'


@pytest.mark.parametrize("question", ["the of and", "what is it?", "?!.,;:()", "…—–“”"])
def test_stopwords_or_punctuation_only_get_no_answer(sofa, question):
    code, out, err = sofa("ask", question, "--json")
    assert code == 1
    assert json.loads(out) == {"question": question, "results": [], "corrections": [], "unknown": []}
    assert_clean_stderr(err)


def test_ten_thousand_character_question_is_cut_with_warning(sofa):
    # (Hornung suggested nothing about Okinawa: passages on the topic now come first, issue 13)
    question = ("what did Hornung suggest about fighter detachments " * 200)[:10_000]
    code, out, err = sofa("ask", question, "--json")
    assert code == 0
    assert json.loads(out)["results"][0]["citation"] == "kyodo-sofa ¶19"
    assert "the question has 10,000 characters; only the first 1,000 are used" in err
    assert_clean_stderr(err)


def test_control_characters_in_question_are_ignored(sofa):
    code, out, err = sofa("ask", "\x1b[31mwhat did Hornung\x1b[0m suggest?\x00\x07\x9b2J", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["results"][0]["citation"] == "kyodo-sofa ¶19"
    assert answer["corrections"] == []  # "[31mHornung" was not read as a misspelt word
    assert_clean_stderr(err)


@pytest.mark.parametrize("question", ["日本の首相は誰ですか", "😀🇯🇵🔥", "Ishiba 首相 😀"])
def test_japanese_and_emoji_questions_do_not_crash(sofa, question):
    code, out, err = sofa("ask", question, "--json")
    assert code in (0, 1)
    assert json.loads(out)["question"] == question
    assert_clean_stderr(err)


def test_japanese_words_are_found_in_a_japanese_corpus(tmp_path):
    from typer.testing import CliRunner

    from sofa_cli.cli import app

    (tmp_path / "jp.md").write_text("石破首相は 日米地位協定 の改定を求めた。\n\nOther paragraph 😀.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ask", "日米地位協定", "--corpus", str(tmp_path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"][0]["passage"] == 1


@pytest.mark.parametrize(
    "question",
    [".*", "[a-z]+(?=x)$", "Hornung\\", "$(rm -rf ~)", "`id`; echo pwned | cat && ls > /tmp/x", "%s %n {0} {}", "'\"", "\\x00"],
)
def test_regex_and_shell_metacharacters_are_plain_text(sofa, question):
    code, out, err = sofa("ask", question, "--json")
    assert code in (0, 1)
    assert json.loads(out)["question"] == question
    assert_clean_stderr(err)


def test_metacharacters_around_a_real_word_still_find_it(sofa):
    code, out, err = sofa("ask", "(Hornung)* | $Okinawa?", "--json")
    assert code == 0
    assert json.loads(out)["results"]


def test_non_utf8_stdin_line_is_decoded_and_the_batch_goes_on(shared_index_dir):
    proc = run_process(
        "ask",
        "-",
        "--json",
        input=b"what did Hornung suggest?\n\xff\xfe\xc3( bad line\nKadena flags\n",
        env={"SOFA_INDEX_DIR": shared_index_dir},
    )
    assert proc.returncode == 0
    lines = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(lines) == 3
    assert lines[0]["results"][0]["citation"] == "kyodo-sofa ¶19"
    assert lines[1]["question"].endswith("( bad line") and "\ufffd" in lines[1]["question"]
    assert lines[2]["results"]
    err = proc.stderr.decode("utf-8")
    assert "sofa: stdin line 2 is not valid UTF-8; decoded with replacement characters" in err
    assert "Traceback" not in err


def test_blank_stdin_lines_are_skipped(shared_index_dir):
    proc = run_process("ask", "-", "--json", input=b"\n   \nKadena flags\n\n", env={"SOFA_INDEX_DIR": shared_index_dir})
    assert proc.returncode == 0
    assert len(proc.stdout.decode().splitlines()) == 1


def test_words_looked_up_for_questions_are_not_all_kept(shared_index_dir):
    """Issue 17 #15: every word a question asks about is looked up in the index, found or
    not, and a stdin batch of 100,000 questions of new words kept them all (RSS 37 -> 83 MB).
    The look-ups kept are bounded (index/reader.py: LOOKUPS_KEPT)."""
    import gc
    import tracemalloc

    import sofa_cli
    from sofa_cli.index.reader import LOOKUPS_KEPT

    words = [f"zq{i:07d}x" for i in range(LOOKUPS_KEPT + 4_000)]  # none is a corpus word
    with sofa_cli.open(None, shared_index_dir) as corpus:
        gc.collect()
        tracemalloc.start()
        try:
            for word in words:
                corpus.index.stem_of(word)
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    assert kept < 1_000_000  # 2.6 MB and growing when every word was kept
