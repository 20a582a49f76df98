"""The index under attack (issue 17): every byte answered from is checked, a stopped
indexer blocks no reader, special files and long names do not hang or fail, signals
leave no temporary files, and `sofa index` prints only paths that exist.

Real processes wherever a signal, a lock or a FIFO matters.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from test_robustness_index import _script, answers, built, cli, corpus  # noqa: F401 - the same corpus and helpers

import sofa_cli
from sofa_cli.index.cache import index_path
from sofa_cli.index.format import MAGIC, write_index
from sofa_cli.index.writer import build

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "corpus"
TIMEOUT = 60  # a hang fails the test instead of the suite


def sofa_process(*args, env=None, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "sofa_cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, **(env or {})),
        **kwargs,
    )


# -- #1, #2: a header checksum, and sections checked however large the index ---------------


def _header_span(data: bytes) -> tuple[int, int]:
    return 16, 16 + int.from_bytes(data[8:12], "little")


def test_a_flipped_byte_in_a_speaker_name_of_the_header_is_caught(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED, corpus)
    question = "what did Tanaka say?"
    with sofa_cli.open(corpus, index_dir=tmp_path / "idx") as clean:
        expected = clean.ask(question).results
        path = clean.index_file
    data = bytearray(path.read_bytes())
    start, end = _header_span(data)
    at = data.index(b"Dr. Tanaka", start, end) + 6
    data[at] = ord("m")  # "Dr. Tamaka": --speaker Tanaka would find nothing
    path.write_bytes(bytes(data))
    with sofa_cli.open(corpus, index_dir=tmp_path / "idx") as opened:
        assert any("index header fails its checksum" in w for w in opened.warnings)
        assert opened.report is not None  # rebuilt
        assert opened.ask(question).results == expected
        assert "Dr. Tanaka" in opened.index.names


def test_no_flip_of_the_header_ends_in_a_bug_or_a_silent_change(corpus, tmp_path):
    """Header bytes flipped in turn (the fixed prefix, then 24 spread over the JSON): each is
    caught, warned and rebuilt (bench/fuzz_index.py flips many more)."""
    with sofa_cli.open(corpus, index_dir=tmp_path / "idx") as clean:
        expected = clean.ask("Hornung suggested").results
        path = clean.index_file
    pristine = path.read_bytes()
    start, end = _header_span(pristine)
    for at in [*range(16), *range(start, end, max(1, (end - start) // 24))]:
        data = bytearray(pristine)
        data[at] ^= 0x04
        path.write_bytes(bytes(data))
        with sofa_cli.open(corpus, index_dir=tmp_path / "idx") as opened:
            assert opened.warnings and "rebuilding" in opened.warnings[0], at
            assert opened.ask("Hornung suggested").results == expected, at


def test_sections_of_an_index_over_64_mib_are_checked_too(corpus, tmp_path):
    """Formerly, sections were checked only up to 64 MiB: a flip in a larger index's text
    was shown as it was. Now each section is checked the first time it is read."""
    header, sections, _ = build(corpus.resolve())
    sections["zz_padding"] = bytes(65 * 1024 * 1024)  # a section nobody reads, for the size
    path = index_path(corpus.resolve())
    write_index(path, header, sections)
    data = bytearray(path.read_bytes())
    start, end = _header_span(data)
    text_at = end + json.loads(data[start:end])["sections"]["text"][0]
    first_block = zlib.decompressobj().decompress(bytes(data[text_at : text_at + 64]), 7)
    assert first_block == b"Hornung"
    data[text_at + 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["text"] == "Hornung suggested a review of the agreement."
    assert "index section 'text' fails its checksum); rebuilding" in err


@pytest.mark.parametrize("text", [b"\x00" * 4096, zlib.compress(b"x" * 10_000_000)])
def test_a_text_block_that_does_not_inflate_to_its_length_is_an_index_error(corpus, tmp_path, text):
    """A hostile file, its checksums recomputed: a block that is no zlib stream, or one that would
    inflate to far more than its stated length, fails as a damaged index, never more memory."""
    from sofa_cli.index.format import IndexFileError
    from sofa_cli.index.reader import Index

    header, sections, _ = build(corpus.resolve())
    sections["text"] = text
    write_index(tmp_path / "index.sofa", header, sections)
    with Index(tmp_path / "index.sofa") as index, pytest.raises(IndexFileError, match="'text' is corrupted"):
        index.passage_text(0)


def test_a_flipped_byte_in_the_text_block_starts_fails_whichever_passage_is_read(corpus, tmp_path):
    """A passage's text block is found by bisecting `text_start` unchecked, then the two items
    that decide it are read checked: a damaged item fails as a damaged index, never silently."""
    from sofa_cli.index.format import IndexFileError
    from sofa_cli.index.reader import Index

    header, sections, _ = build(corpus.resolve())
    path = tmp_path / "index.sofa"
    write_index(path, header, sections)
    with Index(path) as index:
        texts = [index.passage_text(pid) for pid in range(index.n_passages)]
    assert texts == ["Hornung suggested a review of the agreement.", "Okinawa residents protested at Kadena."]
    data = bytearray(path.read_bytes())
    start, end = _header_span(data)
    data[end + json.loads(data[start:end])["sections"]["text_start"][0]] ^= 0x01
    path.write_bytes(bytes(data))
    for pid in range(len(texts)):
        with Index(path) as index, pytest.raises(IndexFileError, match="'text_start' fails its checksum"):
            index.passage_text(pid)


def test_a_large_section_is_checked_block_by_block_as_it_is_read(tmp_path):
    """Only the blocks an answer reads are checked (so a large index is not read whole for
    one answer), and a damaged one fails whichever way it is read."""
    import array

    from sofa_cli.index.format import BLOCK, WHOLE_SECTION, IndexFile, IndexFileError

    path = tmp_path / "index.sofa"
    count = WHOLE_SECTION // 2  # twice the size checked whole: checked by blocks
    write_index(path, {}, {"big": array.array("i", range(count))})
    data = bytearray(path.read_bytes())
    start, end = _header_span(data)
    per_block = BLOCK // 4
    at = end + json.loads(data[start:end])["sections"]["big"][0] + 10 * BLOCK + 8  # item 10 * per_block + 2
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    for read in (
        lambda big: big[10 * per_block + 2],
        lambda big: big[10 * per_block - 1 : 10 * per_block + 1],
        lambda big: list(big[9 * per_block : 12 * per_block]),
    ):
        big = IndexFile(path).section("big")
        assert big[0] == 0 and big[-1] == count - 1 and list(big[:3]) == [0, 1, 2]  # blocks that are intact
        assert big[10 * per_block - 1] == 10 * per_block - 1
        with pytest.raises(IndexFileError, match="'big' fails its checksum"):
            read(big)


def test_sofa_index_checks_every_block_of_the_index_it_keeps(corpus, built):
    data = bytearray(built.read_bytes())
    start, end = _header_span(data)
    data[end + json.loads(data[start:end])["sections"]["form_hist"][0]] ^= 0x01  # read by no answer here
    built.write_bytes(bytes(data))
    code, results, err = answers(corpus)
    assert code == 0 and results and "rebuilding" not in err  # answers never read it
    code, out, err = cli("index", str(corpus))
    assert code == 0 and "index section 'form_hist' fails its checksum); rebuilding" in err and "2 new" in err
    assert Path(out.strip()) == built
    code, out, err = cli("index", str(corpus))
    assert "already up to date" in err


# -- #6, #17: locks -----------------------------------------------------------------------

STOPPED_INDEXER = """
import os, signal
import sofa_cli

