"""The command line and the shell: one client of the library (sofa_cli.api)."""

from sofa_cli.cli.app import app, main

__all__ = ["app", "main"]
