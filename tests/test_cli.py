"""The command line's contract: JSON shape, exit codes, stdin batches, pipes, errors."""

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT, run_process

RESULT_KEYS = {
    "rank": int,
    "score": float,
    "doc": str,
    "title": str,
    "path": str,
    "kind": str,
    "passage": int,
    "text": str,
    "answer": str,
    "highlights": list,
    "citation": str,
}


def test_json_contract(sofa):
    code, out, err = sofa("ask", "what did Hornung suggest?", "--json")
    assert code == 0
    lines = out.strip().split("\n")
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["question"] == "what did Hornung suggest?"
    assert 2 <= len(record["results"]) <= 3
    for rank, r in enumerate(record["results"], start=1):
        for key, typ in RESULT_KEYS.items():
            assert isinstance(r[key], typ), key
        assert r["rank"] == rank
        assert r["kind"] in ("article", "interview")
        assert r["speaker"] is None or isinstance(r["speaker"], str)
        assert r["answer"] in r["text"]
        assert r["citation"] == f"{r['doc']} ¶{r['passage']}"
        for start, end in r["highlights"]:
            assert 0 <= start < end <= len(r["text"])
    scores = [r["score"] for r in record["results"]]
    assert scores == sorted(scores, reverse=True)
    top = record["results"][0]
    assert top["citation"] == "kyodo-sofa ¶19"
    assert "Singapore" in top["answer"]
    words = {top["text"][a:b] for a, b in top["highlights"]}
    assert {"Hornung", "suggested"} <= words


def test_text_is_verbatim_from_corpus_file(sofa):
    _, out, _ = sofa("ask", "what did Hornung suggest?", "--json")
    top = json.loads(out)["results"][0]
    source = (ROOT / "corpus" / top["path"]).read_text(encoding="utf-8")
    assert top["text"] in source


def test_interview_result_carries_speaker(sofa):
    _, out, _ = sofa("ask", "what did Tanaka say about the helicopter crash?", "--json", "-k", "1")
    top = json.loads(out)["results"][0]
    assert top["kind"] == "interview"
    assert top["speaker"] == "Dr. Tanaka"
    assert "helicopter crash" in top["answer"]


def test_limit_option(sofa):
    _, out, _ = sofa("ask", "Ishiba SOFA", "--json", "-k", "5")
    assert len(json.loads(out)["results"]) == 5
    _, out, _ = sofa("ask", "Ishiba SOFA", "--json", "--limit", "1")
    assert len(json.loads(out)["results"]) == 1


def test_no_match_exits_1_with_empty_results(sofa):
    code, out, err = sofa("ask", "what is the capital of France?", "--json")
    assert code == 1
    record = json.loads(out)
    assert record["question"] == "what is the capital of France?"
    assert record["results"] == []
    assert record["unknown"] == ["capital", "france"]


def test_unknown_corpus_folder_is_usage_error(sofa, tmp_path):
    code, out, err = sofa("ask", "anything", "--corpus", str(tmp_path / "nope"))
    assert code == 2
    assert out == ""
    assert err.startswith("sofa: error: corpus folder not found")
    assert len(err.strip().splitlines()) == 1


def test_corpus_from_environment(sofa, tmp_path):
    (tmp_path / "notes.md").write_text("Penguins live in Antarctica.\n\nCamels live in deserts.\n")
    code, out, _ = sofa("ask", "where do camels live?", "--json", env={"SOFA_CORPUS": str(tmp_path)})
    assert code == 0
    assert json.loads(out)["results"][0]["citation"] == "notes ¶2"


def test_stdin_batch_in_order(sofa):
    questions = "what did Hornung suggest?\n\nwhat is the capital of France?\nwhat did Nakashima advise?\n"
    code, out, _ = sofa("ask", "-", "--json", "-k", "1", input=questions)
    assert code == 0
    records = [json.loads(line) for line in out.strip().split("\n")]
    assert [r["question"] for r in records] == [
        "what did Hornung suggest?",
        "what is the capital of France?",
        "what did Nakashima advise?",
    ]
    assert [len(r["results"]) for r in records] == [1, 0, 1]


