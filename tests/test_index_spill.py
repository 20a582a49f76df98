"""A build written out in sorted runs and merged (bounded memory) writes the one-pass build's index."""

import shutil
from pathlib import Path

import pytest

import sofa_cli
from sofa_cli.index import compiler
from sofa_cli.index.cache import index_path
from sofa_cli.index.format import BLOCK, IndexFile, StreamedSection, write_index

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "what did Hornung suggest?",
    "Okinawa bases",
    "who said the alliance was strong?",
    "Ishiba",
    "wha did the defense minister say about Kadena?",
]


def _corpus(root: Path) -> Path:
    """The bundled corpus and its documents again under other names: more postings, so the
    runs overlap in terms and passages."""
    shutil.copytree(ROOT / "corpus", root)
    for path in sorted(root.glob("*.md")):
        shutil.copy(path, root / f"again-{path.name}")
    return root


def _answers(corpus: sofa_cli.Corpus) -> list:
    return [[(r.citation, r.score, r.answer, r.text) for r in corpus.ask(q, k=5).results] for q in QUESTIONS]


def _sections(path: Path) -> tuple[dict, bytes]:
    """The header but for the build time, and every byte after the header."""
    index = IndexFile(path)
    try:
        header = {k: v for k, v in index.header.items() if k not in ("built", "block_crc")}
    finally:
        index.close()
    data = path.read_bytes()
    return header, data[16 + int.from_bytes(data[8:12], "little") :]


def test_a_build_spilled_in_many_runs_writes_the_one_pass_index(tmp_path, monkeypatch):
    root = _corpus(tmp_path / "corpus")
    with sofa_cli.open(root, tmp_path / "one-pass") as corpus:
        expected = _answers(corpus)
    assert all(expected)
    spills = []
    spill_run = compiler.Compiler._spill_run

    def counted(self):
        spills.append(len(self.chunks))
        spill_run(self)

    # Postings counted every few documents, each count written out as a run, and the passage
    # texts and sentence terms written out a few hundred bytes at a time.
    monkeypatch.setattr(compiler, "TOKEN_CHUNK", 200)
    monkeypatch.setattr(compiler, "POSTINGS_BUDGET", 1)
    monkeypatch.setattr(compiler, "SPILL_BUFFER", 256)
    monkeypatch.setattr(compiler.Compiler, "_spill_run", counted)
    with sofa_cli.open(root, tmp_path / "spilled") as corpus:
        assert _answers(corpus) == expected
    assert len(spills) > 3
    one_pass = _sections(index_path(root.resolve(), str(tmp_path / "one-pass")))
    spilled = _sections(index_path(root.resolve(), str(tmp_path / "spilled")))
    assert spilled[0] == one_pass[0]
    assert spilled[1] == one_pass[1]


def test_scratch_files_leave_nothing_behind(tmp_path, monkeypatch):
    """Scratch files have no name: a build, whole or failed, leaves only its index."""
    root = _corpus(tmp_path / "corpus")
    monkeypatch.setattr(compiler, "TOKEN_CHUNK", 200)
    monkeypatch.setattr(compiler, "POSTINGS_BUDGET", 1)
    monkeypatch.setattr(compiler, "SPILL_BUFFER", 256)
    folder = tmp_path / "index"
    with sofa_cli.open(root, folder):
        pass
    path = index_path(root.resolve(), str(folder))
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(["index.lock", path.name])


def test_a_section_streamed_in_chunks_of_any_size_is_written_as_a_whole_one(tmp_path):
    """Block checksums carry across chunk boundaries that fall anywhere in a block."""
    raw = bytes(range(251)) * (3 * BLOCK // 251 + 7)
    cuts = [0, 1, 100, BLOCK - 3, BLOCK + 5, 2 * BLOCK, 2 * BLOCK + 1, len(raw)]

    def chunks():
        return (raw[a:b] for a, b in zip(cuts, cuts[1:]))

    header = {"corpus": "x"}
    write_index(tmp_path / "whole.sofa", header, {"a": b"abc", "big": raw, "z": b"\x01" * 9})
    write_index(
        tmp_path / "streamed.sofa", header, {"a": b"abc", "big": StreamedSection("B", len(raw), chunks), "z": b"\x01" * 9}
    )
    assert (tmp_path / "streamed.sofa").read_bytes() == (tmp_path / "whole.sofa").read_bytes()
    index = IndexFile(tmp_path / "streamed.sofa")
    try:
        index.check_all()
        assert bytes(index.section("big")[:]) == raw
    finally:
        index.close()


def _blocks_of_whole_text(np, texts: list[bytes]) -> dict:
    """The blocks the whole text is cut into, by the rule `text_blocks` states: from where the
    last block ended, the most whole passages that fit in TEXT_BLOCK bytes, at least one."""
    import zlib

    from sofa_cli.index.text_blocks import LEVEL, TEXT_BLOCK

    whole = b"".join(texts)
    off = np.cumsum([0] + [len(t) for t in texts])
    cuts = [0]
    while cuts[-1] < len(texts):
        first = cuts[-1]
        fits = [j for j in range(first + 1, len(texts) + 1) if off[j] - off[first] <= TEXT_BLOCK]
        cuts.append(max(fits, default=first + 1))
    blocks = [zlib.compress(whole[off[a] : off[b]], LEVEL) for a, b in zip(cuts, cuts[1:])]
    return {
        "text": b"".join(blocks),
        "text_block": np.cumsum([0] + [len(b) for b in blocks]),
        "text_start": off[cuts],
        "text_off": off,
    }


@pytest.mark.parametrize(("buffer", "read_chunk", "seed"), [(1 << 22, 1 << 22, 1), (800, 13, 2), (5000, 1000, 3)])
def test_text_compressed_as_documents_arrive_is_the_whole_text_cut_into_blocks(monkeypatch, buffer, read_chunk, seed):
    """A build compresses its passages' text as each document arrives; the blocks must be those
    of the whole text (where documents end changes nothing), in memory or from scratch files."""
    import random

    import numpy as np

    from sofa_cli.index import spill, text_blocks

    rng = random.Random(seed)
    # Lengths that fill a block exactly (1024, 1020 + 4, 512 + 512, 1023 + 1), overflow it by
    # one byte, or need a block of their own.
    lengths = [0, 1, 4, 300, 512, 1020, 1023, 1024, 1025, 3000]
    texts = ["".join(rng.choice("abc def\n") for _ in range(rng.choice(lengths))).encode() for _ in range(400)]
    expected = _blocks_of_whole_text(np, texts)
    monkeypatch.setattr(spill, "READ_CHUNK", read_chunk)
    blocks, left = text_blocks.TextBlocks(None, buffer), list(texts)
    while left:
        n = rng.randint(0, min(6, len(left)))
        doc, left = left[:n], left[n:]
        blocks.add(b"".join(doc), np.cumsum([len(t) for t in doc]).tolist())
    sections = blocks.sections(np)
    if buffer < 1 << 20:
        assert isinstance(sections["text"], StreamedSection)
    assert bytes(sections["text"]) == expected["text"]
    for name in ("text_block", "text_start", "text_off"):
        assert np.array_equal(sections[name], expected[name]), name
    ends, starts, whole = expected["text_block"], expected["text_start"], b"".join(texts)
    for k in range(len(ends) - 1):  # as a reader inflates them
        raw = text_blocks.inflate(expected["text"][ends[k] : ends[k + 1]], int(starts[k + 1] - starts[k]))
        assert raw == whole[starts[k] : starts[k + 1]]
