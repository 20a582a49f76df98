"""The index: damage is detected and rebuilt, a newer format is left alone, an unwritable
cache answers from memory, builds are locked, and an interrupted build loses nothing."""

import errno
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sofa_cli.cli import app
from sofa_cli.index import cache as index_module
from sofa_cli.index.cache import index_path
from sofa_cli.index.format import MAGIC
from sofa_cli.index.schema import LOCK_FILE

ROOT = Path(__file__).resolve().parent.parent


def cli(*args):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.md").write_text("Hornung suggested a review of the agreement.\n", encoding="utf-8")
    (root / "b.md").write_text("Okinawa residents protested at Kadena.\n", encoding="utf-8")
    return root


@pytest.fixture
def built(corpus):
    code, out, err = cli("index", str(corpus))
    assert code == 0
    path = Path(out.strip())
    assert path == index_path(corpus.resolve())
    return path


def answers(corpus, question="Hornung suggested"):
    code, out, err = cli("ask", question, "--corpus", str(corpus), "--json")
    return code, json.loads(out)["results"] if out.strip() else [], err


def test_corrupted_index_fails_its_checksum_and_is_rebuilt(corpus, built):
    data = bytearray(built.read_bytes())
    data[-20] ^= 0xFF  # inside the last section (postings weights)
    built.write_bytes(bytes(data))
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["doc"] == "a"
    assert "fails its checksum); rebuilding" in err
    code, results, err = answers(corpus)  # the rebuilt file is good again
    assert code == 0 and "rebuilding" not in err


@pytest.mark.parametrize("keep", [0, 10, 20, 200, -8])
def test_truncated_index_is_rebuilt(corpus, built, keep):
    data = built.read_bytes()
    built.write_bytes(data[:keep] if keep >= 0 else data[:keep])
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["doc"] == "a"
    assert "unusable" in err and "rebuilding" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content",
    [b"not an index at all", MAGIC + (5).to_bytes(8, "little") + b"{bad}", MAGIC + (2).to_bytes(8, "little") + b"[]"],
)
def test_foreign_or_garbled_index_is_rebuilt(corpus, built, content):
    built.write_bytes(content)
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["doc"] == "a"
    assert "rebuilding" in err


def _rewrite_header(built, change) -> bytes:
    """Apply `change` to the index file's JSON header in place; returns the new file bytes."""
    data = built.read_bytes()
    head_len = int.from_bytes(data[8:12], "little")
    header = json.loads(data[16 : 16 + head_len])
    change(header)
    head = json.dumps(header).encode()
    head += b" " * ((-len(head)) % 8)
    new = MAGIC + len(head).to_bytes(4, "little") + zlib.crc32(head).to_bytes(4, "little") + head + data[16 + head_len :]
    built.write_bytes(new)
    return new


def test_header_that_lies_about_sections_is_rebuilt(corpus, built):
    _rewrite_header(built, lambda header: header["sections"]["idf"].__setitem__(1, "Z"))  # an impossible type code
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["doc"] == "a"
    assert "index header is corrupted" in err


def test_index_of_a_newer_format_is_left_alone(corpus, built):
    newer = _rewrite_header(built, lambda header: header.__setitem__("format_version", 99))
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["doc"] == "a"
    assert "index format 99 is newer than this sofa understands" in err
    assert built.read_bytes() == newer  # the newer sofa's index is untouched


