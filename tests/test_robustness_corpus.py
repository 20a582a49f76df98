"""Bad corpus files: sofa skips or decodes them with a warning, never crashes (docs/robustness.md)."""

import json
import os
import sys
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sofa_cli.cli import app
from sofa_cli.corpus import documents
from sofa_cli.corpus.discover import Skipped, discover, fingerprints, scan
from sofa_cli.corpus.documents import Document, load_file
from sofa_cli.corpus.paragraphs import MAX_PASSAGE_CHARS
from sofa_cli.index import writer as index_module
from tests.conftest import run_process

GOOD = "Hornung suggested a review of the status of forces agreement.\n"


def cli(*args, input=None):
    """Run sofa in-process; an exception escaping the CLI fails the test (no traceback allowed)."""
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def ask_json(corpus: Path, question: str, *extra: str):
    code, out, err = cli("ask", question, "--corpus", str(corpus), "--json", "-k", "20", *extra)
    return code, (json.loads(out)["results"] if out.strip() else []), err


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.md").write_text(GOOD, encoding="utf-8")
    return root


def assert_one_line_error(code, out, err):
    assert code == 2
    assert out == ""
    assert err.startswith("sofa: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_binary_file_is_skipped_with_warning(corpus):
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert [r["doc"] for r in results] == ["good"]
    assert "skipped image.txt: binary file" in err


def test_invalid_utf8_is_decoded_as_latin1_with_warning(corpus):
    (corpus / "latin.txt").write_bytes("Caf\xe9 owners protested the treaty\x92s terms.\n".encode("latin-1"))
    code, results, err = ask_json(corpus, "treaty café")
    assert code == 0
    assert results[0]["doc"] == "latin"
    assert "Café owners protested the treaty’s terms." == results[0]["text"]
    assert "latin.txt: not valid UTF-8, decoded as Latin-1" in err


@pytest.mark.parametrize(
    "encoding,bom,read_as",
    [
        ("utf-16", b"", "UTF-16"),
        ("utf-16-be", b"\xfe\xff", "UTF-16"),
        ("utf-32", b"", "UTF-32"),  # formerly read as UTF-16 (its BOM starts like one), or as binary
        ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32"),
    ],
)
def test_wide_text_with_byte_order_mark_is_decoded_with_warning(corpus, encoding, bom, read_as):
    (corpus / "wide.txt").write_bytes(bom + "Okinawa residents protested the base.\n".encode(encoding))
    code, results, err = ask_json(corpus, "Okinawa residents")
    assert code == 0
    assert results[0]["text"] == "Okinawa residents protested the base."
    assert f"wide.txt: decoded as {read_as} (byte order mark)" in err


def test_utf8_byte_order_mark_is_dropped_silently(corpus):
    (corpus / "bom.md").write_bytes(b"\xef\xbb\xbf---\ntitle: With BOM\n---\nKadena Air Base flags.\n")
    code, results, err = ask_json(corpus, "Kadena flags")
    assert code == 0
    assert results[0]["title"] == "With BOM"
    assert "warning" not in err


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n", b"---\ntitle: Only metadata\n---\n"])
def test_empty_files_index_without_passages(corpus, content):
    (corpus / "empty.md").write_bytes(content)
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert [r["doc"] for r in results] == ["good"]


def _write_big(path: Path, megabytes: float) -> int:
    """Paragraphs of ordinary prose, and one rare word in the very last paragraph."""
    para = "The national flags of Japan and the United States wave at Kadena Air Base. " * 6
    target = int(megabytes * 1024 * 1024)
    with open(path, "w", encoding="utf-8") as f:
        written = 0
        while written < target:
            f.write(para + "\n\n")
            written += len(para) + 2
        f.write("Zyzzyva is the last word of this file.\n")
    return path.stat().st_size


def test_large_file_is_streamed_with_bounded_memory(tmp_path, monkeypatch):
    """The 200 MB case at 4 MB: read in 64 KiB chunks, memory holds a chunk and a paragraph,
    not the file (reading it whole would hold it twice: bytes and text)."""
    monkeypatch.setattr(documents, "STREAM_THRESHOLD", 1024 * 1024)
    monkeypatch.setattr(documents, "READ_CHUNK", 64 * 1024)
    monkeypatch.setattr(documents, "HEAD_BYTES", 64 * 1024)
    size = _write_big(tmp_path / "big.txt", 4)
    tracemalloc.start()
    try:
        (doc,) = load_file(tmp_path / "big.txt", tmp_path)
        count = 0
        last = ""
        for paragraph in doc.paragraphs():
            count += 1
            last = paragraph
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert doc.stream is not None
    assert last == "Zyzzyva is the last word of this file."
    assert count > 8000
    assert peak < size / 8, f"peak {peak:,} bytes while streaming a {size:,}-byte file"


def test_large_file_streamed_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "STREAM_THRESHOLD", 64 * 1024)
    monkeypatch.setattr(documents, "READ_CHUNK", 16 * 1024)
    root = tmp_path / "corpus"
    root.mkdir()
    _write_big(root / "big.txt", 0.25)
    code, results, err = ask_json(root, "zyzzyva")
    assert code == 0
    assert results[0]["text"] == "Zyzzyva is the last word of this file."