def progress(done, total):
    if done == 1:  # mid-build, holding the lock: as if Ctrl-Z'd
        os.kill(os.getpid(), signal.SIGSTOP)

sofa_cli.open({corpus!r}, rebuild=True, progress=progress)
"""


@pytest.fixture
def stopped_indexer(corpus):
    """A `sofa index --rebuild` stopped (SIGSTOP) while it holds the build lock."""
    proc = subprocess.Popen(_script(STOPPED_INDEXER.format(corpus=str(corpus))), stderr=subprocess.PIPE, text=True)
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status)
    yield proc
    proc.kill()
    proc.wait(timeout=TIMEOUT)


def test_a_stopped_indexer_does_not_block_ask_when_an_index_exists(corpus, built, stopped_indexer):
    (corpus / "a.md").write_text("Hornung suggested a change.\n", encoding="utf-8")  # the index is stale
    proc = sofa_process("ask", "Hornung suggested", "--corpus", str(corpus), "--json")
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "another sofa is indexing this corpus; answering from the index it is replacing" in err
    assert json.loads(out)["results"][0]["doc"] == "a"


def test_with_no_index_ask_waits_for_the_build_and_does_not_repeat_it(corpus, stopped_indexer):
    proc = sofa_process("ask", "Hornung suggested", "--corpus", str(corpus), "--json")
    assert proc.stderr.readline() == "sofa: another sofa is indexing this corpus; waiting for it\n"
    os.kill(stopped_indexer.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "indexed" not in err  # the other process's build was used
    assert json.loads(out)["results"][0]["doc"] == "a"
    assert stopped_indexer.wait(timeout=TIMEOUT) == 0


def test_concurrent_first_builds_do_the_work_once(corpus):
    import fcntl

    lock = index_path(corpus.resolve()).parent / "index.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # hold them at the start line together
    procs = [sofa_process("index", str(corpus)) for _ in range(3)]
    try:
        for proc in procs:
            assert proc.stderr.readline() == "sofa: another sofa is indexing this corpus; waiting for it\n"
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    results = [proc.communicate(timeout=TIMEOUT) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    built = [err for _, err in results if "2 new" in err]
    assert len(built) == 1, [err for _, err in results]
    assert {out for out, _ in results} == {f"{index_path(corpus.resolve())}\n"}


# -- #7: an index that is not a regular file ----------------------------------------------


def test_an_index_that_is_a_fifo_is_refused_and_replaced(corpus, built):
    built.unlink()
    os.mkfifo(built)
    proc = sofa_process("ask", "Hornung suggested", "--corpus", str(corpus), "--json")
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "index is not a regular file); rebuilding" in err
    assert json.loads(out)["results"][0]["doc"] == "a"
    assert built.is_file()


# -- #10: long folder names -----------------------------------------------------------------


def test_a_corpus_folder_name_of_250_bytes_works(tmp_path):
    root = tmp_path / ("\u00e9" * 125)  # 250 bytes in UTF-8
    root.mkdir()
    (root / "a.md").write_text("Hornung suggested a review.\n", encoding="utf-8")
    code, results, err = answers(root)
    assert code == 0, err
    assert results[0]["text"] == "Hornung suggested a review."
    assert len(os.fsencode(index_path(root.resolve()).parent.name)) <= 255


# -- #13: temporary files and signals --------------------------------------------------------

SIGNALLED_WHILE_WRITING = """
import os, signal
real = os.replace
def replace(src, dst):
    os.kill(os.getpid(), signal.{signal})
    return real(src, dst)
