"""The command line and the shell: one client of the library (sofa_cli.api)."""

from sofa_cli.cli.app import app
from sofa_cli.cli.errors import main

__all__ = ["app", "main"]