def test_very_long_line_is_cut_into_bounded_passages(corpus):
    words = [f"w{i % 50}" for i in range(40_000)]  # one 150 KB line
    (corpus / "minified.txt").write_text(" ".join(words) + " needleword", encoding="utf-8")
    code, results, err = ask_json(corpus, "needleword")
    assert code == 0
    hit = results[0]
    assert hit["doc"] == "minified" and hit["text"].endswith("needleword")
    assert len(hit["text"]) <= MAX_PASSAGE_CHARS
    assert hit["passage"] > 15  # the line became many passages
    (doc,) = load_file(corpus / "minified.txt", corpus)
    pieces = list(doc.paragraphs())
    assert max(len(p) for p in pieces) <= MAX_PASSAGE_CHARS
    assert " ".join(pieces) == " ".join(words) + " needleword"  # verbatim but for the cuts


def test_symlink_loops_do_not_hang_or_duplicate(corpus):
    (corpus / "self.md").symlink_to("self.md")
    (corpus / "a.md").symlink_to("b.md")
    (corpus / "b.md").symlink_to("a.md")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up").symlink_to("..", target_is_directory=True)
    (corpus / "sub" / "note.md").write_text("Nakashima welcomed the plan.\n", encoding="utf-8")
    code, results, err = ask_json(corpus, "Nakashima welcomed")
    assert code == 0
    assert [r["doc"] for r in results] == ["sub/note"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="chmod 000 does not stop root")
def test_unreadable_file_is_skipped_real_permissions(corpus):
    secret = corpus / "secret.md"
    secret.write_text("Hornung secret.\n", encoding="utf-8")
    secret.chmod(0)
    try:
        code, results, err = ask_json(corpus, "Hornung")
    finally:
        secret.chmod(0o644)
    assert code == 0
    assert [r["doc"] for r in results] == ["good"]
    assert "skipped secret.md: Permission denied" in err


def test_unreadable_file_is_skipped(corpus, monkeypatch):
    """Same case, run as any user (root included): reading the file fails with EACCES."""
    secret = corpus / "secret.md"
    secret.write_text("Hornung secret.\n", encoding="utf-8")
    real_open = documents.open_regular

    def open_regular(path, inside=None):
        if path.name == "secret.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, inside)

    monkeypatch.setattr(documents, "open_regular", open_regular)
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert [r["doc"] for r in results] == ["good"]
    assert "skipped secret.md: Permission denied" in err


def test_file_deleted_while_indexing_is_skipped(corpus, monkeypatch):
    (corpus / "vanishing.md").write_text("Hornung vanished.\n", encoding="utf-8")
    real_load = index_module.load_file

    def load_file_after_delete(path, root, *how):
        if path.name == "vanishing.md":
            path.unlink()
        return real_load(path, root, *how)

    monkeypatch.setattr(index_module, "load_file", load_file_after_delete)
    code, out, err = cli("index", str(corpus))
    assert code == 0
    assert "skipped vanishing.md: No such file or directory" in err
    monkeypatch.setattr(index_module, "load_file", real_load)
    code, results, err = ask_json(corpus, "Hornung")
    assert [r["doc"] for r in results] == ["good"]


