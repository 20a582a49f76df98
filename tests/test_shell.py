"""The interactive shell: driven through piped stdin, through a pseudo-terminal, and as a core REPL."""

from __future__ import annotations

import io
import json

import pytest
from conftest import BUNDLED, run_process
from terminal import Terminal

import sofa_cli
from sofa_cli.cli.shell import Shell, history_path

HORNUNG = "what did Hornung suggest?"


# -- the core REPL, on string streams ---------------------------------------------------------


@pytest.fixture
def repl(shared_index_dir):
    return Shell(corpus=sofa_cli.open(BUNDLED, shared_index_dir), out=io.StringIO(), err=io.StringIO())


def feed(shell: Shell, *lines: str) -> tuple[str, str]:
    pending = list(lines)

    def read_line(prompt: str) -> str:
        if not pending:
            raise EOFError
        return pending.pop(0)

    assert shell.run(read_line) == 0
    return shell.out.getvalue(), shell.err.getvalue()


def test_question_is_answered_like_ask(repl, sofa):
    out, _ = feed(repl, HORNUNG)
    _, ask_out, _ = sofa("ask", HORNUNG, "--format", "plain")
    assert out == ask_out


def test_k_sets_the_number_of_results(repl):
    repl.json = True
    out, err = feed(repl, ":k 1", "Ishiba", ":k 4", "Ishiba")
    first, second = (json.loads(line) for line in out.splitlines())
    assert len(first["results"]) == 1
    assert len(second["results"]) == 4
    assert "showing 1 result per question" in err


@pytest.mark.parametrize("bad", [":k 0", ":k many", ":k -2"])
def test_k_rejects_what_is_not_a_count(repl, bad):
    _, err = feed(repl, bad)
    assert err.startswith("error: :k takes a whole number")
    assert repl.limit == 3


def test_filter_narrows_results_and_clear_removes_it(repl):
    repl.json = True
    out, err = feed(repl, ":filter kind=interview", "Ishiba", ":clear", "Ishiba")
    narrowed, everything = (json.loads(line)["results"] for line in out.splitlines())
    assert {r["kind"] for r in narrowed} == {"interview"}
    assert "article" in {r["kind"] for r in everything}
    assert "filters: kind=interview" in err


def test_filter_speaker_name_needs_no_quotes(repl):
    repl.json = True
    out, err = feed(repl, ":filter speaker=Dr. Tanaka", "Ishiba")
    assert "filters: speaker=Dr. Tanaka" in err
    assert {r["speaker"] for r in json.loads(out)["results"]} == {"Dr. Tanaka"}


