"""The command line: arguments in, a call of the library (sofa_cli.api), a renderer out."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click import exceptions as click_errors  # typer's own click: its exceptions are the ones raised
from typer._click.globals import get_current_context
from typer.core import TyperGroup

from sofa_cli import __version__
from sofa_cli.cli.options import (
    COLOR_ALIASES,
    COLORS,
    FORMAT_ALIASES,
    FORMATS,
    AskOptions,
    ColorOpt,
    CorpusOpt,
    ExplainOpt,
    FormatOpt,
    IndexDirOpt,
    JsonOpt,
    KindOpt,
    LimitOpt,
    MinScoreOpt,
    SinceOpt,
    SourceOpt,
    SpeakerOpt,
    UntilOpt,
    UsageError,
    choice,
    complete_documents,
    did_you_mean,
    force_color,
)
from sofa_cli.errors import ExitStatus, SofaError

# What a closed stdout ends with: set by a command before it writes (ask: whether anything was found).
CLOSED_PIPE_STATUS = "sofa.closed_pipe_status"


class _Commands(TyperGroup):
    """sofa's commands, with every error turned into its one stderr line and exit status here,
    in one place, whoever runs the app (`main`, or a test's CliRunner): a SofaError, a usage
    error click finds in the arguments, a closed stdout (`| head -1`), Ctrl-C."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if os.environ.get("_SOFA_COMPLETE"):
            from typer.completion import completion_init

            completion_init()  # typer's completion classes: values and their help in zsh and fish
        try:
            code = super().main(
                args=args, prog_name=prog_name or "sofa", complete_var=complete_var, standalone_mode=False, **extra
            )
        except click_errors.ClickException as err:  # a usage error found by click: one line, as ours
            sys.stderr.write(f"sofa: error: {_one_line(_click_message(err))}\n")
            code = ExitStatus.ERROR
        except SofaError as err:  # raised while the arguments are read (an eager option's value)
            sys.stderr.write(f"sofa: error: {_one_line(str(err))}\n")
            code = err.exit_status
        except typer.Abort:
            sys.stderr.write("\n")
            code = ExitStatus.INTERRUPTED
        except SystemExit as done:  # shell completion and the eager options end this way
            code = done.code if isinstance(done.code, int) else 0
        code = code if isinstance(code, int) else ExitStatus.FOUND
        if standalone_mode:
            sys.exit(code)
        return code

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None and "default_map" not in extra:
            from sofa_cli.cli.config import default_map, load_config

            try:
                extra["default_map"] = default_map(load_config(os.environ), [c for c in self.commands])
            except SofaError as err:
                sys.stderr.write(f"sofa: error: {_one_line(str(err))}\n")
                raise typer.Exit(err.exit_status)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a closed pipe shows here when the output fit in the buffer
        except SofaError as err:
            if os.environ.get("SOFA_DEBUG"):
                raise
            sys.stderr.write(f"sofa: error: {_one_line(str(err))}\n")
            raise typer.Exit(err.exit_status)
        except BrokenPipeError:
            # The reader has what it wanted (`| head -1`): end quietly, with the status the
            # results deserve, before click's own handling (which exits 1, "nothing found").
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):  # a stdout without a file descriptor (a test's runner)
                pass
            raise typer.Exit(ctx.meta.get(CLOSED_PIPE_STATUS, ExitStatus.FOUND))


def _click_message(err: click_errors.ClickException) -> str:
    message = err.format_message()
    if isinstance(err, click_errors.NoSuchOption) and err.possibilities:
        options = sorted(err.possibilities)
        guess = options[0] if len(options) == 1 else f"one of {', '.join(options)}"
        message = f"No such option: {err.option_name}; did you mean {guess}?"
    ctx = getattr(err, "ctx", None)
    if isinstance(err, click_errors.UsageError) and ctx is not None:
        message = f"{message.rstrip('.')} (see `{ctx.command_path} -h`)"
    return message


