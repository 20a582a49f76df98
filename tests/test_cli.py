"""The command line's contract: JSON shape, exit codes, stdin batches, pipes, errors."""

import json
import os
import subprocess
import sys
import time

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


def test_pipe_output_has_no_ansi_codes():
    proc = run_process("ask", "what did Hornung suggest?", env={"NO_COLOR": ""})
    assert proc.returncode == 0
    assert b"\x1b[" not in proc.stdout
    assert "kyodo-sofa ¶19".encode() in proc.stdout


def test_rich_format_without_terminal_honours_no_color(sofa):
    code, out, _ = sofa("ask", "what did Hornung suggest?", "--format", "rich", "-k", "1", env={"NO_COLOR": "1"})
    assert code == 0
    assert "kyodo-sofa ¶19" in out
    assert "\x1b[" not in out


def test_closed_pipe_ends_quietly(tmp_path):
    questions = "\n".join(["what did Hornung suggest?"] * 300) + "\n"
    proc = subprocess.run(
        f"{sys.executable} -m sofa_cli ask - --json | head -1",
        shell=True,
        input=questions.encode(),
        capture_output=True,
        env=dict(os.environ),
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