def test_filters_combine_source_and_min_score(repl):
    repl.json = True
    feed(repl, ":k 10", "Ishiba")
    scores = sorted(r["score"] for r in json.loads(repl.out.getvalue())["results"] if r["doc"] == "kyodo-sofa")
    threshold = scores[len(scores) // 2]
    repl.out = io.StringIO()
    out, _ = feed(repl, f":filter source=kyodo-sofa min-score={threshold}", "Ishiba")
    results = json.loads(out)["results"]
    assert 0 < len(results) < len(scores)
    assert all(r["doc"] == "kyodo-sofa" and r["score"] >= threshold for r in results)


@pytest.mark.parametrize(
    "line,message",
    [
        (":filter source=nowhere", "unknown source 'nowhere'"),
        (":filter kind=poem", "unknown kind 'poem'"),
        (":filter min-score=high", "min-score must be a number"),
        (":filter colour=red", "unknown filter 'colour'"),
        (":filter Tanaka", "expected KEY=VALUE"),
    ],
)
def test_bad_filter_is_one_line_and_keeps_the_filters(repl, line, message):
    _, err = feed(repl, ":filter kind=article", line)
    assert f"error: {message}" in err
    assert repl.filters.kind == "article"


def test_prompt_shows_active_filters(repl):
    feed(repl, ":filter kind=interview speaker=Tanaka")
    assert repl.prompt() == "sofa [kind=interview speaker=Tanaka]> "


def test_json_switches_output_to_json_lines_and_back(repl):
    out, _ = feed(repl, ":json on", HORNUNG, ":json off", HORNUNG)
    first, rest = out.split("\n", 1)
    assert json.loads(first)["results"][0]["citation"] == "kyodo-sofa ¶19"
    assert rest.startswith("1. kyodo-sofa ¶19")


def test_explain_adds_the_score_breakdown(repl):
    out, _ = feed(repl, ":explain on", HORNUNG)
    header, explained = out.splitlines()[0], [line for line in out.splitlines() if "explain:" in line][0]
    score = header.rsplit("(score ", 1)[1].rstrip(")")
    assert explained.startswith("   explain: hornung ")
    assert explained.endswith(f"= score {score}")


def test_sources_lists_the_documents(repl):
    out, _ = feed(repl, ":sources")
    assert "kyodo-sofa" in out and "tanaka-interview" in out


def test_show_citation_with_context(repl):
    out, _ = feed(repl, ":show kyodo-sofa ¶19 0")
    assert [line[:5] for line in out.splitlines()] == ["kyodo", "> ¶19"]


def test_show_rank_of_the_last_answer(repl):
    feed(repl, HORNUNG)
    repl.out = io.StringIO()
    out, _ = feed(repl, ":show 1")
    lines = out.splitlines()
    assert lines[0].startswith("kyodo-sofa ¶19 · ")
    assert [line[:5] for line in lines[1:]] == ["  ¶18", "> ¶19", "  ¶20"]


@pytest.mark.parametrize(
    "line,message",
    [
        (":show nowhere ¶1", "unknown document 'nowhere'"),
        (":show kyodo-sofa ¶99", "kyodo-sofa has no passage 99"),
        (":show 1", "no result 1 to show"),
        (":show", ":show takes a citation"),
        (":show ¶¶", "not a citation"),
    ],
)
def test_show_errors_are_one_line(repl, line, message):
    _, err = feed(repl, line)
    assert err.startswith(f"error: {message}")
    assert err.count("\n") == 1


def test_unknown_command_says_so(repl):
    _, err = feed(repl, ":frobnicate")
    assert "unknown command :frobnicate (type :help)" in err


def test_help_lists_every_command(repl):
    out, _ = feed(repl, ":help")
    for command in (":k", ":sources", ":show", ":filter", ":clear", ":json", ":explain", ":quit"):
        assert command in out


def test_quit_stops_reading(repl):
    out, _ = feed(repl, ":quit", HORNUNG)
    assert out == ""


def test_completion_of_commands_and_documents(repl):
    assert repl.completions(":so", ":so") == [":sources"]  # takes nothing: no space after it
    assert repl.completions(":sh", ":sh") == [":show "]  # takes a citation: the space is typed for you
    assert repl.completions(":filter source=ky", "source=ky") == ["source=kyodo-sofa "]
    assert repl.completions(":filter ki", "ki") == ["kind="]
    assert repl.completions(":show tan", "tan") == ["tanaka-interview "]
    assert repl.completions(":quotes Hor", "Hor") == ["Hornung "]
    assert repl.completions("what did", "did") == []


def test_history_file_location(tmp_path):
    assert history_path({"SOFA_HISTORY": str(tmp_path / "h")}) == tmp_path / "h"
    assert history_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "sofa" / "history"
    assert history_path({"HOME": "/x"}).parts[-3:] == ("share", "sofa", "history")


# -- a real process, questions on stdin -----------------------------------------------------


@pytest.fixture
def shared(shared_index_dir):
    return {"SOFA_INDEX_DIR": shared_index_dir}


def test_shell_reads_questions_and_commands_from_stdin(shared):
    lines = f":json on\n{HORNUNG}\n:k 1\nTanaka helicopter crash\n:quit\nnever asked\n"
    done = run_process("shell", input=lines.encode(), env=shared)
    assert done.returncode == 0
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["question"] for r in records] == [HORNUNG, "Tanaka helicopter crash"]
    assert records[0]["results"][0]["citation"] == "kyodo-sofa ¶19"
    assert len(records[1]["results"]) == 1
    assert b"sofa>" not in done.stdout  # no prompt when nobody is typing
    assert b"Traceback" not in done.stderr


def test_shell_stdin_end_of_input_leaves_cleanly(sofa):
    code, out, _ = sofa("shell", "--format", "plain", input=f"{HORNUNG}\n")
    assert code == 0
    assert out.startswith("1. kyodo-sofa ¶19")
    assert "\x1b[" not in out


def test_shell_options_set_the_starting_filters(sofa):
    code, out, _ = sofa("shell", "--json", "--kind", "interview", input="Ishiba\n")
    assert code == 0
    assert {r["kind"] for r in json.loads(out)["results"]} == {"interview"}


