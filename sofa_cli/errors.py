"""One error type and one exit table.

Every error sofa reports to a user is a `SofaError` carrying the exit status it ends with;
the command line turns it into one line on stderr in one place (`cli.main`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """sofa's exit codes, as ripgrep's: found, nothing found, error; 130 for Ctrl-C."""

    FOUND = 0
    NOT_FOUND = 1
    ERROR = 2
    INTERRUPTED = 130


class SofaError(Exception):
    """An error the user can act on: its message names the thing and the fix."""

    exit_status: ExitStatus = ExitStatus.ERROR
