"""Where every error of the command line becomes one line on stderr and an exit status.

`Commands` is the app's click group: a SofaError, a usage error click finds in the arguments,
a closed stdout (`| head -1`) and Ctrl-C all end here, whoever runs the app (`main`, or a
test's CliRunner). `main` is the last line of defence against a bug's traceback.
"""

from __future__ import annotations

import os
import sys

import typer
from typer._click import exceptions as click_errors  # typer's own click: its exceptions are the ones raised
from typer._click.globals import get_current_context
from typer.core import TyperGroup

from sofa_cli.cli.output import one_line
from sofa_cli.errors import ExitStatus, SofaError

# What a closed stdout ends with: set by a command before it writes (ask: whether anything was found).
CLOSED_PIPE_STATUS = "sofa.closed_pipe_status"


class Commands(TyperGroup):
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
            sys.stderr.write(f"sofa: error: {one_line(_click_message(err))}\n")
            code = ExitStatus.ERROR
        except SofaError as err:  # raised while the arguments are read (an eager option's value)
            sys.stderr.write(f"sofa: error: {one_line(str(err))}\n")
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
                sys.stderr.write(f"sofa: error: {one_line(str(err))}\n")
                raise typer.Exit(err.exit_status)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a closed pipe shows here when the output fit in the buffer
        except click_errors.UsageError as err:
            # click's parser raises some (an option lacking its value) without the command's
            # context: name the subcommand being parsed, for the "see `sofa ask -h`" hint.
            if err.ctx is None and ctx.invoked_subcommand:
                err.command_path = f"{ctx.command_path} {ctx.invoked_subcommand}"
            raise
        except SofaError as err:
            if os.environ.get("SOFA_DEBUG"):
                raise
            sys.stderr.write(f"sofa: error: {one_line(str(err))}\n")
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
    if isinstance(err, click_errors.UsageError):
        ctx = getattr(err, "ctx", None)
        command_path = ctx.command_path if ctx is not None else getattr(err, "command_path", "sofa")
        message = f"{message.rstrip('.')} (see `{command_path} -h`)"
    return message


def set_closed_pipe_status(status: ExitStatus) -> None:
    ctx = get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[CLOSED_PIPE_STATUS] = status


def main() -> None:
    """Entry point: the app's own `main` (see _Commands) does the error handling; this is the
    last line of defence, so that a bug ends in one line on stderr rather than a traceback."""
    from sofa_cli.cli.app import app

    try:
        app()
    except SystemExit:
        raise
    except Exception as err:
        if os.environ.get("SOFA_DEBUG"):
            raise
        sys.stderr.write(f"sofa: error: {one_line(f'{type(err).__name__}: {err}')} (a bug; SOFA_DEBUG=1 shows where)\n")
        sys.exit(ExitStatus.ERROR)