def test_stdin_batch_with_no_answers_exits_1(sofa):
    code, _, _ = sofa("ask", "-", "--json", input="capital of France\nEiffel Tower\n")
    assert code == 1


def test_plain_output_has_citation_and_answer_no_ansi(sofa):
    code, out, _ = sofa("ask", "what did Hornung suggest?", "--format", "plain", "-k", "1")
    assert code == 0
    assert "kyodo-sofa ¶19" in out
    assert "Singapore" in out
    assert "\x1b[" not in out


def test_pipe_output_has_no_ansi_codes(shared_index_dir):
    proc = run_process("ask", "what did Hornung suggest?", env={"NO_COLOR": "", "SOFA_INDEX_DIR": shared_index_dir})
    assert proc.returncode == 0
    assert b"\x1b[" not in proc.stdout
    assert "kyodo-sofa ¶19".encode() in proc.stdout


def test_rich_format_without_terminal_honours_no_color(sofa):
    code, out, _ = sofa("ask", "what did Hornung suggest?", "--format", "rich", "-k", "1", env={"NO_COLOR": "1"})
    assert code == 0
    assert "kyodo-sofa ¶19" in out
    assert "\x1b[" not in out


def test_closed_pipe_ends_quietly(shared_index_dir):
    questions = "\n".join(["what did Hornung suggest?"] * 300) + "\n"
    proc = subprocess.run(
        f"{sys.executable} -m sofa_cli ask - --json | head -1",
        shell=True,
        input=questions.encode(),
        capture_output=True,
        env=dict(os.environ, SOFA_INDEX_DIR=shared_index_dir),
        timeout=120,
    )
    assert proc.returncode == 0
    assert proc.stdout.count(b"\n") == 1
    assert b"Traceback" not in proc.stderr
    assert b"BrokenPipe" not in proc.stderr


def test_messages_go_to_stderr_not_stdout(sofa, tmp_path):
    (tmp_path / "a.md").write_text("Alpha beta gamma.\n")
    code, out, err = sofa("ask", "gamma", "--json", "--corpus", str(tmp_path))
    assert code == 0
    json.loads(out)
    assert "indexed" in err


def test_index_rebuilds_when_a_file_changes(sofa, corpus_copy):
    args = ("ask", "what did Hornung suggest?", "--json", "-k", "1", "--corpus", str(corpus_copy))
    _, out, err = sofa(*args)
    assert "indexed" in err
    _, out, err = sofa(*args)
    assert "indexed" not in err  # fresh index reused

    (corpus_copy / "extra.md").write_text("Hornung suggested a picnic in the park on Sunday.\n")
    _, out, err = sofa("ask", "picnic", "--json", "--corpus", str(corpus_copy))
    assert "1 new" in err
    assert json.loads(out)["results"][0]["doc"] == "extra"

    time.sleep(0.01)
    (corpus_copy / "extra.md").write_text("Hornung suggested a barbecue by the lake.\n")
    _, out, err = sofa("ask", "barbecue", "--json", "--corpus", str(corpus_copy))
    assert "1 updated" in err
    assert json.loads(out)["results"][0]["doc"] == "extra"

    (corpus_copy / "extra.md").unlink()
    code, out, err = sofa("ask", "barbecue", "--json", "--corpus", str(corpus_copy))
    assert "1 removed" in err
    assert code == 1


def test_index_command_builds_and_reports(sofa, corpus_copy, tmp_path):
    index_dir = tmp_path / "idx"
    code, out, err = sofa("index", str(corpus_copy), "--index-dir", str(index_dir))
    assert code == 0
    assert "2 new, 0 updated, 0 unchanged, 0 removed" in err
    path = out.strip()
    assert path.startswith(str(index_dir)) and os.path.exists(path)
    code, out, err = sofa("index", str(corpus_copy), "--index-dir", str(index_dir))
    assert code == 0 and "0 new, 0 updated, 2 unchanged, 0 removed" in err
    assert "up to date" in err


