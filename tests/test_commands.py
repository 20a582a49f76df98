"""The everyday commands around ask: sources, show, index, filters, completion, your own corpus."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUNDLED
from terminal import Terminal
from typer.testing import CliRunner

from sofa_cli.cli import app

SUMMARY_RE = re.compile(r"(\d+) new, (\d+) updated, (\d+) unchanged, (\d+) removed")


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


# -- sofa sources -------------------------------------------------------------------------------


def test_sources_json_lists_each_document_with_its_metadata(sofa):
    code, out, _ = sofa("sources", "--json")
    assert code == 0
    docs = {d["doc"]: d for d in records(out)}
    assert set(docs) == {"kyodo-sofa", "tanaka-interview"}
    kyodo = docs["kyodo-sofa"]
    assert kyodo["kind"] == "article" and kyodo["author"] == "Keita Nakamura" and kyodo["source"] == "Kyodo News"
    assert kyodo["path"] == "kyodo-sofa.md" and kyodo["passages"] == 24
    assert kyodo["file"] == str(BUNDLED.resolve() / "kyodo-sofa.md")  # absolute, as results carry it
    assert kyodo["title"].startswith("Trump's return may make Japan wary")
    assert docs["tanaka-interview"]["kind"] == "interview"


def test_sources_plain_is_a_table_with_a_header(sofa):
    code, out, _ = sofa("sources")
    lines = out.splitlines()
    assert lines[0].split() == ["DOC", "KIND", "PASSAGES", "AUTHOR", "DATE", "TITLE", "PATH"]
    assert lines[1].split()[:5] == ["kyodo-sofa", "article", "24", "Keita", "Nakamura"]
    assert lines[1].endswith("kyodo-sofa.md")
    assert len(lines) == 3


def test_sources_markdown_is_a_table(sofa):
    _, out, _ = sofa("sources", "--format", "markdown")
    lines = out.splitlines()
    assert lines[0].startswith("| Doc | Kind | Passages |")
    assert lines[1].startswith("|---|")
    assert lines[2].startswith("| kyodo-sofa | article | 24 | Keita Nakamura |")


# -- sofa show ----------------------------------------------------------------------------------


def test_show_accepts_the_citation_ask_prints(sofa):
    _, out, _ = sofa("ask", "what did Hornung suggest?", "--json", "-k", "1")
    cited = json.loads(out)["results"][0]["citation"]
    code, out, _ = sofa("show", cited, "--json", "--context", "0")
    assert code == 0
    shown = json.loads(out)
    assert shown["citation"] == cited == "kyodo-sofa ¶19"
    assert [(p["passage"], p["cited"]) for p in shown["passages"]] == [(19, True)]
    assert shown["passages"][0]["text"].startswith("Hornung suggested")


def test_show_doc_colon_number_with_context(sofa):
    code, out, _ = sofa("show", "kyodo-sofa:19", "--context", "2")
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[0]
        == "kyodo-sofa ¶19 · Trump's return may make Japan wary of seeking changes to the U.S. forces pact · kyodo-sofa.md:25"
    )
    assert [line[:5] for line in lines[1:]] == ["  ¶17", "  ¶18", "> ¶19", "  ¶20", "  ¶21"]


def test_show_context_stops_at_the_document_edges(sofa):
    _, out, _ = sofa("show", "tanaka-interview ¶1", "--json", "-C", "3")
    shown = json.loads(out)
    assert [p["passage"] for p in shown["passages"]] == [1, 2, 3, 4]
    assert shown["passages"][1]["speaker"] == "Dr. Tanaka"


def test_show_interview_turn_names_the_speaker(sofa):
    _, out, _ = sofa("show", "tanaka-interview ¶4", "-C", "0")
    assert out.splitlines()[1].startswith("> ¶4  Dr. Tanaka: The SOFA is indeed a pivotal issue.")


def test_show_markdown_quotes_the_cited_passage(sofa):
    _, out, _ = sofa("show", "kyodo-sofa ¶19", "-f", "markdown", "-C", "1")
    assert out.startswith("## kyodo-sofa ¶19 · ")
    assert "**¶19**\n\n> Hornung suggested" in out
    assert "¶18\n\n" in out


@pytest.mark.parametrize(
    "citation,message",
    [
        ("nowhere ¶3", "unknown document 'nowhere' (see `sofa sources`)"),
        ("kyodo-sofa ¶99", "kyodo-sofa has no passage 99 (it has passages 1-24)"),
        ("kyodo-sofa ¶0", "kyodo-sofa has no passage 0 (it has passages 1-24)"),
        ("kyodo", "not a citation: 'kyodo' (expected e.g. 'kyodo-sofa ¶19' or 'kyodo-sofa:19')"),
        ("../../etc/passwd:1", "unknown document '../../etc/passwd' (see `sofa sources`)"),
    ],
)
def test_show_bad_citation_is_a_one_line_error(citation, message, sofa):
    code, out, err = sofa("show", citation)
    assert code == 2
    assert out == ""
    assert err == f"sofa: error: {message}\n"


def test_show_never_reads_a_file_named_by_the_citation(tmp_path, corpus_copy, sofa):
    secret = tmp_path / "secret.md"
    secret.write_text("top secret text\n")
    code, out, err = sofa("show", "../secret:1", "--corpus", str(corpus_copy))
    assert code == 2
    assert "top secret" not in out + err


# -- sofa index: summary and progress ------------------------------------------------------------


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def summary(stderr: str) -> tuple[int, ...]:
    match = SUMMARY_RE.search(stderr)
    assert match, stderr
    return tuple(int(n) for n in match.groups())


def test_index_says_what_it_did(tmp_path, sofa):
    folder = tmp_path / "mine"
    for name in ("a", "b", "c"):
        write(folder / f"{name}.md", f"# {name}\n\nA paragraph about {name}.\n")
    code, out, err = sofa("index", str(folder))
    assert code == 0
    assert out.strip().endswith("index.sofa")
    assert summary(err) == (3, 0, 0, 0)
    assert "3 documents" in err

    write(folder / "a.md", "# a\n\nA changed and longer paragraph about a.\n")
    write(folder / "d.md", "# d\n\nA new paragraph about d.\n")
    (folder / "b.md").unlink()
    _, _, err = sofa("index", str(folder))
    assert summary(err) == (1, 1, 1, 1)

    _, _, err = sofa("index", str(folder))
    assert summary(err) == (0, 0, 3, 0)
    assert "already up to date" in err


def test_index_rebuild_reparses_everything(tmp_path, sofa):
    folder = tmp_path / "mine"
    write(folder / "a.md", "Alpha.\n")
    write(folder / "b.md", "Beta.\n")
    sofa("index", str(folder))
    _, _, err = sofa("index", str(folder), "--rebuild")
    # not "2 new": the files are not new, they are reparsed; files and documents are told apart
    assert f"indexed {folder.resolve()}: rebuilt, 2 files reparsed (2 documents, 2 passages, " in err


def test_index_progress_is_hidden_when_stderr_is_not_a_terminal(corpus_copy):
    done = CliRunner().invoke(app, ["index", str(corpus_copy)], catch_exceptions=False)  # stderr: not a terminal
    assert done.exit_code == 0
    err = done.stderr
    assert "\x1b" not in err and "\r" not in err and "indexing " not in err
    assert err.startswith("sofa: indexed ")


def test_index_progress_bar_is_drawn_when_stderr_is_a_terminal(corpus_copy, tmp_path):
    term = Terminal("index", str(corpus_copy), env={"SOFA_INDEX_DIR": str(tmp_path / "idx")}, streams="stderr")
    try:
        shown = term.rest()
        assert term.process.wait(60) == 0
        assert "indexing" in shown and "\x1b[" in shown
        assert term.process.stdout.read().decode().strip().endswith("index.sofa")
    finally:
        term.close()


# -- your own corpus: every format, end to end --------------------------------------------------


@pytest.fixture
def own_corpus(tmp_path):
    folder = tmp_path / "notes"
    write(
        folder / "harbour.md",
        "---\ntitle: Harbour report\nauthor: Ana Lima\ndate: 2024-03-02\nkind: article\n---\n"
        "The harbour master counted forty trawlers at dawn.\n\nFog closed the port by noon.\n",
    )
    write(folder / "plain.txt", "Glaciers retreated nine metres last summer.\nThe survey team used drones.\n")
    write(
        folder / "web" / "page.html",
        "<html><head><title>Orchard news</title><style>p{color:red}</style>"
        "<script>var apples='stolen';</script></head>"
        "<body><h1>Orchards</h1><p>The cider orchards bloomed early this spring.</p>"
        "<p>Frost damaged pears in April.</p></body></html>",
    )
    write(folder / "old.htm", "<title>Mill</title><p>The windmill ground barley for the village.</p>")
    write(
        folder / "feed.jsonl",
        json.dumps({"title": "Bridge opens", "text": "The suspension bridge opened to cyclists.", "author": "R. Okafor"})
        + "\n"
        + json.dumps({"title": "Chess", "text": "A grandmaster won the rapid chess final.", "kind": "article"})
        + "\n",
    )
    write(
        folder / "bold-interview.md",
        "**Host:** What did the beekeepers fear?\n\n**Mara Quist:** They feared the varroa mite above all.\n\n"
        "**Host:** And now?\n\n**Mara Quist:** Now the hives are healthy.\n",
    )
    write(
        folder / "caps-interview.txt",
        "Transcript\n\nREPORTER: Why did the lighthouse close?\n\n"
        "KEEPER: The lighthouse closed because the lens cracked in a storm.\n\nREPORTER: Thank you.\n",
    )
    write(
        folder / "declared.md",
        "---\ntitle: A declared interview\nkind: interview\n---\nQ and A about tides. The tide tables were wrong.\n",
    )
    return folder


def ask_json(sofa, folder, question, *extra):
    code, out, err = sofa("ask", question, "--corpus", str(folder), "--json", *extra)
    return code, json.loads(out)["results"], err


def test_own_corpus_sources_cover_every_format(own_corpus, sofa):
    code, out, err = sofa("sources", "--corpus", str(own_corpus), "--json")
    assert code == 0, err
    docs = {d["doc"]: d for d in records(out)}
    assert docs["harbour"]["title"] == "Harbour report"
    assert (docs["harbour"]["author"], docs["harbour"]["date"]) == ("Ana Lima", "2024-03-02")
    assert docs["plain"]["title"] == "plain" and docs["plain"]["passages"] == 2
    assert docs["web/page"]["title"] == "Orchard news" and docs["web/page"]["path"] == "web/page.html"
    assert docs["old"]["title"] == "Mill"
    assert docs["feed#1"]["title"] == "Bridge opens" and docs["feed#1"]["author"] == "R. Okafor"
    assert docs["feed#2"]["title"] == "Chess"
    assert docs["bold-interview"]["kind"] == "interview"
    assert docs["caps-interview"]["kind"] == "interview"
    assert docs["declared"]["kind"] == "interview"
    assert docs["harbour"]["kind"] == docs["web/page"]["kind"] == "article"


@pytest.mark.parametrize(
    "question,doc,passage",
    [
        ("how many trawlers did the harbour master count?", "harbour", 1),
        ("what did the survey team use?", "plain", 2),
        ("when did the cider orchards bloom?", "web/page", 1),  # the <h1> is a heading, not a passage
        ("what did the windmill grind?", "old", 1),
        ("who can use the suspension bridge?", "feed#1", 1),
        ("who won the chess final?", "feed#2", 1),
    ],
)
def test_own_corpus_answers_from_each_format(own_corpus, sofa, question, doc, passage):
    code, results, _ = ask_json(sofa, own_corpus, question)
    assert code == 0
    assert (results[0]["doc"], results[0]["passage"]) == (doc, passage)


def test_html_scripts_and_styles_are_not_indexed(own_corpus, sofa):
    code, results, _ = ask_json(sofa, own_corpus, "apples stolen color red")
    assert code == 1 and results == []


def test_bold_speaker_turns_become_interview_passages(own_corpus, sofa):
    _, results, _ = ask_json(sofa, own_corpus, "what did Mara Quist say about the varroa mite?")
    top = results[0]
    assert (top["doc"], top["speaker"], top["kind"]) == ("bold-interview", "Mara Quist", "interview")
    assert top["text"] == "They feared the varroa mite above all."


def test_capitals_speaker_turns_become_interview_passages(own_corpus, sofa):
    _, results, _ = ask_json(sofa, own_corpus, "why did the lighthouse close?", "--speaker", "KEEPER")
    assert results[0]["speaker"] == "KEEPER"
    assert results[0]["text"].startswith("The lighthouse closed because the lens cracked")


def test_own_corpus_from_sofa_corpus_variable(own_corpus, sofa):
    code, out, _ = sofa("ask", "trawlers", "--json", env={"SOFA_CORPUS": str(own_corpus)})
    assert code == 0
    assert json.loads(out)["results"][0]["doc"] == "harbour"


# -- filters on ask -----------------------------------------------------------------------------


def test_filter_source_keeps_only_that_document(sofa):
    _, out, _ = sofa("ask", "Ishiba SOFA revision", "--json", "-k", "5", "--source", "tanaka-interview")
    results = json.loads(out)["results"]
    assert results and {r["doc"] for r in results} == {"tanaka-interview"}


def test_filter_source_is_repeatable(sofa):
    _, out, _ = sofa("ask", "Ishiba", "--json", "-k", "10", "-s", "tanaka-interview", "-s", "kyodo-sofa")
    assert {r["doc"] for r in json.loads(out)["results"]} == {"tanaka-interview", "kyodo-sofa"}


def test_filter_kind(sofa):
    _, out, _ = sofa("ask", "Ishiba", "--json", "-k", "5", "--kind", "article")
    assert {r["kind"] for r in json.loads(out)["results"]} == {"article"}


def test_filter_speaker_matches_reported_speech_in_articles(sofa):
    _, out, _ = sofa("ask", "revision proposal", "--json", "-k", "5", "--speaker", "Hornung")
    results = json.loads(out)["results"]
    assert results and all("Hornung" in r["text"] or r["citation"] == "kyodo-sofa ¶20" for r in results)
    assert "kyodo-sofa ¶19" in {r["citation"] for r in results}


def test_filter_min_score_drops_weak_results(sofa):
    _, out, _ = sofa("ask", "what did Hornung suggest?", "--json", "-k", "10")
    scores = [r["score"] for r in json.loads(out)["results"]]
    threshold = (scores[0] + scores[1]) / 2
    code, out, _ = sofa("ask", "what did Hornung suggest?", "--json", "-k", "10", "--min-score", str(threshold))
    assert [r["score"] for r in json.loads(out)["results"]] == [scores[0]]
    code, out, _ = sofa("ask", "what did Hornung suggest?", "--json", "--min-score", "1000")
    assert code == 1 and json.loads(out)["results"] == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--source", "nowhere"], "unknown source 'nowhere' (see `sofa sources`)"),
        (["--kind", "poem"], "unknown kind 'poem' (choose from article, interview)"),
    ],
)
def test_bad_filter_is_a_one_line_error(args, message, sofa):
    code, _, err = sofa("ask", "Ishiba", *args)
    assert code == 2
    assert err == f"sofa: error: {message}\n"


# -- shell completion ---------------------------------------------------------------------------


def sofa_script(*args, env):
    """The installed `sofa` console script: completion is keyed by the program's name."""
    script = Path(sys.executable).with_name("sofa")
    if not script.exists():
        pytest.skip("the sofa console script is not installed beside this Python")
    return subprocess.run([str(script), *args], capture_output=True, env=dict(os.environ, **env), timeout=60)


