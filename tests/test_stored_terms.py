"""The sentence and title terms stored at build time equal what tokenising gives, and answers
read from them equal answers computed by tokenising (issue 16: a question never re-tokenises
its candidates)."""

import array
import random

import pytest
from conftest import BUNDLED
from test_golden import GOLDEN

import sofa_cli
from sofa_cli.index.reader import Index
from sofa_cli.query.evidence import tokenised_title_terms
from sofa_cli.query.rank import ask
from sofa_cli.query.sentences import tokenised_sentence_terms

# Words chosen to strain the tokenizer at sentence and chunk boundaries: dotted acronyms,
# grouped numbers, curly and straight apostrophes, "&" names, accents, stopwords, a lone
# "US", and punctuation glued to the next word (a sentence ending inside a chunk).
_WORDS = (
    "the of and U.S. US U.S.A. e.g. 50,000 2.5 1962 don't Ishiba’s Ishiba's AT&T R&D V&A café naïve "
    "Zürich tanaka Hornung suggested security treaty forces pact Okinawa it's o'clock x y 42nd "
    "well-known ‘quoted’ “Said” (Rand) [note] end.Next “Yes.”He a.m. p.m. self-defense §3 ½ İstanbul"
).split()


def _generated_corpus(folder, seed: int, documents: int = 6) -> None:
    """Markdown articles of random sentences over `_WORDS` (deterministic for `seed`)."""
    rng = random.Random(seed)
    for d in range(documents):
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 6)))
        paragraphs = []
        for _ in range(rng.randint(1, 5)):
            sentences = []
            for _ in range(rng.randint(1, 4)):
                words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 12))]
                sentences.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", '."', ".”"]))
            paragraphs.append(" ".join(sentences))
        (folder / f"doc{d}.md").write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _index_path(corpus, index_dir) -> object:
    with sofa_cli.open(corpus, str(index_dir)) as opened:
        return opened.index.path


def _assert_stored_equal_tokenised(path) -> int:
    """Every passage's stored sentence terms and title terms equal the tokenised ones;
    returns how many passages had stored sentence terms."""
    stored_count = 0
    with Index(path) as index:
        for pid in range(index.n_passages):
            p = index.passage(pid)
            stored = index.sentence_terms(pid)
            if stored is not None:
                stored_count += 1
                assert stored == tokenised_sentence_terms(index, p), (pid, p.text)
            assert set(index.title_terms(pid)) == tokenised_title_terms(index, p.doc.title), p.doc.title
    return stored_count


def test_stored_terms_equal_tokenising_on_the_bundled_corpus(tmp_path):
    path = _index_path(BUNDLED, tmp_path)
    with Index(path) as index:
        n = index.n_passages
    assert _assert_stored_equal_tokenised(path) == n  # none left to tokenise


@pytest.mark.parametrize("seed", range(4))
def test_stored_terms_equal_tokenising_on_generated_corpora(tmp_path, seed):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _generated_corpus(corpus, seed)
    path = _index_path(corpus, tmp_path / "index")
    _assert_stored_equal_tokenised(path)
    rng = random.Random(seed)
    questions = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 5))) for _ in range(20)]
    with Index(path) as stored, Index(path, stored_terms=False) as tokenised:
        for q in questions:
            assert ask(stored, q, limit=5) == ask(tokenised, q, limit=5), q


def test_an_index_opened_without_stored_terms_tokenises(tmp_path):
    path = _index_path(BUNDLED, tmp_path)
    with Index(path, stored_terms=False) as index:
        assert index.sentence_terms(0) is None and index.title_terms(0) is None


def test_answers_from_stored_terms_equal_answers_from_tokenising(tmp_path):
    path = _index_path(BUNDLED, tmp_path)
    questions = [q for q, _ in GOLDEN] + ["Hornung", "what did Tanaka say?", "U.S. forces in Okinawa 2004"]
    with Index(path) as stored, Index(path, stored_terms=False) as tokenised:
        for q in questions:
            assert ask(stored, q, limit=5, explain=True) == ask(tokenised, q, limit=5, explain=True), q


def test_a_sentence_ending_inside_a_word_is_left_to_tokenise(tmp_path):
    """A sentence span that cuts "U.S.A." makes raw tokens ("U", "S") the passage lacks:
    numbering them would add forms to the vocabulary, so that passage's sentences are not
    stored, and reranking tokenises it, with the same answers."""
    from sofa_cli.corpus.segment import Passage
    from sofa_cli.index import bm25
    from sofa_cli.index.compiler import Compiler
    from sofa_cli.index.format import write_index
    from sofa_cli.index.terms import TermNumberer, pack_document

    text = "Troops went to the U.S.A. last year. Okinawa protested."
    cut = text.index("S.A.")
    passages = [
        Passage(1, text, ((0, cut), (cut, 36), (37, len(text))), attributions=(None, None, None)),
        Passage(2, "Okinawa hosts U.S. forces.", ((0, 26),), attributions=(None,)),
    ]
    record = {"id": "d", "path": "d.md", "title": "U.S.A. Okinawa", "kind": "article", "source": None}
    record.update(author=None, date=None, url=None)
    numberer = TermNumberer()
    packed = pack_document(passages, numberer)
    assert list(packed.unstored) == [0]
    build = Compiler(bm25.BM25Params())
    build.add_vocabulary(numberer.take_new())
    build.add(record, packed)
    path = tmp_path / "index.sofa"
    write_index(path, *build.finish(tmp_path, []))
    with Index(path) as index:
        assert index.sentence_terms(0) is None
        assert index.sentence_terms(1) == tokenised_sentence_terms(index, index.passage(1))
        assert index.term_of_form("u") is None  # the cut's pieces were never numbered
    with Index(path) as stored, Index(path, stored_terms=False) as tokenised:
        for q in ("Okinawa troops", "U.S.A.", "what did Okinawa protest?"):
            assert ask(stored, q) == ask(tokenised, q), q