def test_module_entry_point():
    proc = run_process("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(b"sofa ")


def test_missing_question_is_usage_error(sofa):
    code, out, err = sofa("ask")
    assert code == 2


def test_unknown_format_is_usage_error(sofa):
    code, out, err = sofa("ask", "Hornung", "--format", "yaml")
    assert code == 2
    assert "unknown format" in err


def test_index_of_nested_folders_is_reused_until_a_nested_file_changes(sofa, tmp_path):
    root = tmp_path / "nested"
    (root / "2024" / "march").mkdir(parents=True)
    (root / "2024" / "march" / "a.md").write_text("Hornung suggested a picnic.\n")
    (root / "top.md").write_text("Tanaka warned about the crash.\n")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "b.md").write_text("Never indexed.\n")
    args = ("ask", "picnic", "--json", "--corpus", str(root))
    assert "2 new" in sofa(*args)[2]
    assert "indexed" not in sofa(*args)[2]
    (root / "2024" / "march" / "a.md").write_text("Hornung suggested a barbecue.\n")
    assert "1 updated" in sofa("ask", "barbecue", "--corpus", str(root))[2]


# -- issue 14: help, arguments, usage errors --------------------------------------------------

COMMANDS = ("ask", "index", "eval", "sources", "show", "people", "quotes", "shell")


def help_examples(help_text: str) -> list[str]:
    """The `sofa ...` lines under a help page's "Examples:" heading."""
    lines = help_text.split("Examples:", 1)[1].splitlines()
    return [line.strip() for line in lines if line.strip().startswith("sofa ")]


def test_dash_h_is_help_everywhere(sofa):
    code, out, _ = sofa("-h")
    assert code == 0 and out.startswith("Usage: sofa ")
    for command in COMMANDS:
        code, out, err = sofa(command, "-h")
        assert code == 0, (command, err)
        assert out.startswith(f"Usage: sofa {command} "), command


def test_every_help_page_has_two_to_four_examples(sofa):
    for command in ("", *COMMANDS):
        _, out, _ = sofa(*([command] if command else []), "--help")
        examples = help_examples(out)
        assert 2 <= len(examples) <= 4, (command, examples)
        if command:
            assert all(e.startswith(f"sofa {command}") for e in examples if "|" not in e), (command, examples)


def test_every_help_example_runs(sofa, tmp_path, monkeypatch, shared_index_dir):
    """Each example of each help page, run as it is written (stdin given where it reads stdin)."""
    import shlex
    import shutil

    examples_index = tmp_path / "examples-index"  # a copy: --clear and --prune act on it alone
    shutil.copytree(shared_index_dir, examples_index)
    monkeypatch.setenv("SOFA_INDEX_DIR", str(examples_index))
    monkeypatch.setenv("EDITOR", "true")  # show --edit
    monkeypatch.chdir(ROOT)
    for command in ("", *(c for c in COMMANDS if c != "index"), "index"):  # index --clear last
        _, out, _ = sofa(*([command] if command else []), "--help")
        for example in help_examples(out):
            stdin = None
            if "|" in example:  # printf '...' | sofa shell
                feed, example = example.split("|", 1)
                stdin = shlex.split(feed)[1].encode().decode("unicode_escape")
            if "<" in example:
                example, _ = example.split("<", 1)
                stdin = "what did Hornung suggest?\n"
            args = shlex.split(example)[1:]
            if args[:1] == ["shell"] and stdin is None:
                stdin = "what did Hornung suggest?\n"
            code, _, err = sofa(*args, input=stdin)
            assert code == 0, (example, err)


def test_question_argument_is_shown_as_QUESTION(sofa):
    _, out, _ = sofa("ask", "-h")
    assert out.startswith("Usage: sofa ask [OPTIONS] [QUESTION...]\n")
    assert "{question}" not in out


def test_unquoted_words_form_the_question(sofa):
    code, out, _ = sofa("ask", "what", "did", "Hornung", "suggest", "--json", "-k", "1")
    assert code == 0
    answer = json.loads(out)
    assert answer["question"] == "what did Hornung suggest"
    assert answer["results"][0]["citation"] == "kyodo-sofa ¶19"