def test_completion_script_is_offered_for_bash():
    done = sofa_script("--show-completion", "bash", env={})
    assert done.returncode == 0
    assert b"_SOFA_COMPLETE=complete_bash" in done.stdout


def test_completion_completes_commands_and_options():
    env = {"_SOFA_COMPLETE": "complete_bash", "COMP_WORDS": "sofa so", "COMP_CWORD": "1"}
    assert sofa_script(env=env).stdout.decode().split() == ["sources"]
    env = {"_SOFA_COMPLETE": "complete_bash", "COMP_WORDS": "sofa show --con", "COMP_CWORD": "2"}
    assert sofa_script(env=env).stdout.decode().split() == ["--context"]


def test_help_lists_every_command(sofa):
    _, out, _ = sofa("--help", env={"COLUMNS": "120"})
    for command in ("ask", "index", "eval", "sources", "show", "shell"):
        assert re.search(rf"^\s+{command}\s", out, re.M), command
    assert "--install-completion" in out


def test_rich_sources_and_show_without_a_terminal_are_plain_text(sofa):
    _, out, _ = sofa("sources", "-f", "rich", env={"COLUMNS": "200"})
    assert "\x1b" not in out
    assert out.splitlines()[0].split() == ["Doc", "Kind", "Passages", "Author", "Date", "Title", "Path"]
    _, out, _ = sofa("show", "kyodo-sofa ¶19", "-f", "rich", env={"COLUMNS": "200"})
    lines = out.splitlines()
    assert lines[0].startswith("kyodo-sofa ¶19 · Trump's return")
    assert [line[:5] for line in lines[1:] if line[:5].strip()] == ["  ¶18", "> ¶19", "  ¶20"]  # wrapped lines indent