def test_shell_explain_option_starts_with_explain_on(sofa):
    _, out, _ = sofa("shell", "--explain", "-k", "1", "--json", input=f"{HORNUNG}\n")
    explained = json.loads(out)["results"][0]["explain"]
    assert explained["bm25"] + explained["evidence"] == pytest.approx(json.loads(out)["results"][0]["score"], abs=1e-5)


def test_shell_bad_starting_filter_is_an_error(sofa):
    code, _, err = sofa("shell", "--source", "nowhere", input="Ishiba\n")
    assert code == 2
    assert err == "sofa: error: unknown source 'nowhere' (see :sources or `sofa sources`)\n"


def test_bare_sofa_without_a_terminal_prints_help(sofa):
    code, out, _ = sofa(input="what did Hornung suggest?\n")
    assert code == 0
    assert "Usage:" in out and "shell" in out
    assert "Hornung suggested" not in out  # the help, not an answer


# -- a pseudo-terminal: readline, Ctrl-C, Ctrl-D, history -------------------------------------


@pytest.fixture
def terminal_env(tmp_path, shared_index_dir):
    return {"SOFA_INDEX_DIR": shared_index_dir, "SOFA_HISTORY": str(tmp_path / "history"), "NO_COLOR": "1"}


def test_bare_sofa_on_a_terminal_opens_the_shell(terminal_env):
    term = Terminal(env=terminal_env)
    try:
        banner = term.expect("sofa> ").replace("\r\n", "\n")
        assert "2 documents, 36 passages" in banner
        assert "\nType a question; :help lists the commands" in banner
        term.send(HORNUNG + "\r")
        answer = term.expect("sofa> ")
        assert "kyodo-sofa ¶19" in answer and "Hornung" in answer
        term.send("\x04")  # Ctrl-D
        term.rest()
        assert term.wait() == 0
    finally:
        term.close()


def test_bare_sofa_reads_the_environment_and_the_defaults_file_as_sofa_shell_does(terminal_env, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "harbour.md").write_text("The harbour plan.\n\nThe harbour wall.\n")
    (tmp_path / "config.toml").write_text("k = 1\n")
    env = {**terminal_env, "SOFA_CORPUS": str(folder), "SOFA_CONFIG": str(tmp_path / "config.toml")}
    term = Terminal(env=env)
    try:
        banner = term.expect("sofa> ")
        assert f"1 document, 2 passages from {folder}" in banner  # SOFA_CORPUS, not the bundled corpus
        term.send("harbour\r")
        answer = term.expect("sofa> ")
        assert "harbour ¶1" in answer and "harbour ¶2" not in answer  # k = 1 from the file
        term.send("exit\r")
        term.rest()
        assert term.wait() == 0
    finally:
        term.close()


def test_ctrl_c_abandons_the_line_and_the_shell_goes_on(terminal_env, tmp_path):
    term = Terminal("shell", env=terminal_env)
    try:
        term.expect("sofa> ")
        term.send("half a question about Eiffel")
        term.expect("Eiffel")
        term.send("\x03")  # Ctrl-C
        try:
            term.expect("sofa> ", timeout=5)
        except AssertionError:
            # CPython's readline loses a SIGINT that lands after it echoes a key but before it
            # waits for the next one (it notices only at the next key): on a loaded machine the
            # echo we waited for opens that window. A person would press Ctrl-C again.
            term.send("\x03")
            term.expect("sofa> ")
        term.send(":quit\r")
        after = term.rest()
        assert term.wait() == 0
        assert "no answer" not in after and "Traceback" not in after
    finally:
        term.close()
    assert "Eiffel" not in (tmp_path / "history").read_text()


def test_history_is_kept_across_sessions(terminal_env, tmp_path):
    first = Terminal("shell", env=terminal_env)
    try:
        first.expect("sofa> ")
        first.send("what did Nakashima advise?\r")
        first.expect("sofa> ")
        first.send("\x04")
        first.rest()
        assert first.wait() == 0
    finally:
        first.close()
    assert "what did Nakashima advise?" in (tmp_path / "history").read_text().splitlines()

    second = Terminal("shell", env=terminal_env)
    try:
        second.expect("sofa> ")
        second.send("\x1b[A\r")  # arrow up: the last question of the previous session
        assert "kyodo-sofa ¶23" in second.expect("sofa> ")
        second.send("\x04")
        second.rest()
        assert second.wait() == 0
    finally:
        second.close()