ASK_H = " (see `sofa ask -h`)\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (["ask", "hi", "--qqqq"], "sofa: error: No such option: --qqqq (see `sofa ask -h`)\n"),
        (
            ["ask", "hi", "-k", "x"],
            "sofa: error: Invalid value for '--limit' / '-k': 'x' is not a valid int range (see `sofa ask -h`)\n",
        ),
        (["ask", "hi", "-k", "0"], None),
        (["frobnicate"], "sofa: error: No such command 'frobnicate' (see `sofa -h`)\n"),
        (["show"], "sofa: error: Missing argument 'CITATION' (see `sofa show -h`)\n"),
        (["ask"], "sofa: error: missing QUESTION (e.g. sofa ask what did Hornung suggest; see `sofa ask -h`)\n"),
        (["ask", "hi", "--limit"], "sofa: error: Option '--limit' requires an argument (see `sofa ask -h`)\n"),
        (["show", "kyodo-sofa:19", "-C"], "sofa: error: Option '-C' requires an argument (see `sofa show -h`)\n"),
        (
            ["show", "tanaka-interview", "-C", "2"],
            "sofa: error: -C/--context is for a cited passage (tanaka-interview:N);"
            " 'tanaka-interview' alone is the whole document\n",
        ),
        (["--show-completion"], "sofa: error: Option '--show-completion' requires an argument (see `sofa -h`)\n"),
        (["ask", "hi", "--kind"], None),
        (["ask", "hi", "-f", "xml"], "sofa: error: unknown format 'xml' (choose from rich, plain, markdown, json)\n"),
        (["ask", "hi", "--min-score", "abc"], None),
        (["ask", "hi", "--since", "garbage"], None),
        (["ask", "hi", "-c", "a", "-c", "b"], None),
        (["sources", "--json", "-f", "plain"], "sofa: error: --json and --format plain ask for two formats (give one)\n"),
        (["people", "--color", "sometimes"], None),
        (["quotes"], "sofa: error: Missing argument 'NAME' (see `sofa quotes -h`)\n"),
        (["eval"], "sofa: error: Missing argument 'QA_FILE' (see `sofa eval -h`)\n"),
        (["eval", "no-such-qa.jsonl"], "sofa: error: cannot read QA file no-such-qa.jsonl: No such file or directory\n"),
        (["index", "--list", "corpus"], "sofa: error: --list takes no folder (it covers every index kept)\n"),
        (["index", "--shards", "0"], None),
        (["shell", "--kind", "foo"], "sofa: error: unknown kind 'foo' (choose from article, interview)\n"),
        (["--show-completion", "tcsh"], "sofa: error: unknown shell 'tcsh' (choose from bash, zsh, fish, powershell, pwsh)\n"),
    ],
)
def test_every_usage_error_is_one_line_with_exit_2(args, message, sofa):
    code, out, err = sofa(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("sofa: error: "), err
    assert "Usage:" not in err and "Try " not in err
    if message:
        assert err == message


def test_click_usage_error_is_one_line_in_a_real_process():
    done = run_process("ask", "hi", "--qqqq")
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr == b"sofa: error: No such option: --qqqq (see `sofa ask -h`)\n"


# -- issue 14: choices, aliases, did-you-mean ---------------------------------------------------


@pytest.mark.parametrize("fmt,expected", [("JSON", "json"), ("jsonl", "json"), ("md", "markdown"), ("Plain", "plain")])
def test_format_is_case_insensitive_with_aliases(fmt, expected, sofa):
    _, want, _ = sofa("ask", "what did Hornung suggest?", "-f", expected)
    code, out, _ = sofa("ask", "what did Hornung suggest?", "-f", fmt)
    assert code == 0 and out == want


def test_kind_is_case_insensitive(sofa):
    code, out, _ = sofa("ask", "Ishiba", "--kind", "Interview", "--json")
    assert code == 0
    assert {r["kind"] for r in json.loads(out)["results"]} == {"interview"}


@pytest.mark.parametrize(
    "args,message",
    [
        (["--source", "kyodo"], "unknown source 'kyodo' (did you mean kyodo-sofa? see `sofa sources`)"),
        (["--source", "tanaka-intervew"], "unknown source 'tanaka-intervew' (did you mean tanaka-interview? see `sofa sources`)"),
        (["--kind", "intervew"], "unknown kind 'intervew' (did you mean interview? choose from article, interview)"),
        (["-f", "mark"], "unknown format 'mark' (did you mean markdown? choose from rich, plain, markdown, json)"),
        (
            ["--speaker", "Hornug"],
            "unknown speaker 'Hornug': nobody of that name speaks or is quoted (did you mean Jeffrey Hornung? see `sofa people`)",
        ),
        (["--speaker", "Nobody"], "unknown speaker 'Nobody': nobody of that name speaks or is quoted (see `sofa people`)"),
        (["--json", "--format", "plain"], "--json and --format plain ask for two formats (give one)"),
        (["--since", "last week"], "not a date: 'last week' (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        (["--until", "2023-02-29"], "not a date: '2023-02-29' (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        (["--since", "2025", "--until", "2024-12"], "--since 2025 is after --until 2024-12: no date is in between"),
        (["--since", ""], "--since is empty (give a DATE)"),
        (["--speaker", " "], "--speaker is empty (give a name; see `sofa people`)"),
    ],
)
def test_unknown_names_are_usage_errors_with_a_suggestion(args, message, sofa):
    code, out, err = sofa("ask", "Ishiba", *args)
    assert (code, out) == (2, "")
    assert err == f"sofa: error: {message}\n"


def test_known_speaker_by_part_of_the_name_is_accepted(sofa):
    code, out, _ = sofa("ask", "Ishiba", "--speaker", "tanaka", "--json")
    assert code == 0 and json.loads(out)["results"]


def test_corpus_option_takes_one_folder(sofa, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code, out, err = sofa("ask", "hi", "-c", str(tmp_path / "a"), "-c", str(tmp_path / "b"))
    assert (code, out) == (2, "")
    assert err.startswith("sofa: error: --corpus takes one folder, got 2 (") and err.count("\n") == 1


def test_a_file_given_as_corpus_is_said_to_be_a_file(sofa, tmp_path):
    (tmp_path / "notes.md").write_text("Alpha.\n")
    code, _, err = sofa("ask", "alpha", "--corpus", str(tmp_path / "notes.md"))
    assert code == 2
    assert err == f"sofa: error: {tmp_path / 'notes.md'} is a file; --corpus takes the folder that holds the documents\n"


# -- issue 14 #5 / issue 17 #16: a closed pipe ends with the status the results deserve ---------


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "what did Hornung suggest?"],
        ["sources"],
        ["show", "kyodo-sofa ¶19"],
        ["people"],
        ["quotes", "Hornung"],
        # rich's console ends a closed pipe with its own exit 1 unless sofa takes it over
        ["ask", "what did Hornung suggest?", "-f", "rich", "--color", "always"],
        ["sources", "-f", "rich", "--color", "always"],
        ["people", "-f", "rich", "--color", "always"],
    ],
    ids=["ask", "sources", "show", "people", "quotes", "ask-rich", "sources-rich", "people-rich"],
)
def test_closed_pipe_under_pipefail_exits_0_when_something_was_found(args, shared_index_dir):
    import shlex

    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "sofa_cli", *args])
    # `head -c 0` reads nothing and exits at once: sofa writes into a pipe already closed.
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -c 0"],
        capture_output=True,
        env=dict(os.environ, SOFA_INDEX_DIR=shared_index_dir),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""