# -- issue 14 #6: sources readable at 80 columns ------------------------------------------------------


def test_rich_sources_at_80_columns_never_wrap_an_id(sofa):
    _, out, _ = sofa("sources", "-f", "rich", env={"COLUMNS": "80", "FORCE_COLOR": "1", "NO_COLOR": ""})
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.splitlines()]
    assert all(len(line) <= 80 for line in lines)
    starts = [line.split()[0] for line in lines[1:] if line[:1].strip()]
    assert starts == ["kyodo-sofa", "tanaka-interview"]


@pytest.mark.parametrize("columns,path_shown", [(80, False), (100, True), (140, True)])
def test_rich_sources_show_a_path_whole_or_not_at_all(columns, path_shown, sofa):
    env = {"COLUMNS": str(columns), "FORCE_COLOR": "1", "NO_COLOR": ""}
    _, out, _ = sofa("sources", "-f", "rich", env=env)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.splitlines()]
    assert all(len(line) <= columns for line in lines)
    rows = [line for line in lines[1:] if line[:1].strip()]
    assert [row.endswith(f"  {row.split()[0]}.md") for row in rows] == [path_shown, path_shown]
    assert ("Path" in lines[0]) == path_shown and not [line for line in lines if line.endswith((".m", "iew"))]


def test_sources_on_an_80_column_terminal_never_wrap_an_id(shared_index_dir):
    """The same through a pseudo-terminal, as a person sees it: the format and colour sofa
    picks for a terminal by itself, at the width it reads from it."""
    from terminal import Terminal

    term = Terminal("sources", env={"SOFA_INDEX_DIR": shared_index_dir, "COLUMNS": "80", "NO_COLOR": ""})
    try:
        shown = term.rest()
        assert term.wait() == 0
    finally:
        term.close()
    assert "\x1b[" in shown  # rich, coloured: it knows it is on a terminal
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in shown.replace("\r\n", "\n").splitlines()]
    assert lines[0].split()[:2] == ["Doc", "Kind"] and all(len(line) <= 80 for line in lines)
    assert [line.split()[0] for line in lines[1:] if line[:1].strip()] == ["kyodo-sofa", "tanaka-interview"]


