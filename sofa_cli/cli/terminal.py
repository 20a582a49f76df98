"""The shell at a terminal or behind a pipe: the REPL (cli/shell.py) wired to stdin, readline
(editing, history, completion) and the signals that end it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from sofa_cli.cli.inputs import check_filters, clean_question, filters_of, open_corpus
from sofa_cli.cli.options import AskOptions
from sofa_cli.cli.output import choose_output, warn


def run_shell(
    corpus: Optional[Path],
    index_dir: Optional[str],
    options: AskOptions = AskOptions(),
    cluster: Optional[str] = None,
    follow_links: bool = False,
) -> None:
    """Load the index once, then hand the terminal (or piped stdin) to the REPL (`cluster`: a
    Dask scheduler whose workers score a sharded index's shards, kept open between questions)."""
    from sofa_cli.cli.shell import Shell

    output, console = choose_output(options.fmt, options.as_json, options.color)
    if output == "json":
        human, console = choose_output(None, False, options.color)
    else:
        human = output
    filters = filters_of(options)
    how = {"cluster": cluster} if cluster else {}
    opened = open_corpus(corpus, index_dir, follow_links=follow_links, **how)
    with opened:  # closed when the shell ends: a --cluster corpus holds a Dask client
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
            clean=lambda line: clean_question(line, "the question"),
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
