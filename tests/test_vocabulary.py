"""The index's vocabulary look-ups: hash tables agree with the sorted tables they index."""

from pathlib import Path

from sofa_cli.index.cache import open_index
from sofa_cli.index.reader import Index
from sofa_cli.index.vocabulary import _find, _lookup
from sofa_cli.query.rank import ask

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"


def _strings(blob, offsets):
    return [bytes(blob[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]


def test_hash_tables_find_every_form_and_term_where_the_sorted_table_has_it(tmp_path):
    index = open_index(BUNDLED, str(tmp_path)).index
    assert index.form_hash is not None and index.term_hash is not None
    for table, blob, offsets in (
        (index.form_hash, index.form_blob, index.form_off),
        (index.term_hash, index.term_blob, index.term_off),
    ):
        strings = _strings(blob, offsets)
        assert len(strings) > 100
        for i, key in enumerate(strings):
            assert _find(table, blob, offsets, key) == i == _lookup(blob, offsets, key)
        for missing in (b"", b"zzzz-not-a-word", b"hornun", strings[0] + b"x"):
            assert _find(table, blob, offsets, missing) is None is _lookup(blob, offsets, missing)


def test_an_index_without_hash_tables_answers_the_same(tmp_path):
    """Indexes written before the hash tables existed are binary-searched instead."""
    path = open_index(BUNDLED, str(tmp_path)).index.path
    hashed, searched = Index(path), Index(path)
    searched.form_hash = searched.term_hash = None
    for question in ("what did Hornung suggest?", "helicopter crash Okinawa", "what did Tanaka say about the SOFA?"):
        a, b = ask(hashed, question, limit=5), ask(searched, question, limit=5)
        assert a.results and a.results == b.results