def test_plain_sources_are_whole_lines_whatever_the_width(sofa):
    _, out, _ = sofa("sources", "-f", "plain", env={"COLUMNS": "40"})
    lines = out.splitlines()
    assert lines[1].startswith("kyodo-sofa ") and lines[1].endswith("kyodo-sofa.md")
    assert lines[2].startswith("tanaka-interview ") and lines[2].endswith("tanaka-interview.md")


# -- issue 14 #7: results carry metadata, the file and the lines ---------------------------------------


def test_results_carry_author_date_url_file_and_lines(sofa):
    _, out, _ = sofa("ask", "what did Hornung suggest?", "--json", "-k", "1")
    result = json.loads(out)["results"][0]
    assert result["author"] == "Keita Nakamura"
    assert result["date"] is None and result["url"] is None
    assert result["file"] == str(BUNDLED / "kyodo-sofa.md")
    first, last = result["lines"]
    lines = (BUNDLED / "kyodo-sofa.md").read_text(encoding="utf-8").splitlines()
    assert lines[first - 1].startswith("Hornung suggested that while")
    assert last == first  # one line: a paragraph


def test_lines_of_an_interview_turn_and_of_a_jsonl_document(sofa, tmp_path):
    (tmp_path / "talk.md").write_text(
        "---\nkind: interview\n---\n**Q:** What is the harbour plan?\n\n**Ann Lee:** The harbour plan\nspans two lines.\n"
    )
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"title": "one", "text": "Nothing here."})
        + "\n"
        + json.dumps(
            {"title": "two", "text": "The lighthouse keeper retired.", "date": "2024-01-02", "url": "https://x.example/2"}
        )
        + "\n"
    )
    _, out, _ = sofa("ask", "harbour plan spans", "--corpus", str(tmp_path), "--json", "-k", "1")
    result = json.loads(out)["results"][0]
    assert result["speaker"] == "Ann Lee" and result["lines"] == [6, 7]
    _, out, _ = sofa("ask", "lighthouse keeper", "--corpus", str(tmp_path), "--json", "-k", "1")
    result = json.loads(out)["results"][0]
    assert result["lines"] == [2, 2] and result["file"] == str(tmp_path.resolve() / "feed.jsonl")
    assert (result["date"], result["url"]) == ("2024-01-02", "https://x.example/2")


