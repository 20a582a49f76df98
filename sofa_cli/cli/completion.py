"""--version, --show-completion SHELL and --install-completion SHELL: eager options of the app."""

import sys
from typing import Optional

import typer

from sofa_cli import __version__
from sofa_cli.cli.options import choice


def print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"sofa {__version__}\n")
        raise typer.Exit()


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def completion_script(ctx: typer.Context, param, value: Optional[str]) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import get_completion_script
    from typer.completion import completion_init

    completion_init()
    shell = choice(value, SHELLS, "shell")
    sys.stdout.write(get_completion_script(prog_name="sofa", complete_var="_SOFA_COMPLETE", shell=shell) + "\n")
    raise typer.Exit()


def install_completion(ctx: typer.Context, param, value: Optional[str]) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import install
    from typer.completion import completion_init

    completion_init()
    shell, path = install(shell=choice(value, SHELLS, "shell"), prog_name="sofa", complete_var="_SOFA_COMPLETE")
    sys.stderr.write(f"sofa: {shell} completion installed in {path}; it takes effect in a new shell\n")
    raise typer.Exit()