app = typer.Typer(
    cls=_Commands,
    name="sofa",
    no_args_is_help=False,
    add_completion=False,  # ours below: --show-completion SHELL honours the shell named
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


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

    bar = Progress(transient=True, console=_console("auto", stderr=True))
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("indexing", total=total)
        bar.update(task, completed=done, total=total)

    return update, bar.stop


def _one_corpus(corpus: Optional[list[Path]]) -> Optional[Path]:
    """--corpus takes one folder: a second one is an error, not silently the last one."""
    if not corpus:
        return None
    if len(corpus) > 1:
        raise UsageError(
            f"--corpus takes one folder, got {len(corpus)} ({', '.join(str(c) for c in corpus)}); "
            "put the documents under one folder, or ask each folder in turn"
        )
    return corpus[0]


def open_corpus(corpus, index_dir: Optional[str], rebuild: bool = False, wait: bool = False, check_all: bool = False):
    """The library's Corpus for --corpus (default: the bundled one), with what happened told on stderr."""
    import sofa_cli.api
    from sofa_cli.corpus.discover import CORPUS_SUFFIXES, CorpusError

    root = _one_corpus(corpus) if isinstance(corpus, list) else corpus
    root = root or sofa_cli.api.bundled_corpus()
    if root.is_file():
        raise UsageError(f"{root} is a file; --corpus takes the folder that holds the documents")
    progress, done = _progress()
    try:
        opened = sofa_cli.api.open(
            root, index_dir, rebuild=rebuild, progress=progress, notice=warn, wait=wait, check_all=check_all
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
        report_build(opened, rebuild)
    if opened.passages == 0:
        raise UsageError(f"no text to search in {opened.root} (sofa reads {' '.join(CORPUS_SUFFIXES)} files)")
    return opened


def report_build(opened, rebuilt: bool = False) -> None:
    """What a build did, on stderr: files (new, updated...) kept apart from documents and passages."""
    report = opened.report
    for s in report.skipped:
        warn(f"skipped {s.path}: {s.reason}")
    for w in report.warnings:
        warn(f"warning: {w}")
    totals = f"{report.documents} documents, {report.passages} passages, {report.seconds:.2f}s"
    if rebuilt:
        files = report.new + report.updated + report.unchanged
        warn(f"indexed {opened.root}: rebuilt, {files} files reparsed ({totals})")
    else:
        warn(
            f"indexed {opened.root}: files {report.new} new, {report.updated} updated,"
            f" {report.unchanged} unchanged, {report.removed} removed ({totals})"
        )


class _TrimmedLines:
    """A stream that drops the spaces rich pads lines with (into a pipe, up to 80 columns)."""

    def __init__(self, out) -> None:
        import re

        self.out = out
        self._padding = re.compile(r"(?:[ ]|\x1b\[[0-9;]*m)+(?=\n)")  # spaces and style codes before a line's end
        self._style = re.compile(r"\x1b\[[0-9;]*m")

    def write(self, text: str) -> int:
        return self.out.write(self._padding.sub(lambda m: "".join(self._style.findall(m.group())), text))

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()

    def fileno(self) -> int:
        return self.out.fileno()

    @property
    def encoding(self):
        return getattr(self.out, "encoding", "utf-8")


def _console(color: str = "auto", stderr: bool = False):
    """A rich console: colour as --color says (auto: on a terminal, or FORCE_COLOR; NO_COLOR honoured)."""
    from rich.console import Console

    terminal = {"always": True, "never": False}.get(color)
    no_color = False if color == "always" else None
    stream = sys.stderr if stderr else _TrimmedLines(sys.stdout)
    return Console(
        file=stream,
        force_terminal=terminal,
        no_color=no_color,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        markup=False,
    )


def choose_output(fmt: Optional[str], as_json: bool, color: Optional[str] = None) -> tuple[str, object]:
    """The output format and, for rich, its console: --json, --format and --color read together."""
    fmt = choice(fmt, FORMATS, "format", FORMAT_ALIASES)
    color = choice(color, COLORS, "--color value", COLOR_ALIASES) or "auto"
    if as_json:
        if fmt not in (None, "json"):
            raise UsageError(f"--json and --format {fmt} ask for two formats (give one)")
        return "json", None
    if fmt is None:
        wanted = color == "always" or (color == "auto" and (sys.stdout.isatty() or force_color()))
        fmt = "rich" if wanted else "plain"
    return fmt, _console(color) if fmt == "rich" else None


def _set_closed_pipe_status(status: ExitStatus) -> None:
    ctx = get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[CLOSED_PIPE_STATUS] = status


def emit(answer, fmt: str, console=None, heading: bool = False) -> None:
    from sofa_cli.cli import render
    from sofa_cli.text.safety import safe

    for notice in answer.notices():  # in every format, once per question, before its answer
        warn(notice)
    render.render_answer(answer, fmt, sys.stdout, console, heading=heading)
    if fmt != "json" and not answer.results and not heading:
        warn(f"no answer found for: {safe(answer.question)}")


def _clean_question(text: str, where: str) -> str:
    """The question as the library will read it (sofa_cli.api.clean_question), saying when it was cut."""
    from sofa_cli.api import MAX_QUESTION_CHARS, clean_question

    question, length = clean_question(text)
    if length is not None:
        warn(f"{where} has {length:,} characters; only the first {MAX_QUESTION_CHARS:,} are used")
    return question


def _questions(words: list[str]):
    """The questions to answer: the words (checked now, before any indexing), or stdin's lines."""
    if words == ["-"]:
        return _stdin_questions()
    question = _clean_question(" ".join(words), "the question")
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
        line = _clean_question(line, f"stdin line {n}")
        if line:
            yield line


def check_filters(filters, opened, where: str = "`sofa sources`"):
    """`filters` with each source as the corpus's id (one may be given in its printed form);
    a usage error for a source or speaker the corpus does not have, with a did-you-mean."""
    from dataclasses import replace

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
    return replace(filters, sources=tuple(opened.resolve_id(s) for s in filters.sources))


def _filters(options: AskOptions):
    from dataclasses import replace

    from sofa_cli.api import parse_date

    filters = options.filters()
    try:
        since = parse_date(options.since) if options.since else None
        until = parse_date(options.until) if options.until else None
    except ValueError as err:
        raise UsageError(str(err))
    return replace(filters, since=since, until=until)


QuestionArg = Annotated[
    Optional[list[str]],
    typer.Argument(
        metavar="QUESTION...",
        help="The question: words, quoted or not; - reads one question per line from stdin.",
        show_default=False,
    ),
]


@app.command(
    epilog="""\b
Examples:
  sofa ask what did Hornung suggest
  sofa ask "who is Jeffrey Hornung?" -k 1 --json
  sofa ask Ishiba --kind interview --speaker Tanaka -f md
  sofa ask - -k 1 < questions.txt
"""
)
def ask(
    question: QuestionArg = None,
    limit: LimitOpt = 3,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
    source: SourceOpt = None,
    kind: KindOpt = None,
    speaker: SpeakerOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_score: MinScoreOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Answer QUESTION from the corpus: best passages first, with citations.

    Exit status: 0 when a question got results, 1 when none did, 2 on an error.
    """
    if not question:
        raise UsageError("missing QUESTION (e.g. sofa ask what did Hornung suggest; see `sofa ask -h`)")
    options = AskOptions(limit, as_json, fmt, tuple(source or ()), kind, speaker, min_score, explain, color, since, until)
    output, console = choose_output(fmt, as_json, color)
    filters = _filters(options)
    batch = question == ["-"]
    questions = _questions(question)
    opened = open_corpus(corpus, index_dir)
    filters = check_filters(filters, opened)
    found = False
    for q in questions:
        answer = opened.ask(q, k=limit, filters=filters, explain=explain)
        found |= bool(answer.results)
        _set_closed_pipe_status(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)
        emit(answer, output, console, heading=batch)
        sys.stdout.flush()
    raise typer.Exit(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)


@app.command(
    "index",
    epilog="""\b
Examples:
  sofa index corpus
  sofa index --list
  sofa index --prune
  sofa index --clear corpus
""",
)
def index_cmd(
    directory: Annotated[
        Optional[Path],
        typer.Argument(metavar="[DIR]", help="Corpus folder (default: --corpus, then the bundled one).", show_default=False),
    ] = None,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Reparse every file.")] = False,
    list_: Annotated[
        bool, typer.Option("--list", "-l", help="List the indexes kept: folder, documents, passages, size, age.")
    ] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the indexes of folders that no longer exist.")] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the index of DIR (the next ask rebuilds it).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build or refresh the index of a corpus folder (ask does this on its own when needed),
    or list and clean up the indexes kept.

    Prints the index file's path; what was done goes to stderr.
    """
    import sofa_cli.api

    if sum((list_, prune, clear)) > 1:
        raise UsageError("give one of --list, --prune and --clear")
    root = directory or _one_corpus(corpus)
    if list_ or prune:
        if root is not None:
            raise UsageError(f"--{'list' if list_ else 'prune'} takes no folder (it covers every index kept)")
        if list_:
            from sofa_cli.cli import render

            render.render_indexes(sofa_cli.api.indexes(index_dir), "json" if as_json else "plain", sys.stdout)
            return
        removed = sofa_cli.api.prune_indexes(index_dir)
        for info in removed:
            warn(f"removed the index of {info.corpus} (folder gone; {_size(info.size)})")
        warn(f"pruned {len(removed)} index{'es' if len(removed) != 1 else ''}")
        return
    if clear:
        root = (root or sofa_cli.api.bundled_corpus()).resolve()
        removed = sofa_cli.api.clear_index(root, index_dir)
        if removed is None:
            warn(f"no index of {root} to clear")
        else:
            warn(f"cleared the index of {root} ({_size(removed.size)})")
        return
    opened = open_corpus(root, index_dir, rebuild=rebuild, wait=True, check_all=True)
    index = opened.index
    if opened.report is None:  # open_corpus has told what it rebuilt; say that nothing needed to be
        warn(
            f"indexed {opened.root}: files 0 new, 0 updated, {len(index.files)} unchanged, 0 removed"
            f" ({opened.documents} documents, {opened.passages} passages; already up to date)"
        )
    if opened.index_file is None:  # the warning above says why; no path to print that exists
        warn("the index was kept in memory only: nothing saved")
    else:
        sys.stdout.write(f"{_one_line(str(opened.index_file))}\n")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


@app.command(
    "eval",
    epilog="""\b
Examples:
  sofa eval bench/qa/bundled.jsonl -k 3
  sofa eval bench/qa/bundled.jsonl --json --misses
""",
)
def eval_cmd(
    qa_file: Annotated[Path, typer.Argument(metavar="QA_FILE", help='JSON Lines of {"q": question, "gold": [substring, ...]}.')],
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    k: Annotated[int, typer.Option("-k", min=1, max=10_000, help="Depth for hit@k.")] = 5,
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
                sys.stdout.write(_one_line(f"  miss: {m['q']!r} got {m.get('got')} (gold rank {m.get('rank')})") + "\n")


@app.command(
    epilog="""\b
Examples:
  sofa sources
  sofa sources --json
  sofa sources -f plain --corpus corpus
"""
)
def sources(
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
) -> None:
    """List the documents of the corpus: id, kind, passages, author, date, title, path."""
    from sofa_cli.cli import render

    output, console = choose_output(fmt, as_json, color)
    docs = open_corpus(corpus, index_dir).sources()
    render.render_sources(docs, output, sys.stdout, console)


@app.command(
    epilog="""\b
Examples:
  sofa show "kyodo-sofa ¶19"
  sofa show kyodo-sofa:19 -C 2
  sofa show tanaka-interview
  sofa show kyodo-sofa:19 --edit
"""
)
def show(
    citation: Annotated[
        str,
        typer.Argument(
            metavar="CITATION",
            help='A citation as ask prints it ("kyodo-sofa ¶19"), DOC:N, or a document id for the whole document.',
            autocompletion=complete_documents,
        ),
    ],
    context: Annotated[
        Optional[int],
        typer.Option("--context", "-C", min=0, max=1_000_000, help="Passages shown either side (default 1).", show_default=False),
    ] = None,
    edit: Annotated[bool, typer.Option("--edit", "-e", help="Open the file in $EDITOR at the passage's line instead.")] = False,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
) -> None:
    """Print a cited passage with the passages around it, or a whole document (read from the index, not the files)."""
    from sofa_cli.cli import render

    output, console = choose_output(fmt, as_json, color)
    opened = open_corpus(corpus, index_dir)
    whole = opened.has_document(citation.strip())
    if whole:
        shown = opened.document(citation.strip())
    else:
        shown = opened.show(citation) if context is None else opened.show(citation, context)
    if edit:
        _edit(shown)
        return
    render.render_shown(shown, output, sys.stdout, console)


def _edit(shown) -> None:
    """$EDITOR (else $VISUAL, else vi) +LINE FILE, as git and most editors understand it."""
    import shlex
    import subprocess

    if not shown.file:
        raise UsageError(f"cannot open {shown.doc} in an editor: its file is not known")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    line = shown.lines[0] if shown.lines else 1
    try:
        command = [*shlex.split(editor), f"+{line}", shown.file]
        status = subprocess.call(command)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot run the editor {editor!r}: {getattr(err, 'strerror', None) or err} (set $EDITOR)")
    if status:
        raise typer.Exit(ExitStatus.ERROR)


@app.command(
    epilog="""\b
Examples:
  sofa people
  sofa people --json
"""
)
def people(
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
) -> None:
    """Who speaks or is quoted in the corpus: how many sentences, in which documents."""
    from sofa_cli.cli import render

    output, console = choose_output(fmt, as_json, color)
    found = open_corpus(corpus, index_dir).people()
    render.render_people(found, output, sys.stdout, console)
    raise typer.Exit(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)


@app.command(
    epilog="""\b
Examples:
  sofa quotes Hornung
  sofa quotes "Dr. Tanaka" --json
  sofa quotes hornug
"""
)
def quotes(
    name: Annotated[list[str], typer.Argument(metavar="NAME", help="A person, by full or last name; typos are corrected.")],
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
) -> None:
    """Every sentence attributed to NAME, in document order, cited."""
    from sofa_cli.cli import render

    output, console = choose_output(fmt, as_json, color)
    wanted = " ".join(name).strip()
    if not wanted:
        raise UsageError("missing NAME (e.g. sofa quotes Hornung)")
    found = open_corpus(corpus, index_dir).quotes(wanted)
    if found.corrected and output != "json":
        warn(f"showing quotes of {found.name!r} (no one named {wanted!r})")
    render.render_quotes(found, output, sys.stdout, console)
    if not found.quotes:
        if output != "json":
            warn(f"no quotes of {wanted!r} (see `sofa people`)")
        raise typer.Exit(ExitStatus.NOT_FOUND)


@app.command(
    "shell",
    epilog="""\b
Examples:
  sofa shell
  sofa shell -k 1 --kind interview
  printf ':json on\\nwhat did Hornung suggest?\\n' | sofa shell
""",
)
def shell_cmd(
    limit: LimitOpt = 3,
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
    source: SourceOpt = None,
    kind: KindOpt = None,
    speaker: SpeakerOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_score: MinScoreOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Ask one question after another at a prompt (:help lists the commands); the index is loaded once."""
    options = AskOptions(limit, as_json, fmt, tuple(source or ()), kind, speaker, min_score, explain, color, since, until)
    run_shell(_one_corpus(corpus), index_dir, options)


def run_shell(corpus: Optional[Path], index_dir: Optional[str], options: AskOptions = AskOptions()) -> None:
    """Load the index once, then hand the terminal (or piped stdin) to the REPL."""
    from sofa_cli.cli.shell import Shell

    output, console = choose_output(options.fmt, options.as_json, options.color)
    if output == "json":
        human, console = choose_output(None, False, options.color)
    else:
        human = output
    filters = _filters(options)
    opened = open_corpus(corpus, index_dir)
    filters = check_filters(filters, opened, where=":sources or `sofa sources`")
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
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
        console=console,
    )
    if not interactive:
        raise typer.Exit(repl.run(_stdin_lines))
    read_line, save_history = _terminal_input(repl)
    with _signals_end_the_shell():
        try:
            code = repl.run(read_line, interactive=True)
        except SystemExit as ended:
            code = ended.code
        finally:
            save_history()
    raise typer.Exit(code)


class _signals_end_the_shell:
    """SIGHUP (the terminal closed) and SIGTERM end the shell like Ctrl-D, so history is saved."""

    def __enter__(self):
        import signal

        self.previous = {}
        for name in ("SIGHUP", "SIGTERM"):
            number = getattr(signal, name, None)
            if number is not None:
                self.previous[number] = signal.signal(number, self._end)
        return self

    @staticmethod
    def _end(number, frame):
        raise SystemExit(128 + number)

    def __exit__(self, *exc):
        import signal

        for number, handler in self.previous.items():
            signal.signal(number, handler)


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
            readline.write_history_file(path)  # the whole history, cut to HISTORY_LENGTH
        except OSError as err:
            warn(f"cannot save history to {path}: {err.strerror or err}")

    appending = True

    def read_line(prompt: str) -> str:
        """input(), each line entered added to the history file at once: a shell ended by a
        signal it cannot turn into an exit (SIGKILL, a power cut) still keeps its questions."""
        nonlocal appending
        line = input(prompt)
        if line.strip() and appending:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
                readline.append_history_file(1, path)
            except OSError:
                appending = False  # save() says why at the end
        return line

    return read_line, save


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"sofa {__version__}\n")
        raise typer.Exit()


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def _completion_script(ctx: typer.Context, param, value: Optional[str]) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import get_completion_script
    from typer.completion import completion_init

    completion_init()
    shell = choice(value, SHELLS, "shell")
    sys.stdout.write(get_completion_script(prog_name="sofa", complete_var="_SOFA_COMPLETE", shell=shell) + "\n")
    raise typer.Exit()


def _install_completion(ctx: typer.Context, param, value: Optional[str]) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import install
    from typer.completion import completion_init

    completion_init()
    shell, path = install(shell=choice(value, SHELLS, "shell"), prog_name="sofa", complete_var="_SOFA_COMPLETE")
    sys.stderr.write(f"sofa: {shell} completion installed in {path}; it takes effect in a new shell\n")
    raise typer.Exit()


@app.callback(
    invoke_without_command=True,
    epilog="""\b
Examples:
  sofa ask what did Hornung suggest
  sofa sources
  sofa show "kyodo-sofa ¶19"
  sofa quotes Hornung
""",
)
def main_callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
    show_completion: Annotated[
        Optional[str],
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            callback=_completion_script,
            is_eager=True,
            expose_value=False,
            help="Print the completion script for SHELL (bash, zsh, fish, powershell).",
            autocompletion=lambda incomplete: [s for s in SHELLS if s.startswith(incomplete)],
        ),
    ] = None,
    install_completion: Annotated[
        Optional[str],
        typer.Option(
            "--install-completion",
            metavar="SHELL",
            callback=_install_completion,
            is_eager=True,
            expose_value=False,
            help="Install completion for SHELL (bash, zsh, fish, powershell).",
            autocompletion=lambda incomplete: [s for s in SHELLS if s.startswith(incomplete)],
        ),
    ] = None,
) -> None:
    """Ask questions of a folder of news articles and interviews; get cited passages back.

    Bare `sofa` on a terminal opens the interactive shell (as `sofa shell`); otherwise it prints
    this help. Defaults (k, format, corpus, color) can be set in $XDG_CONFIG_HOME/sofa/config.toml.
    """
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        defaults = (ctx.default_map or {}).get("shell", {})
        corpus = (defaults.get("corpus") or [None])[-1]
        options = AskOptions(limit=defaults.get("limit", 3), fmt=defaults.get("fmt"), color=defaults.get("color"))
        run_shell(Path(corpus) if corpus else None, None, options)
    sys.stdout.write(ctx.get_help() + "\n")


def main() -> None:
    """Entry point: the app's own `main` (see _Commands) does the error handling; this is the
    last line of defence, so that a bug ends in one line on stderr rather than a traceback."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as err:
        if os.environ.get("SOFA_DEBUG"):
            raise
        sys.stderr.write(f"sofa: error: {_one_line(f'{type(err).__name__}: {err}')} (a bug; SOFA_DEBUG=1 shows where)\n")
        sys.exit(ExitStatus.ERROR)