def test_show_a_whole_document(sofa):
    code, out, _ = sofa("show", "tanaka-interview")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("tanaka-interview · Interview with Dr. Keiko Tanaka")
    assert [line.split()[0] for line in lines[1:]] == [f"¶{n}" for n in range(1, 13)]
    assert ">" not in [line[0] for line in lines[1:]]
    _, out, _ = sofa("show", "tanaka-interview", "--json")
    record = json.loads(out)
    assert len(record["passages"]) == 12 and not any(p["cited"] for p in record["passages"])


def test_show_json_has_the_file_and_the_cited_lines(sofa):
    _, out, _ = sofa("show", "kyodo-sofa:19", "--json")
    record = json.loads(out)
    assert record["file"] == str(BUNDLED / "kyodo-sofa.md") and record["lines"] == [25, 25]


def test_show_edit_opens_the_editor_at_the_line(sofa, tmp_path):
    log = tmp_path / "editor.log"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" > {log}\n')
    editor.chmod(0o755)
    code, out, _ = sofa("show", "kyodo-sofa ¶19", "--edit", env={"EDITOR": str(editor), "VISUAL": ""})
    assert code == 0 and out == ""
    assert log.read_text() == f"+25 {BUNDLED / 'kyodo-sofa.md'}\n"


@pytest.mark.parametrize(
    "editor,message",
    [
        ("false", "the editor 'false' exited with status 1 (set $EDITOR to change it)"),
        ("/nonexistent/ed", "cannot run the editor '/nonexistent/ed': No such file or directory (set $EDITOR)"),
    ],
)
def test_show_edit_with_a_failing_editor_says_so_in_one_line(editor, message, sofa):
    code, out, err = sofa("show", "kyodo-sofa ¶19", "--edit", env={"EDITOR": editor, "VISUAL": ""})
    assert (code, out) == (2, "")
    assert err == f"sofa: error: {message}\n"


