"""The command line: arguments in, a call of the library (sofa_cli.api), a renderer out."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from sofa_cli import __version__
from sofa_cli.cli.options import (
    AskOptions,
    CorpusOpt,
    ExplainOpt,
    FormatOpt,
    IndexDirOpt,
    JsonOpt,
    KindOpt,
    LimitOpt,
    MinScoreOpt,
    SourceOpt,
    SpeakerOpt,
)
from sofa_cli.errors import ExitStatus, SofaError


class _Commands(TyperGroup):
    """sofa's commands, with every SofaError turned into its one stderr line and exit status
    here, in one place, whoever runs the app (`main`, or a test's CliRunner)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SofaError as err:
            if os.environ.get("SOFA_DEBUG"):
                raise
            sys.stderr.write(f"sofa: error: {_one_line(str(err))}\n")
            raise typer.Exit(err.exit_status)


app = typer.Typer(
    cls=_Commands,
    name="sofa",
    help="Ask questions of a folder of news articles and interviews; get cited passages back.",
    no_args_is_help=False,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class UsageError(SofaError):
    """Arguments that cannot be acted on (an unknown format, kind or source, an empty question)."""


def _one_line(message: str) -> str:
    """Messages quote file names, ids and questions: keep them one harmless line."""
    from sofa_cli.text.safety import safe_line

    return safe_line(message)


def warn(message: str) -> None:
    sys.stderr.write(f"sofa: {_one_line(message)}\n")


def _progress():
    """A progress callback drawing a rich bar on stderr when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True, console=_console(stderr=True))
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("indexing", total=total)
        bar.update(task, completed=done, total=total)

    return update, bar.stop


def open_corpus(
    corpus: Optional[Path],
    index_dir: Optional[str],
    rebuild: bool = False,
    wait: bool = False,
    check_all: bool = False,
    shards: Optional[int] = None,  # hook: sharded index (docs/scale.md)
    cluster: Optional[str] = None,
):
    """The library's Corpus for --corpus (default: the bundled one), with what happened told on stderr."""
    import sofa_cli.api
    from sofa_cli.corpus.discover import CORPUS_SUFFIXES, CorpusError

    root = corpus or sofa_cli.api.bundled_corpus()
    progress, done = _progress()
    try:
        opened = sofa_cli.api.open(
            root,
            index_dir,
            rebuild=rebuild,
            progress=progress,
            notice=warn,
            wait=wait,
            check_all=check_all,
            shards=shards,
            cluster=cluster,
        )
    except CorpusError as err:
        raise UsageError(f"{err} (pass an existing folder to --corpus)")
    except OSError as err:
        raise UsageError(f"cannot index {root}: {err.strerror or err}")
    finally:
        done()
    for w in opened.warnings:
        warn(w)
    if opened.report:
        for s in opened.report.skipped:
            warn(f"skipped {s.path}: {s.reason}")
        for w in opened.report.warnings:
            warn(f"warning: {w}")
        warn(f"indexed {root}: {opened.report.summary()}")
    if opened.passages == 0:
        raise UsageError(f"no text to search in {root} (sofa reads {' '.join(CORPUS_SUFFIXES)} files)")
    return opened


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False, markup=False)


def _choose_format(fmt: Optional[str], as_json: bool) -> str:
    from sofa_cli.cli.render import FORMATS

    if as_json:
        return "json"
    if fmt is None:
        return "rich" if sys.stdout.isatty() else "plain"
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return fmt


def _check_kind(kind: Optional[str]) -> None:
    from sofa_cli.model import KINDS

    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r} (choose article or interview)")


def emit(answer, fmt: str, console=None) -> None:
    from sofa_cli.cli import render
    from sofa_cli.text.safety import safe

    render.render_answer(answer, fmt, sys.stdout, console)
    if fmt != "json":
        for wrong, right in answer.corrections:
            warn(f"showing results for {right!r} (no match for {wrong!r})")
        if not answer.results:
            warn(f"no answer found for: {safe(answer.question)}")


def _clean_question(text: str, where: str) -> str:
    """The question as the library will read it (sofa_cli.api.clean_question), saying when it was cut."""
    from sofa_cli.api import MAX_QUESTION_CHARS, clean_question

    question, length = clean_question(text)
    if length is not None:
        warn(f"{where} has {length:,} characters; only the first {MAX_QUESTION_CHARS:,} are used")
    return question


def _questions(question: str):
    """The questions to answer: the argument (checked now, before any indexing), or stdin's lines."""
    if question != "-":
        question = _clean_question(question, "the question")
        if not question:
            raise UsageError('the question is empty (ask e.g. sofa ask "what did Hornung suggest?", or - to read stdin)')
        return [question]
    return _stdin_questions()