def test_numpy_is_imported_at_open_only_for_a_large_index(tmp_path):
    """A large index starts importing numpy when opened, in a thread (no question pays the whole
    import, nor does the open); the bundled corpus's one-shot answer never imports it
    (`reader.NUMPY_AT_OPEN`)."""
    import subprocess
    import sys

    path = _index_path(BUNDLED, tmp_path)
    code = (
        "import sys; from pathlib import Path; import sofa_cli.index.reader as r; from sofa_cli.query.rank import ask; "
        f"ix = r.Index(Path({str(path)!r})); ask(ix, 'what did Hornung suggest?'); small = 'numpy' in sys.modules; "
        "r.NUMPY_AT_OPEN = 0; r.Index(Path(%r)); from sofa_cli.index import preload; preload.wait(); "
        "print(small, 'numpy' in sys.modules)" % str(path)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_an_index_from_before_the_stored_terms_is_out_of_date_not_damaged(tmp_path):
    """An index without the stored-term sections is rebuilt quietly when its header says an
    older analysis built it (OlderFormatError), and reported as damaged otherwise."""
    from sofa_cli.corpus.segment import Passage
    from sofa_cli.index import bm25
    from sofa_cli.index.compiler import Compiler
    from sofa_cli.index.format import IndexFileError, OlderFormatError, write_index
    from sofa_cli.index.schema import ANALYSIS_VERSION
    from sofa_cli.index.terms import TermNumberer, pack_document

    record = {"id": "d", "path": "d.md", "title": "D", "kind": "article", "source": None}
    record.update(author=None, date=None, url=None)
    numberer = TermNumberer()
    packed = pack_document([Passage(1, "Okinawa hosts forces.", ((0, 21),), attributions=(None,))], numberer)
    build = Compiler(bm25.BM25Params())
    build.add_vocabulary(numberer.take_new())
    build.add(record, packed)
    header, sections = build.finish(tmp_path, [])
    for name in ("s_terms", "s_terms_end", "p_unstored", "title_terms", "title_end"):
        del sections[name]
    old = dict(header, depends=dict(header["depends"], analysis=ANALYSIS_VERSION - 1))
    write_index(tmp_path / "old.sofa", old, sections)
    write_index(tmp_path / "damaged.sofa", header, sections)
    with pytest.raises(OlderFormatError):
        Index(tmp_path / "old.sofa")
    with pytest.raises(IndexFileError) as err:
        Index(tmp_path / "damaged.sofa")
    assert not isinstance(err.value, OlderFormatError)


def test_one_pass_numbering_equals_the_passage_then_each_sentence():
    """`passage_and_sentence_bytes` (one split per sentence) gives the forms that numbering
    the passage and then each sentence separately gives, for spans at whitespace, spans
    cutting a chunk, sentences with nothing between them, text outside every span, and text
    whose whitespace is not single spaces (double spaces, line breaks, a no-break space)."""
    from sofa_cli.corpus.segment import Passage, sentence_spans
    from sofa_cli.index.terms import TermNumberer

    rng = random.Random(7)
    passages = []
    for n in range(400):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 30))]
        if n % 5 == 4:
            text = "".join(w + rng.choice([" ", " ", "  ", "\n", "\u00a0"]) for w in words).strip()
        else:
            text = " ".join(words)
        spans = sentence_spans(text)
        if n % 3 == 1 and len(text) > 4:  # arbitrary cuts: inside chunks, gaps of text, adjacent spans
            cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(1, 4))))
            edges = [0, *cuts, len(text)]
            spans = tuple((a, b) for a, b in zip(edges, edges[1:]) if rng.random() < 0.8)
        people = (rng.choice([None, "Jeffrey Hornung"]),) * len(spans)
        passages.append(Passage(n + 1, text, spans, prompt=rng.choice([None, "Why U.S.A.?"]), attributions=people))

    def ints(numbers: bytes | None) -> list[int] | None:
        return None if numbers is None else array.array("i", numbers).tolist()

    one, two = TermNumberer(), TermNumberer()
    for p in passages:
        numbers, sequences = one.passage_and_sentence_bytes(p)
        numbers, sequences = ints(numbers), [ints(s) for s in sequences]
        expected = ints(two.passage_bytes(p))
        expected_sequences = [ints(two.known_bytes(p.text[a:b])) for a, b in p.sentences]
        forms_one, forms_two = list(one.numbers), list(two.numbers)  # form numbers are names: compare forms
        assert [forms_one[i - 1] for i in numbers] == [forms_two[i - 1] for i in expected]
        assert [None if s is None else [forms_one[i - 1] for i in s] for s in sequences] == [
            None if s is None else [forms_two[i - 1] for i in s] for s in expected_sequences
        ]