@pytest.mark.parametrize("citation", [f"kyodo-sofa:{'9' * 5000}", f"kyodo-sofa ¶{'1' * 5000}"])
def test_show_a_huge_passage_number_is_a_clean_error(citation, sofa):
    code, out, err = sofa("show", citation)
    assert (code, out) == (2, "")
    assert err.startswith("sofa: error: kyodo-sofa has no passage ") and err.endswith("digits)\n") and len(err) < 200


# -- issue 14 #10: the indexes kept -------------------------------------------------------------------


def test_index_list_prune_and_clear(sofa, tmp_path):
    index_dir = tmp_path / "indexes"
    env = {"SOFA_INDEX_DIR": str(index_dir)}
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    for folder in (kept, gone):
        write(folder / "a.md", "Alpha.\n\nBeta.\n")
        sofa("index", str(folder), env=env)
    code, out, _ = sofa("index", "--list", env=env)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["FOLDER", "DOCUMENTS", "PASSAGES", "SIZE", "AGE"]
    assert sorted(line.split()[0] for line in lines[1:]) == sorted([str(gone), str(kept)])
    assert all(line.split()[1:3] == ["1", "2"] for line in lines[1:])
    shutil.rmtree(gone)
    _, out, _ = sofa("index", "--list", "--json", env=env)
    records = {r["corpus"]: r for r in map(json.loads, out.splitlines())}
    assert records[str(gone)]["exists"] is False and records[str(kept)]["exists"] is True
    code, _, err = sofa("index", "--prune", env=env)
    assert code == 0
    assert f"sofa: removed the index of {gone} (folder gone; " in err and "pruned 1 index\n" in err
    _, out, _ = sofa("index", "--list", env=env)
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(kept)]
    code, _, err = sofa("index", "--clear", str(kept), env=env)
    assert code == 0 and err.startswith(f"sofa: cleared the index of {kept} (")
    _, out, _ = sofa("index", "--list", env=env)
    assert out.splitlines()[1:] == []
    _, _, err = sofa("index", "--clear", str(kept), env=env)
    assert err == f"sofa: no index of {kept} to clear\n"


def test_index_options_exclude_each_other(sofa):
    code, _, err = sofa("index", "--list", "--prune")
    assert code == 2 and err == "sofa: error: give one of --list, --prune and --clear\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--list", "--rebuild"], "--rebuild is for building an index, not for --list (give one or the other)"),
        (["--clear", "--shards", "2"], "--shards is for building an index, not for --clear (give one or the other)"),
        (["--prune", "--json"], "--json goes with --list (building, --prune and --clear print a path or nothing)"),
        (["--json"], "--json goes with --list (building, --prune and --clear print a path or nothing)"),
    ],
)
def test_index_options_that_would_be_ignored_are_usage_errors(args, message, sofa):
    code, out, err = sofa("index", *args)
    assert (code, out) == (2, "")
    assert err == f"sofa: error: {message}\n"