def test_file_changed_while_indexing_is_reread_next_time(corpus, monkeypatch):
    changing = corpus / "changing.md"
    changing.write_text("First version about Ishiba.\n", encoding="utf-8")
    real_load = index_module.load_file

    def load_then_change(path, root, *how):
        items = list(real_load(path, root, *how))
        if path.name == "changing.md":
            stat = path.stat()
            path.write_text("Second version about Ishiba and Zyzzyva.\n", encoding="utf-8")
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        return iter(items)

    monkeypatch.setattr(index_module, "load_file", load_then_change)
    assert cli("index", str(corpus))[0] == 0
    monkeypatch.setattr(index_module, "load_file", real_load)
    code, results, err = ask_json(corpus, "Zyzzyva")
    assert code == 0
    assert results[0]["text"] == "Second version about Ishiba and Zyzzyva."
    assert "1 updated" in err


def test_missing_corpus_folder_is_a_one_line_error(tmp_path):
    assert_one_line_error(*cli("ask", "Hornung", "--corpus", str(tmp_path / "nope")))
    assert_one_line_error(*cli("index", str(tmp_path / "nope")))


def test_corpus_that_is_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "file.md").write_text("x", encoding="utf-8")
    assert_one_line_error(*cli("ask", "Hornung", "--corpus", str(tmp_path / "file.md")))


def test_empty_corpus_folder_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "photo.jpg").write_bytes(b"\xff\xd8")
    code, out, err = cli("ask", "Hornung", "--corpus", str(tmp_path / "empty"))
    assert code == 2 and out == ""
    assert "sofa: error: no text to search in" in err and "Traceback" not in err


def test_odd_file_names_are_indexed_and_cited_on_one_line(corpus):
    (corpus / "with space.md").write_text("Ishiba spoke about spaces.\n", encoding="utf-8")
    (corpus / "new\nline.md").write_text("Ishiba spoke about newlines.\n", encoding="utf-8")
    (corpus / "日本語 ñ.md").write_text("Ishiba spoke about Unicode.\n", encoding="utf-8")
    code, results, err = ask_json(corpus, "Ishiba spoke")
    assert code == 0
    assert sorted(r["doc"] for r in results) == ["new\nline", "with space", "日本語 ñ"]
    code, out, err = cli("ask", "Ishiba spoke", "--corpus", str(corpus), "--format", "plain", "-k", "5")
    headers = [line for line in out.splitlines() if line[:1].isdigit()]
    assert len(headers) == 3  # the newline in a name does not break the header line
    assert any("new␊line ¶1" in h for h in headers)


def test_duplicate_document_ids_get_distinct_citations(corpus):
    (corpus / "notes.md").write_text("Hornung notes in markdown.\n", encoding="utf-8")
    (corpus / "notes.txt").write_text("Hornung notes in plain text.\n", encoding="utf-8")
    code, results, err = ask_json(corpus, "Hornung notes")
    citations = sorted(r["citation"] for r in results[:2])
    assert citations == ["notes ¶1", "notes.txt ¶1"]
    assert "notes.txt: document id 'notes' is taken; cited as 'notes.txt'" in err
    (corpus / "good.md").write_text(GOOD + "\nMore.\n", encoding="utf-8")  # incremental rebuild keeps them
    code, results, err = ask_json(corpus, "Hornung notes")
    assert sorted(r["citation"] for r in results[:2]) == ["notes ¶1", "notes.txt ¶1"]


def test_bad_jsonl_lines_are_skipped_by_line(corpus):
    (corpus / "feed.jsonl").write_bytes(
        b'{"title": "One", "text": "Hornung in JSON."}\n{broken\n[1, 2]\n\xff\xfe{"text": 1}\n'
        + json.dumps({"title": "Five", "text": "Caf\u00e9 talk."}).encode()
        + b"\n"
    )
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert "feed#1" in [r["doc"] for r in results]
    assert "skipped feed.jsonl:2: not valid JSON" in err
    assert 'skipped feed.jsonl:3: no "text" field' in err