def test_tab_completes_commands(terminal_env):
    term = Terminal("shell", env=terminal_env)
    try:
        term.expect("sofa> ")
        term.send(":sour\t\r")
        listing = term.expect("sofa> ")
        assert "tanaka-interview" in listing and "Keita Nakamura" in listing
        term.send(":quit\r")
        term.rest()
        assert term.wait() == 0
    finally:
        term.close()


def test_shell_question_is_cleaned_like_ask(sofa):
    """Escape sequences typed or pasted at the prompt are dropped, as `ask` drops them."""
    code, out, _ = sofa("shell", "--json", input="\x1b[31mwhat did Hornung suggest?\x1b[0m\n")
    record = json.loads(out)
    assert record["question"] == "what did Hornung suggest?"
    assert record["results"][0]["citation"] == "kyodo-sofa ¶19"


# -- issue 14 #8 and issue 17: refresh, words, toggles, numbers, names --------------------------


def test_shell_sees_a_file_added_while_it_is_open_and_says_so(corpus_copy, tmp_path):
    shell = Shell(corpus=sofa_cli.open(corpus_copy, tmp_path / "idx"), out=io.StringIO(), err=io.StringIO(), json=True)
    lines = ["lighthouse keeper", "ADD", "lighthouse keeper", ":reload"]

    def read_line(prompt: str) -> str:
        if not lines:
            raise EOFError
        line = lines.pop(0)
        if line == "ADD":
            (corpus_copy / "new.md").write_text("The lighthouse keeper retired after forty years.\n")
            return ""
        return line

    assert shell.run(read_line) == 0
    before, after = (json.loads(line) for line in shell.out.getvalue().splitlines())
    assert before["results"] == [] and after["results"][0]["doc"] == "new"
    err = shell.err.getvalue()
    assert "corpus changed: reindexed (1 new, 0 updated, 0 removed; 3 documents, 37 passages)" in err
    assert err.rstrip().endswith("index up to date (3 documents, 37 passages)")


@pytest.mark.parametrize("word,expected", [("exit", None), ("quit", None), ("QUIT", None), ("help", "Type a question")])
def test_exit_quit_and_help_are_understood_without_a_colon(word, expected, repl):
    out, _ = feed(repl, word, HORNUNG)
    if expected is None:
        assert out == ""  # it left before the question
    else:
        assert out.startswith(expected) and "kyodo-sofa ¶19" in out


def test_toggles_alone_show_their_state_like_k(repl):
    _, err = feed(repl, ":json", ":explain", ":k", ":json on", ":json")
    assert err.splitlines() == ["json off", "explain off", "showing 3 results per question", "json on", "json on"]


@pytest.mark.parametrize("line", [":k ²", f":k {'9' * 5000}", ":k ١٢"])
def test_k_odd_numbers_are_clean_errors(line, repl):
    _, err = feed(repl, line, ":k")
    first, second = err.splitlines()
    assert first.startswith("error: :k takes a whole number of results, 1 to 99999, got ") and len(first) < 120
    assert second == "showing 3 results per question"


@pytest.mark.parametrize(
    "line,message",
    [
        (f":show {'9' * 5000}", "error: no result 999999999999… to show (the last question had 0)"),
        (f":show kyodo-sofa:19 {'9' * 5000}", "error: :show takes a context of at most 9 digits, got 5000"),
        (f":show kyodo-sofa:{'9' * 5000}", "error: kyodo-sofa has no passage 999999999999… (a number of 5000 digits)"),
        (":show ²", "error: not a citation: '²' (expected e.g. 'kyodo-sofa ¶19' or 'kyodo-sofa:19')"),
    ],
)
def test_show_odd_numbers_are_clean_errors(line, message, repl):
    _, err = feed(repl, line)
    assert err == message + "\n"


def test_filter_did_you_mean_and_kind_case(repl):
    _, err = feed(repl, ":filter source=kyodo", ":filter kind=Interview", ":filter speaker=Hornug", ":filter kind=intervew")
    lines = err.splitlines()
    assert lines[0] == "error: unknown source 'kyodo' (did you mean kyodo-sofa? see :sources)"
    assert lines[1] == "filters: kind=interview"
    assert lines[2].startswith("error: unknown speaker 'Hornug'") and "did you mean Jeffrey Hornung?" in lines[2]
    assert lines[3] == "error: unknown kind 'intervew' (did you mean interview? choose from article, interview)"


