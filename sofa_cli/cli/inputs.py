"""What the command line reads: the corpus folder it is given, the questions (words or stdin
lines, cleaned as the library reads them), and filters checked against the corpus."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from sofa_cli.cli.options import AskOptions, UsageError, did_you_mean
from sofa_cli.cli.output import progress_bar, report_build, warn


def one_corpus(corpus: Optional[list[Path]]) -> Optional[Path]:
    """--corpus takes one folder: a second one is an error, not silently the last one."""
    if not corpus:
        return None
    if len(corpus) > 1:
        raise UsageError(
            f"--corpus takes one folder, got {len(corpus)} ({', '.join(str(c) for c in corpus)}); "
            "put the documents under one folder, or ask each folder in turn"
        )
    return corpus[0]


def open_corpus(corpus, index_dir: Optional[str], rebuild: bool = False, **how):
    """The library's Corpus for --corpus (default: the bundled one), with what happened told on
    stderr; `how` is handed to `sofa_cli.open` (wait, check_all, shards, cluster)."""
    import sofa_cli.api
    from sofa_cli.corpus.discover import CORPUS_SUFFIXES, CorpusError

    root = one_corpus(corpus) if isinstance(corpus, list) else corpus
    root = root or sofa_cli.api.bundled_corpus()
    if root.is_file():
        raise UsageError(f"{root} is a file; --corpus takes the folder that holds the documents")
    progress, done = progress_bar()
    try:
        opened = sofa_cli.api.open(root, index_dir, rebuild=rebuild, progress=progress, notice=warn, **how)
    except CorpusError as err:
        raise UsageError(f"{err} (pass an existing folder to --corpus)")
    except OSError as err:
        raise UsageError(f"cannot index {root}: {err.strerror or err}")
    finally:
        done()
    for w in opened.warnings:
        warn(w)
    if opened.report:
        report_build(opened, rebuild)
    if opened.passages == 0:
        raise UsageError(f"no text to search in {opened.root} (sofa reads {' '.join(CORPUS_SUFFIXES)} files)")
    return opened


def clean_question(text: str, where: str) -> str:
    """The question as the library will read it (sofa_cli.api.clean_question), saying when it was cut."""
    from sofa_cli.api import MAX_QUESTION_CHARS, clean_question

    question, length = clean_question(text)
    if length is not None:
        warn(f"{where} has {length:,} characters; only the first {MAX_QUESTION_CHARS:,} are used")
    return question


def questions_of(words: list[str]):
    """The questions to answer: the words (checked now, before any indexing), or stdin's lines."""
    if words == ["-"]:
        return _stdin_questions()
    question = clean_question(" ".join(words), "the question")
    if not question:
        raise UsageError('the question is empty (ask e.g. sofa ask "what did Hornung suggest?", or - to read stdin)')
    return [question]


def _stdin_questions():
    stdin = sys.stdin.buffer
    for n, raw in enumerate(stdin, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            warn(f"stdin line {n} is not valid UTF-8; decoded with replacement characters")
            line = raw.decode("utf-8", errors="replace")
        line = clean_question(line, f"stdin line {n}")
        if line:
            yield line


def check_filters(filters, opened, where: str = "`sofa sources`"):
    """`filters` with each source as the corpus's id (one may be given in its printed form);
    a usage error for a source or speaker the corpus does not have, with a did-you-mean."""
    for doc_id in filters.sources:
        if not opened.has_document(doc_id):
            guess = did_you_mean(doc_id, opened.document_ids())
            hint = f"did you mean {guess}? " if guess else ""
            raise UsageError(f"unknown source {doc_id!r} ({hint}see {where})")
    if filters.speaker and not opened.has_person(filters.speaker):
        from sofa_cli.query.quotes import closest_name

        guess = closest_name(filters.speaker, opened.person_names())
        hint = f"did you mean {guess}? " if guess else ""
        raise UsageError(
            f"unknown speaker {filters.speaker!r}: nobody of that name speaks or is quoted ({hint}see `sofa people`)"
        )
    return filters._replace(sources=tuple(opened.resolve_id(s) for s in filters.sources))


def filters_of(options: AskOptions):
    from sofa_cli.query.rank import parse_date

    for flag, given in (("--since", options.since), ("--until", options.until), ("--speaker", options.speaker)):
        if given is not None and not given.strip():  # an empty value is a slip, not "no filter"
            raise UsageError(f"{flag} is empty (give {'a name; see `sofa people`' if flag == '--speaker' else 'a DATE'})")
    filters = options.filters()
    try:
        since = parse_date(options.since) if options.since else None
        until = parse_date(options.until) if options.until else None
    except ValueError as err:
        raise UsageError(str(err))
    if since and until and since[: len(until)] > until:  # "2024" to "2024-06" is a range; 2025 to 2024 is none
        raise UsageError(f"--since {options.since} is after --until {options.until}: no date is in between")
    return filters._replace(since=since, until=until)