def test_streamed_and_whole_reading_agree(tmp_path, monkeypatch):
    text = "---\ntitle: T\n---\n" + "\r\n\r\n".join(f"Paragraph {i} " + "word " * (i * 37 % 3000) for i in range(300))
    (tmp_path / "f.txt").write_bytes(text.encode("utf-8"))
    (whole,) = load_file(tmp_path / "f.txt", tmp_path)
    monkeypatch.setattr(documents, "STREAM_THRESHOLD", 0)
    monkeypatch.setattr(documents, "READ_CHUNK", 777)
    (streamed,) = load_file(tmp_path / "f.txt", tmp_path)
    assert isinstance(streamed, Document) and streamed.stream is not None and whole.stream is None
    assert streamed.title == whole.title == "T"
    assert list(streamed.paragraphs()) == list(whole.paragraphs())


# -- issue 17: the corpus folder is a boundary; no loader hangs or holds a whole huge file --


def test_symlink_out_of_the_corpus_is_refused(corpus, tmp_path):
    outside = tmp_path / "secrets.txt"
    outside.write_text("Hornung private key material.\n", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to(outside)
    (corpus / "inside.md").symlink_to(corpus / "good.md")  # a link within the folder is fine
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert sorted(r["doc"] for r in results) == ["good", "inside"]
    assert "skipped passwd.txt: link to a file outside the corpus folder, not followed" in err


def test_symlink_out_of_the_corpus_is_followed_when_allowed(corpus, tmp_path):
    outside = tmp_path / "shared.md"
    outside.write_text("Shared notes.\n", encoding="utf-8")
    (corpus / "shared.md").symlink_to(outside)
    assert [p.name for p in discover(corpus)] == ["good.md"]
    assert [p.name for p in discover(corpus, follow_outside_links=True)] == ["good.md", "shared.md"]
    assert "shared.md" in fingerprints(corpus, follow_outside_links=True)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_link_into_proc_is_refused_and_never_makes_the_index_stale(corpus):
    (corpus / "status.txt").symlink_to("/proc/self/status")
    found = scan(corpus, follow_outside_links=True)  # not even when links may leave the folder
    assert [s.reason for s in found.skipped] == ["link into /proc, not followed"]
    assert "status.txt" not in fingerprints(corpus, follow_outside_links=True)
    assert cli("index", str(corpus))[0] == 0
    code, out, err = cli("index", str(corpus))
    assert "0 new, 0 updated, 1 unchanged" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_in_the_corpus_is_skipped_with_a_warning(corpus):
    os.mkfifo(corpus / "pipe.md")
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert [r["doc"] for r in results] == ["good"]
    assert "skipped pipe.md: not a regular file (a FIFO), not read" in err


def _finishes(fn, seconds: float = 20.0):
    """fn()'s result, or AssertionError when it is still running after `seconds` (a hang)."""
    import threading

    box = []
    worker = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "still waiting"
    return box[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("name", ["swapped.md", "swapped.jsonl", "swapped.html"])
def test_file_swapped_for_a_fifo_after_the_scan_is_not_waited_on(corpus, name):
    os.mkfifo(corpus / name)  # what load_file meets when the file changed after discover()
    (item,) = _finishes(lambda: list(load_file(corpus / name, corpus)))
    assert item == Skipped(name, "not a regular file (a FIFO or device), not read")


def test_jsonl_integer_too_long_for_python_keeps_the_line_and_those_after(corpus):
    huge = "9" * 5000
    (corpus / "feed.jsonl").write_text(
        '{"text": "Hornung on big numbers.", "count": ' + huge + "}\n"
        '{"text": "Hornung again.", "date": ' + huge + "}\n"
        "{broken " + huge + "\n"
        '{"text": "Hornung last."}\n',
        encoding="utf-8",
    )
    code, results, err = ask_json(corpus, "Hornung")
    assert code == 0
    assert sorted(r["doc"] for r in results) == ["feed#1", "feed#2", "feed#4", "good"]
    assert "skipped feed.jsonl:3: not valid JSON" in err
    (first, second, broken, last) = load_file(corpus / "feed.jsonl", corpus)
    assert second.date == huge  # kept as its digits, not converted


def test_overlong_jsonl_line_is_skipped_by_line_without_being_held(corpus, monkeypatch):
    monkeypatch.setattr(documents, "MAX_JSONL_LINE", 64 * 1024)
    monkeypatch.setattr(documents, "READ_CHUNK", 16 * 1024)
    long_text = "Hornung words. " * 200_000  # 3 MB on one line
    (corpus / "feed.jsonl").write_text(
        json.dumps({"text": "Ishiba first."})
        + "\n"
        + json.dumps({"text": long_text})
        + "\n"
        + json.dumps({"text": "Ishiba third."})
        + "\n",
        encoding="utf-8",
    )
    tracemalloc.start()
    try:
        items = list(load_file(corpus / "feed.jsonl", corpus))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [getattr(i, "id", None) for i in items] == ["feed#1", None, "feed#3"]
    assert items[1] == Skipped("feed.jsonl:2", "line longer than 64 KiB, not read")
    assert peak < 1024 * 1024, f"peak {peak:,} bytes for a 3 MB line"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_wide_jsonl_is_read_line_by_line(corpus, encoding):
    text = json.dumps({"text": "Okinawa in wide JSON."}) + "\n" + json.dumps({"text": "Second line."}) + "\n"
    (corpus / "wide.jsonl").write_bytes(text.encode(encoding))
    items = list(load_file(corpus / "wide.jsonl", corpus))
    assert [d.body for d in items] == ["Okinawa in wide JSON.", "Second line."]
    assert items[0].warnings == [f"decoded as {encoding.upper()} (byte order mark)"]


def test_huge_html_page_is_read_only_up_to_its_bound(corpus, monkeypatch):
    monkeypatch.setattr(documents, "MAX_HTML_BYTES", 64 * 1024)
    page = "<html><body><p>Hornung opens the page.</p>" + "<p>filler words here</p>" * 100_000 + "<p>Zyzzyva.</p></body></html>"
    (corpus / "page.html").write_text(page, encoding="utf-8")
    tracemalloc.start()
    try:
        (doc,) = load_file(corpus / "page.html", corpus)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert doc.body.startswith("Hornung opens the page.") and "Zyzzyva" not in doc.body
    assert doc.warnings == ["only the first 64 KiB read"]
    assert peak < 2 * 1024 * 1024, f"peak {peak:,} bytes for a 2.4 MB page"


def test_zero_width_space_inside_a_word_does_not_split_it(corpus):
    """In corpus text and in a question (text/safety.py: strip_controls drops them too)."""
    (corpus / "web.md").write_text("Oki\u200bnawa resi\u00addents pro\u2060tested.\n", encoding="utf-8")
    code, results, err = ask_json(corpus, "Okinawa residents protested")
    assert code == 0
    assert results[0]["text"] == "Okinawa residents protested."
    code, results, err = ask_json(corpus, "Oki\u200bnawa resi\u00addents")  # in a question too
    assert code == 0 and results[0]["text"] == "Okinawa residents protested."
    assert "correct" not in err and "unknown" not in err


def test_file_given_as_corpus_is_called_not_a_folder(tmp_path):
    (tmp_path / "file.md").write_text("x", encoding="utf-8")
    code, out, err = cli("ask", "Hornung", "--corpus", str(tmp_path / "file.md"))
    assert_one_line_error(code, out, err)
    assert "is a file" in err and "not found" not in err


@pytest.mark.skipif(os.name != "posix" or sys.platform == "darwin", reason="needs a file system that takes any bytes")
def test_names_that_are_not_utf8_work_and_round_trip(tmp_path):
    """caf\\xe9.md in a folder d\\xff, under a corpus root caf\\xe9-root: indexed, cited,
    shown, and the index is fresh on the next ask (the names round-trip through its header)."""
    root = os.path.join(os.fsencode(tmp_path), b"caf\xe9-root")
    os.makedirs(os.path.join(root, b"d\xff"))
    with open(os.path.join(root, b"caf\xe9.md"), "wb") as f:
        f.write("Hornung visited the café.\n".encode())
    with open(os.path.join(root, b"d\xff", b"n.md"), "wb") as f:
        f.write(b"Hornung in a folder.\n")
    env = {"SOFA_INDEX_DIR": str(tmp_path / "index")}
    done = run_process("ask", "Hornung", "--corpus", root, "--json", env=env)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.decode("utf-8", "surrogateescape"))["results"]
    assert sorted(r["doc"] for r in results) == ["caf\udce9", "d\udcff/n"]
    assert {r["title"] for r in results} == {"caf\\xe9", "n"}  # a title is readable text
    again = run_process("ask", "Hornung", "--corpus", root, env=env)
    assert again.returncode == 0 and b"indexed" not in again.stderr
    shown = run_process("show", b"caf\xe9:1", "--corpus", root, env=env)
    assert shown.returncode == 0 and "Hornung visited the café." in shown.stdout.decode("utf-8", "surrogateescape")


@pytest.mark.skipif(os.name != "posix" or sys.platform == "darwin", reason="needs a file system that takes any bytes")
def test_names_that_are_not_utf8_are_printed_escaped_everywhere_and_taken_back(tmp_path):
    """A name's bytes that are not UTF-8 (0x9B is a one-byte CSI on 8-bit terminals) never
    reach the terminal raw: ask, show, sources, index, eval --misses and warnings print
    `x\\x9by` (text/safety.py: safe_line), JSON writes `\\udc9b`, and the printed form is
    taken back by show, --source and the shell's :show and Tab completion (issue 17 #8, #11)."""
    import io

    import sofa_cli
    from sofa_cli.cli.shell import Shell

    root = os.path.join(os.fsencode(tmp_path), b"r\xe9")
    os.makedirs(root)
    with open(os.path.join(root, b"x\x9by.md"), "wb") as f:
        f.write(b"Hornung repaired the lighthouse.\n")
    with open(os.path.join(root, b"bin\xff.md"), "wb") as f:
        f.write(b"\x00\x01")
    corpus, index = os.fsdecode(root), str(tmp_path / "index")
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"q": "who repaired the lighthouse", "gold": ["nowhere"]}) + "\n")
    where = ("--corpus", corpus, "--index-dir", index)
    runs = {
        "index": cli("index", corpus, "--index-dir", index),
        "ask": cli("ask", "lighthouse", *where, "-f", "plain"),
        "sources": cli("sources", *where),
        "show": cli("show", "x\\x9by ¶1", *where, "-f", "plain"),
        "source": cli("ask", "lighthouse", "--source", "x\\x9by", *where, "--json"),
        "eval": cli("eval", str(qa), "--misses", *where),
    }
    for command, (code, out, err) in runs.items():
        assert code == 0, (command, err)
        raw = [c for c in out + err if "\udc80" <= c <= "\udcff" or "\x80" <= c <= "\x9f"]
        assert not raw, (command, out + err)
    assert "r\\xe9" in runs["index"][1] and "skipped bin\\xff.md: binary file" in runs["index"][2]
    assert runs["ask"][1].startswith("1. x\\x9by ¶1 · ")
    assert "x\\x9by.md" in runs["sources"][1]
    assert "Hornung repaired the lighthouse." in runs["show"][1]
    assert "\\udc9b" in runs["source"][1] and json.loads(runs["source"][1])["results"][0]["doc"] == "x\udc9by"
    assert "got x\\x9by ¶1" in runs["eval"][1]
    shell = Shell(corpus=sofa_cli.open(corpus, index), out=io.StringIO(), err=io.StringIO())
    assert shell.completions(":show ", "") == ["x\\x9by "]
    shell.handle(":show x\\x9by:1")
    assert "Hornung repaired the lighthouse." in shell.out.getvalue()