def test_escape_sequences_in_a_name_never_reach_the_prompt_or_completion(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    name = "a\x1b]52;c;aGk=\x07b"
    (folder / f"{name}.md").write_text("The harbour plan.\n")
    (folder / "plain.md").write_text("Another harbour.\n")
    shell = Shell(corpus=sofa_cli.open(folder, tmp_path / "idx"), out=io.StringIO(), err=io.StringIO())
    feed(shell, f":filter source={name}")
    assert "\x1b" not in shell.prompt() and "\x07" not in shell.prompt()
    assert shell.prompt().startswith("sofa [source=a␛]52;c;aGk=␇b]")
    completed = shell.completions(":show ", "")
    assert completed == ["a␛]52;c;aGk=␇b ", "plain "]  # the printed form, which :show takes back
    feed(shell, f":show {completed[0].strip()}:1")
    assert "The harbour plan." in shell.out.getvalue()
    assert "\x1b" not in shell.err.getvalue() + shell.out.getvalue()


def test_quotes_and_people_in_the_shell(repl):
    out, err = feed(repl, ":quotes hornug", ":people")
    assert out.startswith("kyodo-sofa ¶13 · Jeffrey Hornung\n")
    assert "SENTENCES  NAME" in out
    assert err == "showing quotes of 'Jeffrey Hornung' (no one named 'hornug')\n"


def test_tab_inserts_the_space_after_a_command(terminal_env):
    term = Terminal("shell", env=terminal_env)
    try:
        term.expect("sofa> ")
        term.send(":sh\tkyodo-sofa:19\r")  # without the space, ":showkyodo-sofa:19" is an unknown command
        shown = term.expect("sofa> ")
        assert "> ¶19" in shown and "unknown command" not in shown
        term.send("exit\r")
        term.rest()
        assert term.wait() == 0
    finally:
        term.close()


@pytest.mark.parametrize("signal_name", ["SIGHUP", "SIGTERM"])
def test_history_is_saved_when_the_terminal_closes_or_sofa_is_terminated(signal_name, terminal_env, tmp_path):
    import signal

    term = Terminal("shell", env=terminal_env)
    try:
        term.expect("sofa> ")
        term.send("what did Nakashima advise?\r")
        term.expect("sofa> ")
        term.process.send_signal(getattr(signal, signal_name))
        try:  # if the signal came before readline waits for a key, a key wakes it to end
            term.send("\r")
        except OSError:  # the shell has already ended
            pass
        term.rest()
        assert term.wait() == 128 + getattr(signal, signal_name)
    finally:
        term.close()
    assert "what did Nakashima advise?" in (tmp_path / "history").read_text().splitlines()


def test_each_question_is_in_the_history_file_as_soon_as_it_is_asked(terminal_env, tmp_path):
    term = Terminal("shell", env=terminal_env)
    try:
        term.expect("sofa> ")
        term.send("what did Nakashima advise?\r")
        term.expect("sofa> ")
        assert (tmp_path / "history").read_text().splitlines()[-1] == "what did Nakashima advise?"
        term.process.kill()  # no chance to save at the end
        term.wait()
    finally:
        term.close()
    assert (tmp_path / "history").read_text().splitlines() == ["what did Nakashima advise?"]


def test_the_real_shell_refreshes_when_the_corpus_changes_and_reloads_on_request(tmp_path):
    """`sofa shell` as a process: a file added between two questions is found by the second,
    with a line on stderr saying so; `:reload` says the index is up to date."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "harbour.md").write_text("The harbour plan was discussed.\n")
    env = dict(os.environ, SOFA_INDEX_DIR=str(tmp_path / "idx"))
    shell = subprocess.Popen(
        [sys.executable, "-m", "sofa_cli", "shell", "--json", "--corpus", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        shell.stdin.write(b"lighthouse keeper\n")
        shell.stdin.flush()
        before = json.loads(shell.stdout.readline())  # answered: the file below is not there yet
        (folder / "new.md").write_text("The lighthouse keeper retired after forty years.\n")
        out, err = shell.communicate(b"lighthouse keeper\n:reload\nquit\n", timeout=120)
    finally:
        if shell.poll() is None:
            shell.kill()
    assert shell.returncode == 0
    assert before["results"] == []
    assert json.loads(out)["results"][0]["doc"] == "new"
    lines = err.decode().splitlines()
    assert "corpus changed: reindexed (1 new, 0 updated, 0 removed; 2 documents, 2 passages)" in lines
    assert lines[-1] == "index up to date (2 documents, 2 passages)"