@pytest.mark.parametrize("error", [errno.EACCES, errno.EROFS, errno.ENOSPC])
def test_unwritable_or_full_cache_answers_from_memory(corpus, tmp_path, monkeypatch, error):
    """Read-only or full cache folder (simulated: chmod does not stop root)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the in-memory fallback's scratch file
    cache = index_path(corpus.resolve()).parent
    real_write = index_module.write_index

    def write_index(path, header, sections):
        if Path(path).parent == cache:
            raise OSError(error, os.strerror(error), str(path))
        return real_write(path, header, sections)

    monkeypatch.setattr(index_module, "write_index", write_index)
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["doc"] == "a"
    assert f"cannot write index to {cache} ({os.strerror(error)}); answering from memory" in err
    assert not index_path(corpus.resolve()).exists()
    assert not list(tmp_path.glob("sofa-*.sofa"))  # the scratch file is unlinked at once


@pytest.mark.skipif(os.geteuid() == 0, reason="a read-only folder does not stop root")
def test_read_only_cache_folder_real_permissions(corpus, tmp_path, monkeypatch):
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    cache.chmod(0o555)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        code, out, err = CliRunner().invoke(app, ["ask", "Hornung", "--corpus", str(corpus), "--index-dir", str(cache)])[:3]
    finally:
        cache.chmod(0o755)
    assert code == 0 and "answering from memory" in err


def _script(body: str) -> list[str]:
    """`python -c body` with the repository importable and Ctrl-C and hang-ups at their
    defaults: a test run started in the background (a shell's `&` ignores SIGINT), under nohup
    or by a CI that ignores hang-ups would hand the child ignored signals, which sofa rightly
    leaves alone."""
    prelude = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"signal.signal(signal.SIGHUP, signal.SIG_DFL); sys.path.insert(0, {str(ROOT)!r})"
    )
    return [sys.executable, "-c", f"{prelude}\n{body}"]


def test_two_index_runs_take_turns_on_a_lock(corpus, built):
    lock = built.parent / LOCK_FILE
    (corpus / "c.md").write_text("A new file to index.\n", encoding="utf-8")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # we are "the other sofa index"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sofa_cli", "index", str(corpus)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = proc.stderr.readline()  # printed at once, before waiting
        assert first == "sofa: another sofa is indexing this corpus; waiting for it\n"
        assert proc.poll() is None  # still waiting for the lock
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == str(built)
    code, results, _ = answers(corpus, "new file")
    assert results[0]["doc"] == "c"


INTERRUPT = """
import os, signal, sofa_cli.index.writer as ix
real = ix.load_file
def load_file(path, root, *how):
    if path.name == "b.md":
        {action}
    return real(path, root, *how)
ix.load_file = load_file
sys.argv = ["sofa", "index", {corpus!r}]
from sofa_cli.cli import main
main()
"""


@pytest.mark.parametrize(
    "action,exit_code",
    [
        ("raise KeyboardInterrupt", 130),
        ("os.kill(os.getpid(), signal.SIGINT)", 130),
        ("os.kill(os.getpid(), signal.SIGKILL)", -9),
    ],
    ids=["ctrl-c", "sigint", "kill-9"],
)
def test_interrupted_indexing_keeps_previous_index(corpus, built, action, exit_code):
    before = built.read_bytes()
    (corpus / "a.md").write_text("Hornung suggested a change, second version.\n", encoding="utf-8")
    os.utime(corpus / "b.md", ns=(1, 1))  # b.md changed too: the build reaches it and is interrupted
    proc = subprocess.run(_script(INTERRUPT.format(action=action, corpus=str(corpus))), capture_output=True, text=True)
    assert proc.returncode == exit_code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert built.read_bytes() == before  # previous index intact
    code, results, err = answers(corpus)
    assert code == 0 and results[0]["text"] == "Hornung suggested a change, second version."
    assert "unusable" not in err
    assert "2 updated" in err  # the previous index was opened and refreshed, not discarded


KILLED_WHILE_WRITING = """
import os, signal, sofa_cli.index.format as store
def replace(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)
store.os.replace = replace
sys.argv = ["sofa", "index", {corpus!r}]
from sofa_cli.cli import main
main()
"""


def test_kill_during_write_leaves_old_index_and_leftover_is_cleaned(corpus, built):
    before = built.read_bytes()
    (corpus / "c.md").write_text("Another file.\n", encoding="utf-8")
    proc = subprocess.run(_script(KILLED_WHILE_WRITING.format(corpus=str(corpus))), capture_output=True, text=True)
    assert proc.returncode == -9
    assert built.read_bytes() == before
    leftovers = list(built.parent.glob("index.sofa.*.tmp"))
    assert len(leftovers) == 1  # the torn write, never renamed into place
    code, results, err = answers(corpus, "another file")
    assert code == 0 and results[0]["doc"] == "c"
    assert "unchanged" in err and "unusable" not in err
    assert not list(built.parent.glob("index.sofa.*.tmp"))