def test_closed_pipe_after_no_answer_exits_1(shared_index_dir):
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m sofa_cli ask - -f plain | head -c 0"],
        input=b"capital of France\n",
        capture_output=True,
        env=dict(os.environ, SOFA_INDEX_DIR=shared_index_dir),
        timeout=120,
    )
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr


# -- issue 14 #11: a defaults file ---------------------------------------------------------------


def write_config(tmp_path, monkeypatch, text):
    folder = tmp_path / "config"
    (folder / "sofa").mkdir(parents=True, exist_ok=True)
    (folder / "sofa" / "config.toml").write_text(text)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))


def test_config_file_sets_defaults(sofa, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, 'k = 1\nformat = "json"\n')
    code, out, _ = sofa("ask", "what did Hornung suggest?")
    assert code == 0
    assert len(json.loads(out)["results"]) == 1


def test_flags_and_environment_override_the_config_file(sofa, tmp_path, monkeypatch):
    own = tmp_path / "own"
    own.mkdir()
    (own / "a.md").write_text("Alpha beta gamma.\n")
    write_config(tmp_path, monkeypatch, f'k = 1\nformat = "json"\ncorpus = "{tmp_path / "nowhere"}"\n')
    _, out, _ = sofa("ask", "what did Hornung suggest?", "-k", "2", "-f", "plain", "--corpus", str(ROOT / "corpus"))
    assert out.startswith("1. kyodo-sofa ¶19") and "\n2. " in out
    code, out, _ = sofa("ask", "gamma", env={"SOFA_CORPUS": str(own)})
    assert code == 0 and json.loads(out)["results"][0]["doc"] == "a"
    code, _, err = sofa("ask", "gamma")
    assert code == 2 and "corpus folder not found" in err and "nowhere" in err