def test_half_a_character_escaped_in_json_is_replaced_not_a_crash(corpus):
    """JSON can escape a lone surrogate ("\\ud800"), which no UTF-8 can hold: in a .jsonl
    record or a page's JSON-LD it ended every ask in "surrogates not allowed" (a bug, exit 2)."""
    record = '{"title": "T\\ud800", "author": "Ann \\udcff", "text": "The walrus \\ud800 sang at dawn."}'
    (corpus / "feed.jsonl").write_text(record + "\n", encoding="utf-8")
    ld = '{"@type": "NewsArticle", "headline": "Head \\udc00", "author": {"name": "Bo \\udcff"}}'
    page = f'<script type="application/ld+json">{ld}</script><article><p>The heron sang at dusk.</p></article>'
    (corpus / "page.html").write_text(page, encoding="utf-8")
    code, results, err = ask_json(corpus, "walrus")
    assert code == 0, err
    assert results[0]["text"] == "The walrus \ufffd sang at dawn." and results[0]["title"] == "T\ufffd"
    code, out, err = cli("sources", "--corpus", str(corpus), "--json")
    assert code == 0, err
    authors = {json.loads(line)["doc"]: json.loads(line)["author"] for line in out.splitlines()}
    assert authors["feed#1"] == "Ann \ufffd" and authors["page"] == "Bo \ufffd"


