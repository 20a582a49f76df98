"""An answer's results are located (file, lines) from the documents the ranking read: a
one-shot answer must not decode every document of a large corpus to find three."""

import sofa_cli


def test_locating_results_decodes_only_the_documents_read(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(40):
        topic = "Hornung suggested a review of the pact." if n == 7 else f"The harbour of town {n} was quiet."
        (corpus / f"doc{n:02}.md").write_text(f"# Document {n}\n\n{topic}\n", encoding="utf-8")
    with sofa_cli.open(corpus, index_dir=str(tmp_path / "index")) as opened:
        answer = opened.ask("what did Hornung suggest?", k=3, locate=True)
        assert answer[0].doc == "doc07"
        assert answer[0].file == str(corpus / "doc07.md")
        assert answer[0].lines == [3, 3]
        decoded = len(opened.index.docs._cache)
    assert decoded < 40
