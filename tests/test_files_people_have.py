"""Files as people have them (issue 13, items 5-6): hard-wrapped text, a saved web page,
a plain-text transcript. The corpus is tests/data/files; bench/qa/files.jsonl asks over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sofa_cli.cli import app
from sofa_cli.corpus.attribution import attribute
from sofa_cli.corpus.documents import Document, load_file
from sofa_cli.corpus.html import read_page
from sofa_cli.corpus.paragraphs import leading_title, reflow, split_paragraphs, split_role, wrap_width
from sofa_cli.corpus.segment import passages_of
from sofa_cli.index.writer import build

FILES = Path(__file__).parent / "data" / "files"


def load(name: str) -> tuple[Document, list]:
    (doc,) = load_file(FILES / name, FILES)
    return doc, attribute(doc, passages_of(doc))


def ask(question: str, *extra: str) -> list[dict]:
    result = CliRunner().invoke(app, ["ask", question, "--corpus", str(FILES), "--json", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["results"]


# -- hard-wrapped text ---------------------------------------------------------------------


def test_hard_wrapped_text_without_blank_lines_is_reflowed_into_its_paragraphs():
    doc, passages = load("harbour-notes.txt")
    assert doc.reflowed
    assert [p.text.split(".")[0] for p in passages] == [
        "The harbour board met on Tuesday to discuss the old sea wall at Port Ellery, which was damaged in the January storms",
        "Fishermen asked for the north quay to stay open during the work",
        "Residents raised the question of flooding",
    ]
    assert "the repairs would cost twelve million euros and take two summers to finish." in passages[0].text


def test_wrapped_blocks_lose_their_inner_line_breaks():
    doc, passages = load("market-report.md")
    assert doc.reflowed and len(passages) == 2
    assert all("\n" not in p.text for p in passages)
    assert passages[1].text.endswith("bring back the cheese makers who left during the works.")


def test_plain_output_of_a_wrapped_block_has_no_line_at_column_0():
    """The issue's case: a wrapped paragraph's continuation lines started at column 0 in plain output."""
    result = CliRunner().invoke(app, ["ask", "why do traders pay a lower rent?", "--corpus", str(FILES), "-f", "plain"])
    assert result.exit_code == 0, result.stderr
    assert "market-report ¶2" in result.stdout
    for line in result.stdout.splitlines():
        assert not line or line[0].isdigit() or line.startswith("   "), line


def test_lines_that_are_paragraphs_are_not_reflowed():
    """One paragraph per line, as in the bundled corpus: lines longer than any wrap width."""
    body = "\n".join(f"Paragraph {n} " + "word " * 40 for n in range(5))
    assert wrap_width(body.split("\n")) is None
    assert len(split_paragraphs(body)) == 5
    short_lines = "Apples\nPears\nPlums\nCherries\n"  # a list: lines that do not fill a width
    assert split_paragraphs(short_lines) == ["Apples", "Pears", "Plums", "Cherries"]


def test_reflow_breaks_at_turns_headings_list_items_and_indents():
    lines = [
        "The first paragraph runs on past the width of the",
        "line and ends here with a full stop at the end.",
        "  An indented line begins a new paragraph of its own",
        "that goes on.",
        "- a list item",
    ]
    assert list(reflow(lines, 52)) == [
        "The first paragraph runs on past the width of the line and ends here with a full stop at the end.",
        "An indented line begins a new paragraph of its own that goes on.",
        "- a list item",
    ]


def test_index_reports_how_many_documents_were_reflowed(tmp_path):
    header, sections, report = build(FILES)
    assert report.reflowed == 2  # harbour-notes.txt and market-report.md


def test_sofa_index_says_how_many_documents_it_reflowed():
    result = CliRunner().invoke(app, ["index", str(FILES)])
    assert result.exit_code == 0, result.stderr
    assert "(4 documents, 16 passages," in result.stderr
    assert "; 2 hard-wrapped documents reflowed into paragraphs)" in result.stderr


def test_answer_to_a_wrapped_sentence_is_the_whole_sentence():
    results = ask("how much would the sea wall repairs cost")
    assert results[0]["doc"] == "harbour-notes"
    assert "twelve million euros" in results[0]["answer"]
    assert "\n" not in results[0]["text"]


# -- saved web pages -------------------------------------------------------------------------


def test_web_page_drops_navigation_header_footer_aside_forms_and_banners():
    doc, passages = load("harbour-page.html")
    text = "\n".join(p.text for p in passages)
    for furniture in ("Home", "Sport", "cookies", "Related stories", "Subscribe", "Copyright", "morning briefing", "Share on"):
        assert furniture not in text, furniture
    assert "The harbour board voted five to two" in text
    assert "Construction is due to begin in May" in text


def test_web_page_metadata_comes_from_json_ld_then_meta_og_and_canonical():
    doc, _ = load("harbour-page.html")
    assert doc.title == "Harbour board votes to rebuild the Port Ellery sea wall"  # JSON-LD headline
    assert doc.author == "Jonas Brandt, Lea Voss"
    assert doc.date == "2024-03-02T08:00:00Z"
    assert doc.url == "https://courier.example/news/sea-wall-vote"
    assert doc.source == "The Ellery Courier"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta name="author" content="A. Writer"><meta name="date" content="2023-01-05">',
            {"author": "A. Writer", "date": "2023-01-05"},
        ),
        (
            '<meta property="og:title" content="OG title"><meta property="og:url" content="https://x/og">'
            '<link rel="canonical" href="https://x/canonical"><title>Tag title | Site</title>',
            {"title": "OG title", "url": "https://x/canonical"},
        ),
        ('<meta property="article:published_time" content="2022-02-02">', {"date": "2022-02-02"}),
        (
            '<script type="application/ld+json">{"@graph": [{"@type": "WebSite"}, {"@type": ["NewsArticle"],'
            ' "headline": "Graph headline", "author": {"name": "G. Person"}, "mainEntityOfPage": {"@id": "https://x/g"}}]}</script>',
            {"title": "Graph headline", "author": "G. Person", "url": "https://x/g"},
        ),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": 1e999999, broken</script><title>T</title>',
            {"title": "T"},
        ),
    ],
)
def test_web_page_metadata_sources(head, expected):
    page = read_page(f"<html><head>{head}</head><body><p>Body.</p></body></html>")
    assert {k: page.meta.get(k) for k in expected} == expected
    assert page.body == "Body."


def test_a_web_pages_metadata_reaches_the_results_and_its_furniture_does_not():
    results = ask("when will construction of the sea wall begin?", "-k", "5")
    page = results[0]
    assert page["doc"] == "harbour-page" and "due to begin in May" in page["answer"]
    assert (page["title"], page["author"], page["date"], page["url"]) == (
        "Harbour board votes to rebuild the Port Ellery sea wall",
        "Jonas Brandt, Lea Voss",
        "2024-03-02T08:00:00Z",
        "https://courier.example/news/sea-wall-vote",
    )
    furniture = CliRunner().invoke(app, ["ask", "subscribe home sport copyright", "--corpus", str(FILES), "--json"])
    assert furniture.exit_code == 1 and json.loads(furniture.stdout)["results"] == []  # no passage holds them


def test_header_and_footer_inside_an_article_are_kept():
    page = read_page(
        "<body><header>Site</header><article><header><p>Dateline: Ellery</p></header>"
        "<p>Text.</p><footer>Filed by J.</footer></article></body>"
    )
    assert page.body == "Dateline: Ellery\n\nText.\n\nFiled by J."


# -- plain-text transcripts --------------------------------------------------------------------


def test_transcript_takes_its_leading_title_line_and_separates_roles_from_names():
    doc, passages = load("moreau-interview.txt")
    assert doc.title == "Interview: Chef Ines Moreau on bread, salt and the harbour"
    assert doc.kind == "interview"
    assert [(p.speaker, p.role) for p in passages] == [
        ("Interviewer", None),
        ("Ines Moreau", "Chef"),
        ("Interviewer", None),
        ("Tomas Eid", "Baker"),
        ("Interviewer", None),
        ("Pieter Vos", "Agronomist"),
        ("Ines Moreau", "Chef"),
    ]
    assert passages[1].text.startswith("My grandmother's bakery.")  # the label is not text
    assert passages[3].prompt == "Who bakes the bread for your restaurant now?"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Baker Tomas Eid", ("Tomas Eid", "Baker")),
        ("Agronomist Pieter Vos", ("Pieter Vos", "Agronomist")),
        ("Dr. Tanaka", ("Dr. Tanaka", None)),  # an honorific is part of the name
        ("Dr. Keiko Tanaka", ("Dr. Keiko Tanaka", None)),
        ("Editor", ("Editor", None)),
        ("Baker Eid", ("Baker Eid", None)),  # too short to tell a title from a surname
    ],
)
def test_split_role(label, expected):
    assert split_role(label) == expected


def test_title_line_only_when_it_is_one():
    assert leading_title("Transcript — episode 4\nHost: Hello.\n") == ("Transcript — episode 4", "Host: Hello.\n")
    assert leading_title("The board met on Tuesday.\nIt voted.\n") is None  # an article's first sentence
    article_with_notes = "Harbour news\nUpdate: the vote moved.\nNote: see below.\n"
    assert leading_title(article_with_notes) is None  # two one-off labels are not a conversation


def test_transcript_turns_are_cited_by_the_speaker_name_without_the_role():
    results = ask("how old is the sourdough starter", "-k", "1")
    assert results[0]["doc"] == "moreau-interview"
    assert results[0]["speaker"] == "Tomas Eid"


def test_a_short_answer_that_is_not_courtesy_stays_the_answer():
    (result,) = ask("what brought Ines Moreau back to Port Ellery?", "-k", "1")
    assert result["answer"] == "My grandmother's bakery."


def test_a_speakers_role_is_in_the_index_and_in_json_results():
    (result,) = ask("how old is the sourdough starter", "-k", "1")
    assert (result["speaker"], result["role"]) == ("Tomas Eid", "Baker")
    (article,) = ask("how much would the sea wall repairs cost", "-k", "1")
    assert article["role"] is None  # always present, null without one


@pytest.mark.parametrize("fmt", ["plain", "markdown", "rich"])
def test_a_speakers_role_is_shown_beside_the_speaker_in_every_format(fmt):
    result = CliRunner().invoke(
        app, ["ask", "how old is the sourdough starter", "--corpus", str(FILES), "-k", "1", "--format", fmt]
    )
    assert result.exit_code == 0, result.stderr
    assert "moreau-interview ¶4 · Tomas Eid, Baker · Interview: Chef Ines Moreau" in result.stdout


def test_show_gives_each_turn_its_speakers_role():
    runner = CliRunner()
    shown = runner.invoke(app, ["show", "moreau-interview:4", "-C", "1", "--corpus", str(FILES), "--format", "plain"])
    assert shown.exit_code == 0, shown.stderr
    assert "> ¶4  Tomas Eid, Baker: I do, every morning at four." in shown.stdout
    assert "  ¶3  Interviewer: Who bakes" in shown.stdout  # no role, no comma
    record = json.loads(runner.invoke(app, ["show", "moreau-interview:6", "-C", "0", "--corpus", str(FILES), "--json"]).stdout)
    assert [(p["speaker"], p["role"]) for p in record["passages"]] == [("Pieter Vos", "Agronomist")]


def test_roles_survive_an_update_that_reuses_the_transcripts_indexed_passages(tmp_path):
    """An unchanged file's documents are copied from the previous index, roles with them."""
    import shutil

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FILES / "moreau-interview.txt", corpus)
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    shutil.copy(FILES / "harbour-notes.txt", corpus)
    updated = runner.invoke(app, ["index", str(corpus)])
    assert "1 new, 0 updated, 1 unchanged" in updated.stderr + updated.stdout
    result = runner.invoke(app, ["ask", "how old is the sourdough starter", "--corpus", str(corpus), "--json"])
    assert json.loads(result.stdout)["results"][0]["role"] == "Baker"