os.replace = replace
sys.argv = ["sofa", "index", {corpus!r}]
from sofa_cli.cli import main
main()
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_during_the_write_leaves_no_temporary_file(corpus, built, name):
    before = built.read_bytes()
    (corpus / "c.md").write_text("Another file.\n", encoding="utf-8")
    script = SIGNALLED_WHILE_WRITING.format(signal=name, corpus=str(corpus))
    proc = subprocess.run(_script(script), capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == -getattr(signal, name), proc.stderr  # ended by the signal, as before
    assert "Traceback" not in proc.stderr
    assert built.read_bytes() == before
    assert not list(built.parent.glob("index.sofa.*.tmp"))


def _make_newer(path: Path) -> None:
    """Rewrite the index's header as a newer sofa's (valid checksum, format 99)."""
    data = path.read_bytes()
    start, end = _header_span(data)
    header = json.loads(data[start:end])
    header["format_version"] = 99
    head = json.dumps(header).encode()
    head += b" " * ((-len(head)) % 8)
    path.write_bytes(MAGIC + len(head).to_bytes(4, "little") + zlib.crc32(head).to_bytes(4, "little") + head + data[end:])


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_while_indexing_in_memory_leaves_no_scratch_file(corpus, built, tmp_path, name):
    _make_newer(built)  # this sofa indexes in memory, through a scratch file
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = SIGNALLED_WHILE_WRITING.format(signal=name, corpus=str(corpus))
    proc = subprocess.run(_script(script), capture_output=True, text=True, env=dict(os.environ, TMPDIR=str(scratch)))
    assert proc.returncode == -getattr(signal, name), proc.stderr
    assert not list(scratch.iterdir())


def test_scratch_files_of_killed_processes_are_removed_at_the_next_build(corpus, built, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the in-memory fallback's scratch folder
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan = scratch / f"sofa-{gone.pid}-abc123.sofa"  # as kill -9 leaves it
    live = scratch / f"sofa-{os.getpid()}-def456.sofa"  # a running sofa's
    orphan.write_bytes(b"x" * 1000)
    live.write_bytes(b"x" * 1000)
    _make_newer(built)
    code, results, _ = answers(corpus)
    assert code == 0 and results
    assert not orphan.exists() and live.exists()


# -- #18: `sofa index` prints only a path that exists ----------------------------------------


def test_sofa_index_never_prints_a_path_that_does_not_exist(corpus, built):
    _make_newer(built)  # so this sofa indexes in memory
    code, out, err = cli("index", str(corpus))
    assert code == 0
    assert "leaving it for that sofa and indexing in memory" in err
    for line in out.splitlines():
        assert Path(line).exists(), line
    assert "kept in memory only" in err


# -- #12: no traceback from the parse workers, however the build ends --------------------------

INTERRUPTED_PARALLEL_BUILD = """
import os, signal
from pathlib import Path
from sofa_cli.index.writer import build

def progress(done, total):
    if done == 2:  # the workers are parsing the next files
        if signal.{signal} == signal.SIGINT:
            os.killpg(os.getpgid(0), signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
        else:
            os.kill(os.getpid(), signal.{signal})

try:
    build(Path({corpus!r}), progress=progress, parallel_bytes=0)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.parametrize("name,exit_code", [("SIGINT", 130), ("SIGTERM", -15), ("SIGHUP", -1), ("SIGKILL", -9)])
def test_parse_workers_print_no_traceback_when_the_build_ends(tmp_path, name, exit_code):
    root = tmp_path / "corpus"
    root.mkdir()
    paragraph = "The minister said the alliance would review the agreement after talks in Tokyo. " * 4
    for n in range(8):
        (root / f"f{n}.md").write_text("\n\n".join([paragraph] * 250), encoding="utf-8")
    script = INTERRUPTED_PARALLEL_BUILD.format(signal=name, corpus=str(root))
    proc = subprocess.run(_script(script), capture_output=True, text=True, timeout=TIMEOUT, start_new_session=True)
    assert proc.returncode == exit_code
    assert proc.stderr == ""  # formerly "Process ForkPoolWorker-N:" and a traceback from each