def test_index_summary_tells_files_from_documents_with_one_path_style(sofa, tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    write(folder / "a.md", "Alpha.\n")
    monkeypatch.chdir(tmp_path)
    _, _, first = sofa("index", "mine")
    _, _, again = sofa("index", "mine")
    assert first.startswith(f"sofa: indexed {folder}: files 1 new, 0 updated, 0 unchanged, 0 removed (1 document, 1 passage, ")
    unchanged = "files 0 new, 0 updated, 1 unchanged, 0 removed (1 document, 1 passage; already up to date)"
    assert again == f"sofa: indexed {folder}: {unchanged}\n"


# -- issue 14 #13: people and quotes --------------------------------------------------------------------


def test_people_lists_who_speaks_or_is_quoted(sofa):
    code, out, _ = sofa("people", "-f", "plain")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["SENTENCES", "NAME", "DOCUMENTS"]
    rows = {" ".join(line.split()[1:-1]): (int(line.split()[0]), line.split()[-1]) for line in lines[1:]}
    assert rows["Dr. Tanaka"][1] == "tanaka-interview" and rows["Jeffrey Hornung"] == (4, "kyodo-sofa")
    _, out, _ = sofa("people", "--json")
    first = json.loads(out.splitlines()[0])
    assert set(first) == {"name", "sentences", "documents"}


def test_quotes_lists_a_persons_sentences_in_document_order(sofa):
    code, out, _ = sofa("quotes", "Hornung", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["name"] == "Hornung" and record["corrected"] is False
    assert [q["citation"] for q in record["quotes"]] == ["kyodo-sofa ¶13", "kyodo-sofa ¶19", "kyodo-sofa ¶20", "kyodo-sofa ¶21"]
    assert record["quotes"][1]["text"].startswith("Hornung suggested that while")
    _, out, _ = sofa("quotes", "Hornung", "-f", "plain")
    assert out.splitlines()[0] == "kyodo-sofa ¶13 · Jeffrey Hornung"


def test_quotes_correct_a_misspelt_name_and_say_so(sofa):
    code, out, err = sofa("quotes", "hornug", "-f", "plain")
    assert code == 0
    assert err == "sofa: showing quotes of 'Jeffrey Hornung' (no one named 'hornug')\n"
    assert out.startswith("kyodo-sofa ¶13 · Jeffrey Hornung")


def test_quotes_of_nobody_exit_1(sofa):
    code, out, err = sofa("quotes", "Zebediah", "Quartermaine")
    assert (code, out) == (1, "")
    assert err == "sofa: no quotes of 'Zebediah Quartermaine' (see `sofa people`)\n"


def test_quotes_take_unquoted_names(sofa):
    _, out, _ = sofa("quotes", "Dr.", "Tanaka", "--json")
    record = json.loads(out)
    assert record["name"] == "Dr. Tanaka" and len(record["quotes"]) == 17


# -- issue 14 #9: completion of option values and document ids in bash, zsh and fish --------------------


def complete(sofa, shell, words, cword=None):
    """The candidates sofa's completion gives `shell` for the command line `words` (run in-process)."""
    if shell == "bash":
        env = {"_SOFA_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    else:
        env = {"_SOFA_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": words, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    code, out, _ = sofa(env=env)
    assert code == 0
    return out


def test_bash_completes_option_values_and_document_ids(sofa):
    sofa("sources")  # completion reads the index already built; it never builds one
    assert complete(sofa, "bash", "sofa ask --kind ", 3).split() == ["article", "interview"]
    assert complete(sofa, "bash", "sofa ask -f m", 3).split() == ["markdown"]
    assert complete(sofa, "bash", "sofa ask --color ", 3).split() == ["auto", "always", "never"]
    assert complete(sofa, "bash", "sofa show ky", 2).split() == ["kyodo-sofa"]
    assert complete(sofa, "bash", "sofa ask --source t", 3).split() == ["tanaka-interview"]
    assert complete(sofa, "bash", "sofa ask --speaker Ho", 3).split() == ["Hornung"]
    assert complete(sofa, "bash", "sofa quotes Ta", 2).split() == ["Tanaka"]
    assert "Nakashima" in complete(sofa, "bash", "sofa shell --speaker ", 3).split()


def test_zsh_and_fish_complete_values_too(sofa):
    sofa("sources")
    assert '"markdown"' in complete(sofa, "zsh", "sofa ask -f ")
    assert "tanaka-interview" in complete(sofa, "fish", "sofa ask --source t")
    assert "kyodo-sofa" in complete(sofa, "zsh", "sofa show k")
    assert "Hornung" in complete(sofa, "fish", "sofa quotes Hor")


@pytest.mark.parametrize(
    "shell,marker", [("bash", "complete_bash"), ("zsh", "#compdef sofa"), ("fish", "complete --command sofa")]
)
def test_show_completion_honours_the_shell_named(shell, marker, sofa):
    code, out, _ = sofa("--show-completion", shell)
    assert code == 0 and marker in out
    others = {"bash": "#compdef", "zsh": "complete --command", "fish": "complete_bash"}
    assert others[shell] not in out


# -- issue 17 #20: a name with a newline can be given back as it is printed ----------------------------


def test_an_id_with_a_newline_is_shown_from_its_printed_citation(sofa, tmp_path):
    (tmp_path / "two\nlines.md").write_text("The harbour plan was approved.\n")
    code, out, _ = sofa("ask", "harbour plan", "--corpus", str(tmp_path), "-f", "plain")
    assert code == 0
    printed = out.splitlines()[0].split(" · ")[0][len("1. ") :]
    assert printed == "two␊lines ¶1"
    code, out, err = sofa("show", printed, "--corpus", str(tmp_path), "-f", "plain")
    assert code == 0, err
    assert "> ¶1  The harbour plan was approved." in out
    code, out, _ = sofa("ask", "harbour", "--corpus", str(tmp_path), "--source", "two␊lines", "--json")
    assert code == 0 and json.loads(out)["results"][0]["doc"] == "two\nlines"


def test_escapes_in_eval_misses_and_index_paths_are_shown_safely(sofa, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"q": "the capital of \x1b]52;c;aGk=\x07France", "gold": ["Paris"]}) + "\n")
    code, out, _ = sofa("eval", str(qa), "--misses")
    assert code == 0 and "miss: " in out
    assert "\x1b" not in out and "\x07" not in out
    folder = tmp_path / "a\x1b[31mb"
    write(folder / "x.md", "Alpha.\n")
    _, out, err = sofa("index", str(folder))
    assert "\x1b" not in out + err and "a␛[31mb" in err


def test_every_passage_of_the_bundled_corpus_is_found_at_its_lines(shared_index_dir):
    import sofa_cli

    with sofa_cli.open(BUNDLED, shared_index_dir) as corpus:
        for doc in corpus.sources():
            lines = (BUNDLED / doc.path).read_text(encoding="utf-8").splitlines()
            previous = 0
            for n in range(1, doc.passages + 1):
                first, last = corpus.lines_of(doc.doc, n)
                text = corpus.show(f"{doc.doc}:{n}", 0).passages[0].text
                assert text.split()[0] in lines[first - 1] and text.split()[-1] in lines[last - 1]
                assert first > previous  # in order, each on its own lines
                previous = last


@pytest.mark.parametrize(
    "typed,name", [("hornug", "Jeffrey Hornung"), ("Dr. Tanka", "Dr. Tanaka"), ("Shigeru Ishbia", "Shigeru Ishiba")]
)
def test_quotes_correct_names_by_the_rules_questions_use(typed, name, sofa):
    _, out, _ = sofa("quotes", typed, "--json")
    record = json.loads(out)
    assert (record["name"], record["corrected"]) == (name, True) and record["quotes"]


@pytest.mark.parametrize("typed", ["Zornung", "Hrnnng", "Smith"])
def test_quotes_do_not_guess_wildly(typed, sofa):
    code, out, _ = sofa("quotes", typed, "--json")
    assert code == 1 and json.loads(out)["quotes"] == []


def test_install_completion_writes_the_named_shells_script_once(sofa, tmp_path):
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}  # never the user's own files
    for shell, script, marker in (
        ("bash", ".bash_completions/sofa.sh", "complete_bash"),
        ("zsh", ".zfunc/_sofa", "#compdef sofa"),
        ("fish", ".config/fish/completions/sofa.fish", "complete --command sofa"),
        ("bash", ".bash_completions/sofa.sh", "complete_bash"),  # again: changes nothing
    ):
        code, out, err = sofa("--install-completion", shell, env=env)
        assert (code, out) == (0, "")
        assert err == f"sofa: {shell} completion installed in {tmp_path / script}; it takes effect in a new shell\n"
        assert marker in (tmp_path / script).read_text()
    assert (tmp_path / ".bashrc").read_text().count("sofa.sh") == 1


def test_show_completion_of_an_unknown_shell_is_a_usage_error(sofa):
    code, out, err = sofa("--show-completion", "tcsh")
    assert (code, out) == (2, "")
    assert err == "sofa: error: unknown shell 'tcsh' (choose from bash, zsh, fish, powershell, pwsh)\n"


# -- issue 14 #7: one serializer for every JSON output ------------------------------------------------


def test_every_commands_json_is_its_library_result_serialized_once(sofa, shared_index_dir, tmp_path):
    """Each command's --json is the library's dataclass through `json_line`, byte for byte:
    no command builds a dict of its own."""
    import sofa_cli
    from sofa_cli.index import catalog
    from sofa_cli.model import json_line

    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"q": "what did Hornung suggest?", "gold": ["Singapore"]}\n{"q": "capital of France", "gold": ["Paris"]}\n')
    with sofa_cli.open(BUNDLED, shared_index_dir) as corpus:
        expected = {
            ("ask", "what did Hornung suggest?", "-k", "2"): json_line(corpus.ask("what did Hornung suggest?", k=2)),
            ("sources",): "".join(json_line(s) for s in corpus.sources()),
            ("show", "kyodo-sofa:19"): json_line(corpus.show("kyodo-sofa:19")),
            ("show", "tanaka-interview"): json_line(corpus.document("tanaka-interview")),
            ("people",): "".join(json_line(p) for p in corpus.people()),
            ("quotes", "Hornung"): json_line(corpus.quotes("Hornung")),
            ("eval", str(qa), "--misses"): json_line(corpus.evaluate(qa, k=5)),
            ("index", "--list"): "".join(json_line(i) for i in catalog.indexes(shared_index_dir)),
        }
    for args, record in expected.items():
        code, out, _ = sofa(*args, "--json")
        assert code == 0, args
        assert out == record, args