def test_bad_config_file_is_a_one_line_error(sofa, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, "limit = 3\n")
    code, _, err = sofa("ask", "hi")
    assert code == 2
    assert err.startswith("sofa: error: ") and "unknown setting 'limit' (sofa knows k, format, corpus, color)" in err
    write_config(tmp_path, monkeypatch, "k = [\n")
    code, _, err = sofa("ask", "hi")
    assert code == 2 and err.startswith("sofa: error: cannot read ") and err.count("\n") == 1


# -- issue 14 #12: --since / --until ----------------------------------------------------------------


@pytest.fixture
def dated(tmp_path):
    folder = tmp_path / "dated"
    folder.mkdir()
    for name, date in (("old", "2019-03-02"), ("mid", "2023-06-30"), ("new", "2024-11-12")):
        (folder / f"{name}.md").write_text(f"---\ntitle: {name}\ndate: {date}\n---\nThe harbour plan was discussed in {name}.\n")
    (folder / "undated.md").write_text("The harbour plan, undated.\n")
    return folder


@pytest.mark.parametrize(
    "args,docs",
    [
        ([], {"old", "mid", "new", "undated"}),
        (["--since", "2023"], {"mid", "new"}),
        (["--until", "2023-06"], {"old", "mid"}),
        (["--since", "2020", "--until", "2023-12-31"], {"mid"}),
        (["--since", "2025"], set()),
        (["--since", "2024-02-29", "--until", "2024"], {"new"}),  # a leap day; a year that holds the start
        (["--since", "2023-06-30", "--until", "2023-06"], {"mid"}),
    ],
)
def test_since_and_until_filter_by_document_date(args, docs, dated, sofa):
    code, out, _ = sofa("ask", "harbour plan", "--corpus", str(dated), "-k", "10", "--json", *args)
    assert {r["doc"] for r in json.loads(out)["results"]} == docs
    assert code == (0 if docs else 1)


def test_a_mistyped_option_gets_a_suggestion_on_its_one_line(sofa):
    code, _, err = sofa("ask", "hi", "--limt", "3")
    assert code == 2
    assert err == "sofa: error: No such option: --limt; did you mean --limit? (see `sofa ask -h`)\n"
    code, _, err = sofa("sorces")
    assert err == "sofa: error: No such command 'sorces'. Did you mean 'sources'? (see `sofa -h`)\n"


def test_top_level_help_says_bare_sofa_opens_the_shell(sofa):
    _, out, _ = sofa("-h", env={"COLUMNS": "200"})
    assert "Bare `sofa` on a terminal opens the interactive shell" in out
    assert "config.toml" in out


def test_config_file_color_and_corpus_apply(sofa, tmp_path, monkeypatch):
    own = tmp_path / "own"
    own.mkdir()
    (own / "a.md").write_text("Alpha beta gamma.\n")
    write_config(tmp_path, monkeypatch, f'color = "always"\ncorpus = "{own}"\n')
    code, out, _ = sofa("ask", "gamma", "-k", "1", env={"NO_COLOR": "1"})  # the file's setting wins, as no-color.org asks
    assert code == 0 and "\x1b[" in out and "a ¶1" in out
    code, out, _ = sofa("ask", "gamma", "-k", "1", "--color", "never")
    assert "\x1b" not in out
    write_config(tmp_path, monkeypatch, f'color = "never"\ncorpus = "{own}"\n')
    _, out, _ = sofa("ask", "gamma", "-k", "1", "-f", "rich", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b" not in out and "a ¶1" in out
