"""sofa: question answering over a folder of news articles and interview transcripts.

The library (see sofa_cli.api):

    import sofa_cli

    with sofa_cli.open() as corpus:          # the bundled corpus, or sofa_cli.open("folder/")
        for result in corpus.ask("what did Hornung suggest?", k=3):
            print(result.citation, result.answer)

Names are imported on first use, so `import sofa_cli` (and the command line's start) stays light.
"""

__version__ = "0.1.0"

_EXPORTS = {
    "open": "sofa_cli.api",
    "Corpus": "sofa_cli.api",
    "bundled_corpus": "sofa_cli.api",
    "Filters": "sofa_cli.query.rank",
    "Ranking": "sofa_cli.query.config",
    "Weights": "sofa_cli.query.config",
    "Switches": "sofa_cli.query.config",
    "Limits": "sofa_cli.query.config",
    "PLAIN": "sofa_cli.query.config",
    "BM25Params": "sofa_cli.index.bm25",
    "Answer": "sofa_cli.model",
    "Result": "sofa_cli.model",
    "Explanation": "sofa_cli.model",
    "Source": "sofa_cli.model",
    "Shown": "sofa_cli.model",
    "Scores": "sofa_cli.model",
    "QAItem": "sofa_cli.model",
    "SofaError": "sofa_cli.errors",
    "ExitStatus": "sofa_cli.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sofa_cli' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
