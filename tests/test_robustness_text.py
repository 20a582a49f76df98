"""Untrusted corpus text is shown, never obeyed: escapes, bidi overrides and rich markup
are neutralised in every output format, and citations never reach outside the corpus."""

import json

import pytest
from typer.testing import CliRunner

from sofa_cli.cli import app
from sofa_cli.text.safety import safe, safe_line, strip_controls

HOSTILE = (
    "Zyzzyva \x1b]0;pwned title\x07 \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ "
    "\x1b[2J\x1b[31mred\x1b[0m \x9b31m \u202eevil\u202c \u2066iso\u2069 [bold red]not markup[/] [link=https://x]y[/link]\r\n"
)
# What must never reach a terminal: ESC, the C1 CSI, BEL, CR, and bidi controls.
FORBIDDEN = ["\x1b", "\x9b", "\x07", "\r", "\u202e", "\u202c", "\u2066", "\u2069"]


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "hostile.md").write_text(
        "---\ntitle: Evil \x1b]0;title\x07 [red]T[/red]\nauthor: \u202eMallory\n---\n" + HOSTILE, encoding="utf-8"
    )
    (root / "esc\x1b[31mname.md").write_text("Zyzzyva in a badly named file.\n", encoding="utf-8")
    return root


def run(*args, env=None):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["plain", "markdown", "rich", "json"])
def test_escape_sequences_and_bidi_are_neutralised_in_every_format(corpus, fmt):
    code, out, err = run("ask", "zyzzyva", "--corpus", str(corpus), "--format", fmt, "-k", "5")
    assert code == 0
    for bad in FORBIDDEN:
        assert bad not in out, (fmt, repr(bad))
        assert bad not in err, (fmt, repr(bad))
    if fmt != "json":
        assert "␛]0;pwned title␇" in out  # shown, visibly, not obeyed
        assert "\ufffdevil\ufffd" in out


def test_json_keeps_the_text_exact_while_escaping_it(corpus):
    code, out, err = run("ask", "zyzzyva", "--corpus", str(corpus), "--json", "-k", "5")
    assert code == 0
    assert "\\u001b]0;pwned" in out and "\\u202e" in out and "\\u009b" in out
    texts = [r["text"] for r in json.loads(out)["results"]]
    assert HOSTILE.strip().replace("\r", "") in [t.replace("\r", "") for t in texts]


@pytest.mark.parametrize("fmt", ["rich", "plain"])
def test_rich_markup_in_corpus_text_is_printed_literally(corpus, fmt):
    code, out, err = run(
        "ask", "zyzzyva", "--corpus", str(corpus), "--format", fmt, "-k", "5", env={"FORCE_COLOR": "1", "NO_COLOR": ""}
    )
    assert code == 0
    assert "[bold red]not markup[/]" in out
    assert "[link=https://x]y[/link]" in out
    assert "[red]T[/red]" in out  # the title too


def test_hostile_file_name_in_warnings_is_neutralised(corpus):
    (corpus / "bin\x1b]0;x\x07.txt").write_bytes(b"\x00\x01binary")
    code, out, err = run("index", str(corpus))
    assert code == 0
    assert "skipped bin␛]0;x␇.txt: binary file" in err
    assert "\x1b" not in err and "\x07" not in err


def test_safe_replaces_one_for_one_so_offsets_hold():
    text = "a\x1bb\u202ec\x9bd\te\nf"
    assert len(safe(text)) == len(text)
    assert safe(text) == "a␛b\ufffdc\ufffdd\te\nf"
    assert safe_line(text) == "a␛b\ufffdc\ufffdd e␊f"


def test_strip_controls_removes_whole_sequences():
    assert strip_controls("\x1b[1;31mHornung\x1b[0m").split() == ["Hornung"]
    assert strip_controls("\x1b]0;title\x07what").split() == ["what"]
    assert strip_controls("a\u202eb").split() == ["a", "b"]


@pytest.mark.parametrize(
    "citation",
    [
        "../../etc/passwd ¶1",
        "../../../../../../etc/passwd:1",
        "/etc/passwd ¶1",
        "hostile/../../secret ¶1",
        "..%2f..%2fetc%2fpasswd ¶1",
    ],
)
def test_show_cannot_read_outside_the_corpus(corpus, tmp_path, citation):
    (tmp_path / "secret.md").write_text("TOP SECRET outside the corpus\n", encoding="utf-8")
    code, out, err = run("show", citation, "--corpus", str(corpus))
    assert code == 2
    assert "TOP SECRET" not in out and "root:" not in out
    assert err.splitlines()[-1].startswith("sofa: error: unknown document") and "Traceback" not in err
