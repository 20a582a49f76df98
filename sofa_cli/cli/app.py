"""The command line: arguments in, a call of the library (sofa_cli.api), a renderer out."""

import functools
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from sofa_cli.cli import render
from sofa_cli.cli.completion import SHELLS, completion_script, install_completion, print_version
from sofa_cli.cli.errors import set_closed_pipe_status
from sofa_cli.cli.group import lazy_group
from sofa_cli.cli.index_command import index_cmd
from sofa_cli.cli.inputs import check_filters, filters_of, one_corpus, open_corpus, questions_of
from sofa_cli.cli.options import (
    AskOptions,
    ClusterOpt,
    ColorOpt,
    CorpusOpt,
    ExplainOpt,
    FollowLinksOpt,
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
    complete_documents,
    complete_people,
)
from sofa_cli.cli.output import choose_output, emit, one_line, warn
from sofa_cli.errors import ExitStatus

# The subcommands, registered here and made into click commands when looked up (cli/group.py).
_commands = typer.Typer()


app = typer.Typer(
    cls=lazy_group(_commands, rich_markup_mode=None),
    name="sofa",
    no_args_is_help=False,
    add_completion=False,  # ours below: --show-completion SHELL honours the shell named
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _takes_the_options_of(command, *leaving_out: str) -> None:
    """Give `command` the parameters of another command (less `leaving_out`), so options two
    commands share are declared once: typer reads a command's signature and annotations."""

    def adopt(other) -> None:
        shared = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name not in leaving_out]
        other.__signature__ = inspect.Signature(shared)
        other.__annotations__ = {p.name: p.annotation for p in shared}

    return adopt


def _output_options(
    corpus: CorpusOpt = None,
    index_dir: IndexDirOpt = None,
    follow_links: FollowLinksOpt = False,
    as_json: JsonOpt = False,
    fmt: FormatOpt = None,
    color: ColorOpt = None,
) -> None:
    """The options of every command that prints from a corpus, declared once (see `prints`)."""


def prints(command):
    """`command(..., opening, output, console)` as a typer command taking its own parameters
    plus `_output_options`: it gets the output format and console they ask for, and `opening()`,
    which opens the corpus (called after the command has checked its own arguments)."""
    own = [
        p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name not in ("opening", "output", "console")
    ]
    shared = list(inspect.signature(_output_options, eval_str=True).parameters.values())

    @functools.wraps(command)
    def run(**given) -> None:
        corpus, index_dir, follow = given.pop("corpus"), given.pop("index_dir"), given.pop("follow_links")
        output, console = choose_output(given.pop("fmt"), given.pop("as_json"), given.pop("color"))

        opened = []  # closed when the command ends: a --cluster corpus holds a Dask client

        def opening(**how):
            opened.append(open_corpus(corpus, index_dir, follow_links=follow, **how))
            return opened[-1]

        try:
            return command(opening=opening, output=output, console=console, **given)
        finally:
            for each in opened:
                each.close()

    run.__signature__ = inspect.Signature(own + shared)
    run.__annotations__ = {p.name: p.annotation for p in own + shared}
    return run


QuestionArg = Annotated[
    Optional[list[str]],
    typer.Argument(
        metavar="QUESTION...",
        help="The question: words, quoted or not; - reads one question per line from stdin.",
        show_default=False,
    ),
]


@_commands.command(
    epilog="""\b
Examples:
  sofa ask what did Hornung suggest
  sofa ask "who is Jeffrey Hornung?" -k 1 --json
  sofa ask Ishiba --kind interview --speaker Tanaka -f md
  sofa ask - -k 1 < questions.txt
"""
)
@prints
def ask(
    question: QuestionArg = None,
    limit: LimitOpt = 3,
    source: SourceOpt = None,
    kind: KindOpt = None,
    speaker: SpeakerOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_score: MinScoreOpt = None,
    explain: ExplainOpt = False,
    cluster: ClusterOpt = None,
    opening=None,
    output=None,
    console=None,
) -> None:
    """Answer QUESTION from the corpus: best passages first, with citations.

    Exit status: 0 when a question got results, 1 when none did, 2 on an error.
    """
    if not question:
        raise UsageError("missing QUESTION (e.g. sofa ask what did Hornung suggest; see `sofa ask -h`)")
    options = AskOptions.of(
        limit=limit, source=source, kind=kind, speaker=speaker, min_score=min_score, explain=explain, since=since, until=until
    )
    filters = filters_of(options)
    batch = question == ["-"]
    questions = questions_of(question)
    opened = opening(cluster=cluster) if cluster else opening()
    filters = check_filters(filters, opened)
    found = False
    for q in questions:
        answer = opened.ask(q, k=limit, filters=filters, explain=explain)
        found |= bool(answer.results)
        set_closed_pipe_status(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)
        emit(answer, output, console, heading=batch)
        sys.stdout.flush()
    raise typer.Exit(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)


_commands.command(
    "index",
    epilog="""\b
Examples:
  sofa index corpus
  sofa index --list
  sofa index --prune
  sofa index --clear corpus
""",
)(index_cmd)