def test_follow_links_flag_reads_links_out_of_the_corpus_and_stays_fresh(corpus, tmp_path):
    """The documented way to allow them: `--follow-links` (SOFA_FOLLOW_LINKS; sofa_cli.open(
    follow_links=True)). An index built with it is fresh for a command given it too (the
    shell's refresh included), and one without it drops the outside file again."""
    import io

    import sofa_cli
    from sofa_cli.cli.shell import Shell

    outside = tmp_path / "shared.md"
    outside.write_text("The walrus sang at dawn.\n", encoding="utf-8")
    (corpus / "shared.md").symlink_to(outside)
    code, _, err = cli("ask", "walrus", "--corpus", str(corpus))
    assert code == 1 and "skipped shared.md: link to a file outside the corpus folder, not followed" in err
    code, results, err = ask_json(corpus, "walrus", "--follow-links")
    assert code == 0 and results[0]["doc"] == "shared" and "skipped" not in err
    code, out, err = cli("index", str(corpus), "--follow-links")
    assert code == 0 and "0 new, 0 updated, 2 unchanged" in err
    with sofa_cli.open(corpus, follow_links=True) as opened:
        assert not opened.is_stale() and "shared" in opened.document_ids()
        shell = Shell(corpus=opened, out=io.StringIO(), err=io.StringIO())
        shell.handle("walrus")
        assert "The walrus sang at dawn." in shell.out.getvalue() and "reindexed" not in shell.err.getvalue()
    code, out, err = cli("sources", "--corpus", str(corpus))
    assert code == 0 and "shared" not in out and "1 removed" in err


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc/self/fd")
@pytest.mark.parametrize("name", ["swapped.md", "swapped.jsonl", "swapped.html", "swapped.txt"])
def test_file_swapped_for_a_link_out_of_the_corpus_after_the_scan_is_not_read(corpus, tmp_path, monkeypatch, name):
    """What load_file meets when a file became a link to outside after discover(): the file
    it opened is checked (its real path), not the path it was given (issue 17 #3)."""
    outside = tmp_path / "secret.txt"
    outside.write_text('{"text": "SECRET"}\n' if name.endswith(".jsonl") else "SECRET\n", encoding="utf-8")
    (corpus / name).symlink_to(outside)
    assert list(load_file(corpus / name, corpus)) == [Skipped(name, "link to a file outside the corpus folder, not followed")]
    (allowed,) = load_file(corpus / name, corpus, follow_links=True)  # --follow-links
    assert "SECRET" in " ".join(allowed.paragraphs())
    if name.endswith(".txt"):  # a streamed file is opened again for its paragraphs: checked again
        monkeypatch.setattr(documents, "STREAM_THRESHOLD", 4)
        (corpus / name).unlink()
        (corpus / name).write_text("Our own words, long enough to stream.\n", encoding="utf-8")
        (doc,) = load_file(corpus / name, corpus)
        (corpus / name).unlink()
        (corpus / name).symlink_to(outside)
        assert "SECRET" not in " ".join(doc.paragraphs())
        assert doc.warnings == ["stopped reading: link to a file outside the corpus folder, not followed"]
