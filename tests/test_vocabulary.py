"""The index's vocabulary look-ups: the hash tables find every term and form where the
sorted tables hold it, and nothing else."""

from pathlib import Path

from sofa_cli.index.cache import open_index
from sofa_cli.index.vocabulary import find, hash_table, string_table

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"


def test_a_hash_table_finds_each_string_at_its_position_and_no_other():
    strings = ["", "a", "alliance", "hornung", "\u6c96\u7e04", "zz", *(f"w{i}" for i in range(300))]
    blob, offsets = string_table(strings)
    table, blob, offsets = (memoryview(x) for x in (hash_table(strings), blob, offsets))
    for i, s in enumerate(strings):
        assert find(table, blob, offsets, s.encode("utf-8")) == i
    for missing in (b"b", b"hornun", b"hornungx", b"w300", "\u6c96".encode()):
        assert find(table, blob, offsets, missing) is None


def test_every_term_and_form_of_an_index_is_found_by_its_accessors(tmp_path):
    index = open_index(BUNDLED, str(tmp_path)).index
    assert index.n_terms > 100 and index.n_forms > 100
    for tid in range(index.n_terms):
        assert index.term_id(index.term(tid)) == tid
    for i in range(index.n_forms):
        form = index.form(i)
        assert index.term_of_form(form) == index.form_term_id(i)
        assert index.stem_of(form) == index.term(index.form_term_id(i))
    for missing in ("", "zzzz-not-a-word", "hornun", index.term(0) + "x"):
        assert index.term_id(missing) is None
        assert index.term_of_form(missing) is None and index.stem_of(missing) is None