@_commands.command(
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
    follow_links: FollowLinksOpt = False,
    k: Annotated[int, typer.Option("-k", min=1, max=10_000, help="Depth for hit@k.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    show_misses: Annotated[bool, typer.Option("--misses", help="List the questions not answered first.")] = False,
    cluster: ClusterOpt = None,
) -> None:
    """Measure sofa on a QA file: hit@1, hit@k, MRR and answer@1."""
    from sofa_cli.model import json_line
    from sofa_cli.query.evaluate import read_qa

    items = read_qa(qa_file)
    how = {"cluster": cluster} if cluster else {}
    with open_corpus(corpus, index_dir, follow_links=follow_links, **how) as opened:
        scores = opened.evaluate(items, k=k)
    if as_json:
        sys.stdout.write(json_line(scores, omit=() if show_misses else ("misses",)))
    else:
        sys.stdout.write(
            f"questions {scores.questions}  hit@1 {scores.hit_at_1:.3f}  hit@{k} {scores.hit_at_k:.3f}"
            f"  MRR {scores.mrr:.3f}  answer@1 {scores.answer_at_1:.3f}\n"
        )
        if show_misses:
            for m in scores.misses:
                sys.stdout.write(one_line(f"  miss: {m['q']!r} got {m.get('got')} (gold rank {m.get('rank')})") + "\n")


@_commands.command(
    epilog="""\b
Examples:
  sofa sources
  sofa sources --json
  sofa sources -f plain --corpus corpus
"""
)
@prints
def sources(opening, output, console) -> None:
    """List the documents of the corpus: id, kind, passages, author, date, title, path."""
    render.render_sources(opening().sources(), output, sys.stdout, console)


@_commands.command(
    epilog="""\b
Examples:
  sofa show "kyodo-sofa ¶19"
  sofa show kyodo-sofa:19 -C 2
  sofa show tanaka-interview
  sofa show kyodo-sofa:19 --edit
"""
)
@prints
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
    opening=None,
    output=None,
    console=None,
) -> None:
    """Print a cited passage with the passages around it, or a whole document (read from the index, not the files)."""
    opened = opening()
    whole = opened.has_document(citation.strip())
    if whole:
        if context is not None:
            raise UsageError(
                f"-C/--context is for a cited passage ({citation.strip()}:N); {citation.strip()!r} alone is the whole document"
            )
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
    if status:  # a failure the editor may not have shown (its window gone): one line says it
        raise UsageError(f"the editor {editor!r} exited with status {status} (set $EDITOR to change it)")


@_commands.command(
    epilog="""\b
Examples:
  sofa people
  sofa people --json
"""
)
@prints
def people(opening, output, console) -> None:
    """Who speaks or is quoted in the corpus: how many sentences, in which documents."""
    found = opening().people()
    render.render_people(found, output, sys.stdout, console)
    raise typer.Exit(ExitStatus.FOUND if found else ExitStatus.NOT_FOUND)


@_commands.command(
    epilog="""\b
Examples:
  sofa quotes Hornung
  sofa quotes "Dr. Tanaka" --json
  sofa quotes hornug
"""
)
@prints
def quotes(
    name: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME", help="A person, by full or last name; typos are corrected.", autocompletion=complete_people
        ),
    ],
    opening=None,
    output=None,
    console=None,
) -> None:
    """Every sentence attributed to NAME, in document order, cited."""
    wanted = " ".join(name).strip()
    if not wanted:
        raise UsageError("missing NAME (e.g. sofa quotes Hornung)")
    found = opening().quotes(wanted)
    if found.corrected and output != "json":
        warn(f"showing quotes of {found.name!r} (no one named {wanted!r})")
    render.render_quotes(found, output, sys.stdout, console)
    if not found.quotes:
        if output != "json":
            warn(f"no quotes of {wanted!r} (see `sofa people`)")
        raise typer.Exit(ExitStatus.NOT_FOUND)


def shell_cmd(corpus=None, index_dir=None, cluster=None, follow_links=False, **options) -> None:
    """Ask one question after another at a prompt (:help lists the commands); the index is loaded once."""
    from sofa_cli.cli.terminal import run_shell  # the shell's wiring: not for a one-shot command

    run_shell(one_corpus(corpus), index_dir, AskOptions.of(**options), cluster=cluster, follow_links=follow_links)


_takes_the_options_of(ask, "question")(shell_cmd)
_commands.command(
    "shell",
    epilog="""\b
Examples:
  sofa shell
  sofa shell -k 1 --kind interview
  printf ':json on\\nwhat did Hornung suggest?\\n' | sofa shell
""",
)(shell_cmd)


def _shell_option(flag: str, callback: Callable, help: str):
    """An eager option naming a SHELL (completed from SHELLS), acted on by its callback."""
    return typer.Option(
        flag,
        metavar="SHELL",
        callback=callback,
        is_eager=True,
        expose_value=False,
        help=f"{help} (bash, zsh, fish, powershell).",
        autocompletion=lambda incomplete: [s for s in SHELLS if s.startswith(incomplete)],
    )


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
    version: Annotated[bool, typer.Option("--version", callback=print_version, is_eager=True, help="Print the version.")] = False,
    show_completion: Annotated[
        Optional[str],
        _shell_option("--show-completion", completion_script, "Print the completion script for SHELL"),
    ] = None,
    install_completion: Annotated[
        Optional[str], _shell_option("--install-completion", install_completion, "Install completion for SHELL")
    ] = None,
) -> None:
    """Ask questions of a folder of news articles and interviews; get cited passages back.

    Bare `sofa` on a terminal opens the interactive shell (as `sofa shell`); otherwise it prints
    this help. Defaults (k, format, corpus, color) can be set in $XDG_CONFIG_HOME/sofa/config.toml.
    """
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():  # `sofa shell` with no arguments, read as it reads them
        shell = ctx.command.get_command(ctx, "shell")  # (the environment and the defaults file included)
        with shell.make_context("shell", [], parent=ctx) as shell_ctx:
            shell.invoke(shell_ctx)
        return
    sys.stdout.write(ctx.get_help() + "\n")