def _stdin_questions():
    stdin = sys.stdin.buffer
    for n, raw in enumerate(stdin, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            warn(f"stdin line {n} is not valid UTF-8; decoded with replacement characters")
            line = raw.decode("utf-8", errors="replace")
        line = _clean_question(line, f"stdin line {n}")
        if line:
            yield line


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one question per line from stdin.")],
    limit: LimitOpt = 3,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    source: SourceOpt = None,
    kind: KindOpt = None,
    speaker: SpeakerOpt = None,
    min_score: MinScoreOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Answer QUESTION from the corpus: best passages first, with citations."""
    options = AskOptions(limit, as_json, fmt, tuple(source or ()), kind, speaker, min_score, explain)
    output = _choose_format(fmt, as_json)
    _check_kind(kind)
    questions = _questions(question)
    opened = open_corpus(corpus, index_dir)
    filters = options.filters()
    unknown = [s for s in filters.sources if not opened.has_document(s)]
    if unknown:
        raise UsageError(f"unknown source {unknown[0]!r} (see `sofa sources`)")
    console = _console() if output == "rich" else None
    found = False
    for q in questions:
        answer = opened.ask(q, k=limit, filters=filters, explain=explain)
        found |= bool(answer.results)
        emit(answer, output, console)
        sys.stdout.flush()
    raise typer.Exit(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)


@app.command("index")
def index_cmd(
    directory: Annotated[
        Optional[Path],
        typer.Argument(help="Corpus folder (default: --corpus, then the bundled one).", show_default=False),
    ] = None,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Reparse every file.")] = False,
    shards: Annotated[
        Optional[int], typer.Option("--shards", min=1, help="Build a sharded index of N shards with Dask (docs/scale.md).")
    ] = None,
    cluster: Annotated[
        Optional[str],
        typer.Option("--cluster", help="Dask scheduler for --shards (default: SOFA_CLUSTER, else a local cluster)."),
    ] = None,
) -> None:
    """Build or refresh the index of a corpus folder (ask does this on its own when needed).

    Prints the index file's path; what was done ("2 new, 1 updated, 340 unchanged, 0 removed")
    goes to stderr.
    """
    if shards is None and cluster is None:  # hook: a sharded corpus is refreshed with its shard count
        shards = _sharded_count(directory or corpus, index_dir)
    if shards is not None or cluster is not None:  # hook: sharded index (sofa_cli/index/shards.py)
        cluster = cluster or os.environ.get("SOFA_CLUSTER") or None
        opened = open_corpus(directory or corpus, index_dir, rebuild=rebuild, check_all=True, shards=shards, cluster=cluster)
        sys.stdout.write(f"{opened.index_file}\n")
        return
    opened = open_corpus(directory or corpus, index_dir, rebuild=rebuild, wait=True, check_all=True)
    index = opened.index
    if opened.report is None:  # open_corpus has told what it rebuilt; say that nothing needed to be
        warn(
            f"indexed {index.corpus}: 0 new, 0 updated, {len(index.files)} unchanged, 0 removed"
            f" ({opened.documents} documents, {opened.passages} passages; already up to date)"
        )
    if opened.index_file is None:  # the warning above says why; no path to print that exists
        warn("the index was kept in memory only: nothing saved")
    else:
        sys.stdout.write(f"{opened.index_file}\n")


def _sharded_count(corpus: Optional[Path], index_dir: Optional[str]) -> Optional[int]:
    """The shard count of the corpus's sharded index, or None when it has none."""
    import sofa_cli.api
    from sofa_cli.index.shards import read_manifest, shard_folder

    root = (corpus or sofa_cli.api.bundled_corpus()).resolve()
    manifest = read_manifest(shard_folder(root, index_dir))
    return manifest.shards if manifest else None


@app.command("eval")
def eval_cmd(
    qa_file: Annotated[Path, typer.Argument(help='JSON Lines of {"q": question, "gold": [substring, ...]}.')],
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    k: Annotated[int, typer.Option("-k", min=1, help="Depth for hit@k.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    show_misses: Annotated[bool, typer.Option("--misses", help="List the questions not answered first.")] = False,
) -> None:
    """Measure sofa on a QA file: hit@1, hit@k, MRR and answer@1."""
    from sofa_cli.model import json_line
    from sofa_cli.query.evaluate import read_qa

    items = read_qa(qa_file)
    scores = open_corpus(corpus, index_dir).evaluate(items, k=k)
    if as_json:
        sys.stdout.write(json_line(scores, omit=() if show_misses else ("misses",)))
    else:
        sys.stdout.write(
            f"questions {scores.questions}  hit@1 {scores.hit_at_1:.3f}  hit@{k} {scores.hit_at_k:.3f}"
            f"  MRR {scores.mrr:.3f}  answer@1 {scores.answer_at_1:.3f}\n"
        )
        if show_misses:
            for m in scores.misses:
                sys.stdout.write(f"  miss: {m['q']!r} got {m.get('got')} (gold rank {m.get('rank')})\n")


@app.command()
def sources(corpus: CorpusOpt = None, index_dir: IndexDirOpt = None, as_json: JsonOpt = False, fmt: FormatOpt = None) -> None:
    """List the documents of the corpus: id, kind, passages, author, date, title, path."""
    from sofa_cli.cli import render

    output = _choose_format(fmt, as_json)
    docs = open_corpus(corpus, index_dir).sources()
    render.render_sources(docs, output, sys.stdout, _console() if output == "rich" else None)


@app.command()
def show(
    citation: Annotated[str, typer.Argument(help='A citation as ask prints it ("kyodo-sofa ¶19"), or DOC:N.')],
    context: Annotated[
        Optional[int], typer.Option("--context", "-C", min=0, help="Passages shown either side (default 1).", show_default=False)
    ] = None,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Print a cited passage with the passages around it (read from the index, not the files)."""
    from sofa_cli.cli import render

    output = _choose_format(fmt, as_json)
    opened = open_corpus(corpus, index_dir)
    shown = opened.show(citation) if context is None else opened.show(citation, context)
    render.render_shown(shown, output, sys.stdout, _console() if output == "rich" else None)


@app.command("shell")
def shell_cmd(
    limit: LimitOpt = 3,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    source: SourceOpt = None,
    kind: KindOpt = None,
    speaker: SpeakerOpt = None,
    min_score: MinScoreOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Ask one question after another at a prompt (:help lists the commands); the index is loaded once."""
    run_shell(corpus, index_dir, AskOptions(limit, as_json, fmt, tuple(source or ()), kind, speaker, min_score, explain))


def run_shell(corpus: Optional[Path], index_dir: Optional[str], options: AskOptions = AskOptions()) -> None:
    """Load the index once, then hand the terminal (or piped stdin) to the REPL."""
    from sofa_cli.cli.shell import Shell, check_filters

    output = _choose_format(options.fmt, options.as_json)
    opened = open_corpus(corpus, index_dir)
    filters = options.filters()
    check_filters(filters, opened)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    human = output if output != "json" else _choose_format(None, False)
    repl = Shell(
        corpus=opened,
        out=sys.stdout,
        err=sys.stderr,
        limit=options.limit,
        filters=filters,
        fmt=human,
        json=output == "json",
        explain=options.explain,
        clean=lambda line: _clean_question(line, "the question"),
        console=_console() if human == "rich" else None,
    )
    if not interactive:
        raise typer.Exit(repl.run(_stdin_lines))
    read_line, save_history = _terminal_input(repl)
    try:
        code = repl.run(read_line, interactive=True)
    finally:
        save_history()
    raise typer.Exit(code)


def _stdin_lines(prompt: str) -> str:
    """One line of piped stdin, undecodable bytes replaced; EOFError at the end."""
    raw = sys.stdin.buffer.readline()
    if not raw:
        raise EOFError
    return raw.decode("utf-8", errors="replace")


def _terminal_input(repl):
    """input() with readline's editing, history across sessions and completion of commands."""
    from sofa_cli.cli.shell import HISTORY_LENGTH, history_path

    try:
        import readline
    except ImportError:  # a Python without readline still gets a working prompt
        return input, lambda: None
    path = history_path(os.environ)
    readline.set_history_length(HISTORY_LENGTH)
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")

    def complete(word: str, state: int):
        options = repl.completions(readline.get_line_buffer().lstrip(), word)
        return options[state] if state < len(options) else None

    readline.set_completer(complete)

    def save() -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError as err:
            warn(f"cannot save history to {path}: {err.strerror or err}")

    return input, save


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"sofa {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Ask questions of a folder of news articles and interviews; get cited passages back.

    Without a command: the interactive shell on a terminal, this help otherwise.
    """
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        corpus = os.environ.get("SOFA_CORPUS")
        run_shell(Path(corpus) if corpus else None, None)
    sys.stdout.write(ctx.get_help() + "\n")


def main() -> None:
    """Entry point: run the app, ending quietly when stdout is closed (`| head`).

    Click's standalone mode is off so that Ctrl-C ends with the shell's 130 (click would
    say "Aborted!" and exit 1, which here means "no answer"), and so that an unexpected
    exception still ends in one line on stderr rather than a traceback.
    """
    try:
        code = app(standalone_mode=False)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitStatus.FOUND)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except Exception as err:  # the last line of defence: a bug must not print a traceback
        if callable(getattr(err, "show", None)) and isinstance(getattr(err, "exit_code", None), int):
            err.show()  # a usage error, which click (vendored or not by typer) formats itself
            sys.exit(err.exit_code)
        if os.environ.get("SOFA_DEBUG"):
            raise
        sys.stderr.write(f"sofa: error: {_one_line(f'{type(err).__name__}: {err}')} (a bug; SOFA_DEBUG=1 shows where)\n")
        sys.exit(ExitStatus.ERROR)
    sys.exit(code if isinstance(code, int) else ExitStatus.FOUND)
