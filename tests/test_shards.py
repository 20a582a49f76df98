"""A sharded index answers exactly as one index over the same files (issue 15, docs/scale.md):
same citations in the same order, same answer sentences, same scores; incremental rebuilds touch
only the shards whose files changed; a missing or damaged shard is an error naming it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_process

from sofa_cli.index.format import write_index
from sofa_cli.index.reader import Index
from sofa_cli.index.sharded_reader import ShardedIndex
from sofa_cli.index.shards import ShardError, build_sharded, read_manifest, shard_of
from sofa_cli.index.writer import build
from sofa_cli.query.question import analyse_question
from sofa_cli.query.rank import ask

ROOT = Path(__file__).resolve().parent.parent
# In CI the repository is cloned with the shared test collections beside it (read-only).
SHARED_DATA = ROOT.parent / "shared" / "data"
SHARDINGS = (1, 3, 7)
# Which of the questions each sharding is asked for whole answers (the slow part: ~40 ms each):
# every third, so that each question is compared once and each sharding on ~67 questions of all
# three collections. Every sharding's raw BM25 candidates are compared on every question (cheap:
# ~5 ms each).
ASKED = {1: slice(0, None, 3), 3: slice(1, None, 3), 7: slice(2, None, 3)}
QUESTIONS = {"xquad": 120, "time": 40, "cranfield": 40}


def _cranfield_questions(data: Path, n: int) -> list[str]:
    """The first `n` Cranfield queries (cran.qry: `.I`, `.W`, then the text)."""
    text = (data / "cranfield" / "cran.qry").read_text(encoding="utf-8", errors="replace")
    queries = [q.split(".W", 1)[1].split() for q in text.split(".I ")[1:] if ".W" in q]
    return [" ".join(q) for q in queries[:n]]


@pytest.fixture(scope="session")
def collections(tmp_path_factory):
    """Every XQuAD article (the questions' gold) and every SAMPLE_EVERY-th TIME article and
    Cranfield abstract as one sofa corpus, written as bench/quality/convert.py writes its mixed
    corpus (its readers and writer, without the gold strings this test does not need), and the
    questions."""
    if not (SHARED_DATA / "xquad").is_dir():
        pytest.skip(f"the shared test collections are not at {SHARED_DATA} (clone the repository beside ../shared/data)")
    sys.path.insert(0, str(ROOT / "bench" / "quality"))
    try:
        from convert import read_cranfield, read_time, read_xquad, write_corpus
    finally:
        sys.path.remove(str(ROOT / "bench" / "quality"))
    xquad_docs, xquad_questions = read_xquad(SHARED_DATA)
    time_docs, time_questions = read_time(SHARED_DATA)
    root = tmp_path_factory.mktemp("collections") / "sample"
    write_corpus(root, xquad_docs, "xquad")
    write_corpus(root, time_docs[::SAMPLE_EVERY], "time")
    write_corpus(root, read_cranfield(SHARED_DATA)[::SAMPLE_EVERY], "cranfield")
    questions = [q["q"] for q in xquad_questions[: QUESTIONS["xquad"]]] + [q["q"] for q in time_questions[: QUESTIONS["time"]]]
    questions += _cranfield_questions(SHARED_DATA, QUESTIONS["cranfield"])
    return root, questions


# All three collections' kinds of text and vocabulary, at a fifth of the passages (1,763), so
# that building one index and three shardings of it keeps the suite fast.
SAMPLE_EVERY = 4


@pytest.fixture(scope="session")
def unsharded(collections, tmp_path_factory):
    root, _ = collections
    header, sections, _ = build(root.resolve())
    path = tmp_path_factory.mktemp("one") / "index.sofa"
    write_index(path, header, sections)
    with Index(path) as index:
        yield index


@pytest.fixture(scope="session")
def sharded(collections, tmp_path_factory):
    """Each sharding of the corpus, built once per session (in this process: no Dask needed)."""
    root, _ = collections
    built = {}
    for n in SHARDINGS:
        folder = tmp_path_factory.mktemp(f"shards{n}")
        build_sharded(root, folder, n)
        built[n] = ShardedIndex(folder)
    yield built
    for index in built.values():
        index.close()


@pytest.fixture(scope="session")
def expected(collections, unsharded):
    """One index's answers, asked once for every sharding's comparison."""
    _, questions = collections
    return {q: _answers(unsharded, q) for q in questions}


def _answers(index, question: str):
    answer = ask(index, question, limit=5)
    results = [(r.citation, r.answer, r.answer_span, r.answer_by, r.score) for r in answer.results]
    return results, answer.corrections, answer.unknown


@pytest.mark.parametrize("shards", SHARDINGS)
def test_sharded_answers_equal_one_index(collections, unsharded, expected, sharded, shards):
    _, questions = collections
    index = sharded[shards]
    assert index.n_passages == unsharded.n_passages and index.n_terms == unsharded.n_terms
    assert list(index.names) == list(unsharded.names)
    assert list(index.acronyms.items()) == list(unsharded.acronyms.items())
    assert [d.id for d in index.docs] == [d.id for d in unsharded.docs]
    asked = questions[ASKED[shards]]
    differ = [q for q in asked if _answers(index, q) != expected[q]]
    assert differ == [], f"{len(differ)} of {len(asked)} questions answered differently, e.g. {differ[:3]}"


@pytest.mark.parametrize("shards", SHARDINGS)
def test_sharded_bm25_scores_equal_to_1e9(collections, unsharded, sharded, shards):
    """The raw BM25 candidates (what the ranking reranks): same passages, same order, same scores."""
    _, questions = collections
    index = sharded[shards]
    for q in questions:
        terms = analyse_question(unsharded, q).terms
        one = sorted(unsharded.bm25(terms, top=100).items(), key=lambda kv: (-kv[1], kv[0]))
        many = sorted(index.bm25(terms, top=100).items(), key=lambda kv: (-kv[1], kv[0]))
        assert [p for p, _ in many] == [p for p, _ in one], q
        assert all(abs(a - b) <= 1e-9 for (_, a), (_, b) in zip(many, one)), q
        for pid, _ in one[:5]:
            for t in set(terms):
                assert abs(index.impact(t, pid) - unsharded.impact(t, pid)) <= 1e-9


def test_shard_assignment_is_stable():
    """The same path lands in the same shard in every process (no salted hash)."""
    code = "from sofa_cli.index.shards import shard_of; print([shard_of(f'a/{i}.md', 7) for i in range(20)])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other.strip() == str([shard_of(f"a/{i}.md", 7) for i in range(20)])


# -- incremental, consistent ------------------------------------------------------------------


@pytest.fixture
def small_corpus(tmp_path):
    """The bundled corpus plus a few more files, so three shards all hold something."""
    root = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", root)
    for i in range(8):
        (root / f"note-{i}.md").write_text(
            f"# Note {i}\n\nThe committee met on day {i} to discuss the forces agreement and the budget.\n"
            f"Minister Sato said the talks on item {i} would resume.\n",
            encoding="utf-8",
        )
    return root


def _one_index(root: Path, where: Path) -> Index:
    header, sections, _ = build(root.resolve())
    write_index(where, header, sections)
    return Index(where)


def test_rebuild_touches_only_changed_shards_and_answers_stay_equal(small_corpus, tmp_path):
    folder = tmp_path / "shards"
    first = build_sharded(small_corpus, folder, 3)
    assert first.rebuilt == [0, 1, 2]
    unchanged = build_sharded(small_corpus, folder, 3)
    assert unchanged.rebuilt == []
    (small_corpus / "note-3.md").write_text("# Note 3\n\nThe budget talks collapsed over fighter jets.\n", encoding="utf-8")
    again = build_sharded(small_corpus, folder, 3)
    assert again.rebuilt == [shard_of("note-3.md", 3)]
    with ShardedIndex(folder) as many, _one_index(small_corpus, tmp_path / "one.sofa") as one:
        for q in ("what collapsed the budget talks?", "what did Hornung suggest?", "who is Sato?", "fighter jets"):
            assert _answers(many, q) == _answers(one, q)


def test_the_bylines_are_each_documents_once_in_document_order(small_corpus, tmp_path):
    """`authors` (what "who wrote ...?" reads instead of every document's record) holds each
    byline once, in the order the documents first give it, from one index file and from shards
    whose documents interleave; "who wrote ...?" is answered alike from both."""
    for i, author in enumerate(["Ann Lee", None, "Bo Park", "Ann Lee", "Cy Diaz", "Bo Park", "", "Di Wu"]):
        byline = f"author: {author}\n" if author is not None else ""
        (small_corpus / f"note-{i}.md").write_text(
            f"---\ntitle: Note {i}\n{byline}---\nThe committee met on day {i} about the budget.\n", encoding="utf-8"
        )
    build_sharded(small_corpus, tmp_path / "shards", 3)
    with ShardedIndex(tmp_path / "shards") as many, _one_index(small_corpus, tmp_path / "one.sofa") as one:
        expected = list(dict.fromkeys(d.author for d in one.docs if d.author))
        assert expected == ["Keita Nakamura", "Ann Lee", "Bo Park", "Cy Diaz", "Di Wu"]
        assert one.authors == expected
        assert many.authors == expected
        assert _answers(many, "who wrote about the budget?") == _answers(one, "who wrote about the budget?")


def test_question_during_rebuild_is_answered_from_previous_manifest(small_corpus, tmp_path):
    """A reader holding the manifest from before a rebuild still finds every file it names
    (the rebuild keeps the previous generation's files) and answers as before, whole."""
    folder = tmp_path / "shards"
    build_sharded(small_corpus, folder, 3)
    before = read_manifest(folder)
    with ShardedIndex(folder, before) as index:
        expected = _answers(index, "what did Hornung suggest?")
    (small_corpus / "kyodo-sofa.md").write_text("# Replaced\n\nNothing about anyone.\n", encoding="utf-8")
    build_sharded(small_corpus, folder, 3)
    assert read_manifest(folder).generation == before.generation + 1
    with ShardedIndex(folder, before) as index:
        assert _answers(index, "what did Hornung suggest?") == expected
    with ShardedIndex(folder) as index:
        assert _answers(index, "what did Hornung suggest?") != expected


# -- damaged shards ---------------------------------------------------------------------------


def test_missing_shard_is_an_error_naming_it(small_corpus, tmp_path):
    folder = tmp_path / "shards"
    build_sharded(small_corpus, folder, 3)
    gone = read_manifest(folder).shard_files[1]["file"]
    (folder / gone).unlink()
    with pytest.raises(ShardError, match=f"shard 1 .*{gone}.* is missing"):
        ShardedIndex(folder)


def test_corrupt_shard_is_an_error_naming_it(small_corpus, tmp_path):
    """A flipped byte in a shard's postings: found by the block checksums when first read, and
    the error names the shard; no answer from the other shards."""
    folder = tmp_path / "shards"
    build_sharded(small_corpus, folder, 3)
    entry = read_manifest(folder).shard_files[2]
    path = folder / entry["file"]
    with Index(path) as shard:
        offset, *_ = shard.header["sections"]["post_tf"]
    data = bytearray(path.read_bytes())
    at = 16 + int.from_bytes(data[8:12], "little") + offset  # sections follow the magic, lengths and header
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    with ShardedIndex(folder) as index, pytest.raises(ShardError, match=entry["file"]):
        for tid in range(index.n_terms):
            index.bm25([tid])


def test_cli_reports_a_missing_shard_in_one_line(small_corpus, tmp_path, monkeypatch):
    from sofa_cli.index.shards import shard_folder

    monkeypatch.setenv("SOFA_INDEX_DIR", str(tmp_path / "cache"))
    folder = shard_folder(small_corpus.resolve(), None)
    build_sharded(small_corpus, folder, 2)
    (folder / read_manifest(folder).shard_files[0]["file"]).unlink()
    proc = run_process("ask", "--corpus", str(small_corpus), "what did Hornung suggest?")
    assert proc.returncode == 2
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert len(err.strip().splitlines()) == 1 and "shard 0" in err and "Traceback" not in err


def test_document_ids_made_unique_across_shards_as_one_index_would(tmp_path):
    """notes.md in several folders: one index cites the second as its path; so must the shards,
    though each shard alone sees no clash."""
    root = tmp_path / "corpus"
    for folder in ("a", "b", "c", "d", "e"):
        (root / folder).mkdir(parents=True)
        text = f"# Notes {folder}\n\nMeeting {folder} discussed the harbour.\n"
        (root / folder / "notes.md").write_text(text, encoding="utf-8")
    with _one_index(root, tmp_path / "one.sofa") as one:
        expected = [d.id for d in one.docs]
        answers = _answers(one, "which meeting discussed the harbour?")
    assert len(set(expected)) == 5
    for n in (2, 3, 5):
        with ShardedIndex(_built(root, tmp_path / f"s{n}", n)) as many:
            assert [d.id for d in many.docs] == expected
            assert many.doc_by_id(expected[-1]).path == "e/notes.md"
            assert _answers(many, "which meeting discussed the harbour?") == answers


def _built(root: Path, folder: Path, shards: int) -> Path:
    build_sharded(root, folder, shards)
    return folder


@pytest.mark.parametrize("shards", (3, 7))
def test_sharded_sentence_terms_are_one_index_s_stored_terms(unsharded, sharded, shards):
    """Reranking reads each candidate's sentence terms from its shard, mapped to the global
    numbering: the same ids one index stored (or tokenising gives), so no candidate is tokenised."""
    from sofa_cli.query.sentences import tokenised_sentence_terms

    index = sharded[shards]
    stored = 0
    for pid in range(0, unsharded.n_passages, 7):
        mapped = index.sentence_terms(pid)
        assert (mapped is None) == (unsharded.sentence_terms(pid) is None), pid
        if mapped is not None:
            stored += 1
            assert mapped == unsharded.sentence_terms(pid), pid
            assert mapped == tokenised_sentence_terms(index, index.passage(pid)), pid
    assert stored > unsharded.n_passages // 7 * 0.9