def test_wrapper_with_a_furniture_class_does_not_lose_the_article():
    story = "<p>" + "The ferry timetable changes in June. " * 20 + "</p>"
    page = read_page(f'<body><div class="layout has-sidebar">{story}</div><div class="site-nav">Home | World</div></body>')
    assert page.body.startswith("The ferry timetable changes in June.")
    page = read_page(f'<body><div class="content">{story}</div><div class="site-nav">Home | World</div></body>')
    assert "Home" not in page.body  # with the article kept, class rules still drop the furniture


@pytest.mark.parametrize("separator", ["\n", "\n\n"])
def test_streamed_wrapped_file_reads_as_the_whole_file(tmp_path, monkeypatch, separator):
    """Hard-wrapped lines (no blank lines) and wrapped blocks (blank lines) give the same
    paragraphs whether a file is read whole or streamed in small chunks."""
    import textwrap

    from sofa_cli.corpus import documents

    paragraphs = [
        f"Paragraph {n} says " + "the harbour board met again and talked " * (n % 7 + 2) + "until late." for n in range(60)
    ]
    (tmp_path / "wrapped.txt").write_text(separator.join(textwrap.fill(p, 66) for p in paragraphs) + "\n", encoding="utf-8")
    (whole,) = load_file(tmp_path / "wrapped.txt", tmp_path)
    monkeypatch.setattr(documents, "STREAM_THRESHOLD", 0)
    monkeypatch.setattr(documents, "READ_CHUNK", 301)
    (streamed,) = load_file(tmp_path / "wrapped.txt", tmp_path)
    assert streamed.stream is not None and whole.stream is None
    assert list(streamed.paragraphs()) == list(whole.paragraphs())
    assert streamed.reflowed and whole.reflowed
    if separator == "\n\n":
        assert list(whole.paragraphs()) == paragraphs
    else:  # without blank lines, a paragraph whose last line is full runs on into the next
        assert " ".join(whole.paragraphs()) == " ".join(paragraphs)
        assert len(list(whole.paragraphs())) >= 0.8 * len(paragraphs)


@pytest.mark.parametrize("stream", [False, True])
def test_double_spaced_typeset_text_is_reflowed_into_its_paragraphs(tmp_path, monkeypatch, stream):
    """TIME.ALL as it comes: a blank line after every printed line, lines ending short of the
    widest one (not a greedy wrap), a paragraph's last line short. It was one passage per line."""
    import textwrap

    from sofa_cli.corpus import documents

    paragraphs = [
        f"Paragraph {n} says that " + "the harbour board met again and talked about the sea wall " * 4 + "until late at night."
        for n in range(5)
    ]
    wrapped = [textwrap.wrap(p, 60 + 2 * n) for n, p in enumerate(paragraphs)]  # 60 to 68 columns
    assert all(len(p[-1]) < 45 for p in wrapped)  # a last line that fills the width reads as running on
    lines = [line for p in wrapped for line in p]
    (tmp_path / "TIME.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    if stream:
        monkeypatch.setattr(documents, "STREAM_THRESHOLD", 0)
        monkeypatch.setattr(documents, "READ_CHUNK", 301)
    (doc,) = load_file(tmp_path / "TIME.txt", tmp_path)
    assert (doc.stream is not None) == stream
    assert doc.reflowed
    assert list(doc.paragraphs()) == paragraphs
