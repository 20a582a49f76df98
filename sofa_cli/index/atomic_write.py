"""Writing a file so that a crash or a signal leaves the old one or the new one, never a torn one:
a temporary file in the same folder, fsynced, renamed over the old, the folder fsynced; SIGTERM and
SIGHUP unwind the write (the temporary file removed) and then end the process as they would have."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class _Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the process was so that clean-ups run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_unwind():
    """Within the block, SIGTERM and SIGHUP unwind it (its `finally` and `except` clauses
    remove temporary files), then end the process as the signal would have: with the
    handler that was there before (by default, killed by that signal).

    Only in the main thread (the only one that gets Python signal handlers), and not for a
    signal that is ignored (`nohup`). A forked child (a parse worker) keeps the default.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise _Terminated(signum)

    # Not a signal ignored (nohup), nor one whose handler is not Python's (it could not be put back).
    caught = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]  # no SIGHUP on Windows
    wanted = [s for s in caught if signal.getsignal(s) not in (signal.SIG_IGN, None)]
    before = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    except _Terminated as stop:
        for s, old in before.items():
            signal.signal(s, old)
        before = {}
        os.kill(os.getpid(), stop.signum)  # the previous handler's turn (the default: the end)
        raise SystemExit(128 + stop.signum) from None
    finally:
        for s, old in before.items():
            signal.signal(s, old)


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Replace `path` with what `write` writes, atomically: a tmp file beside it, fsync,
    `os.replace`, fsync of the folder. A reader sees the previous file or the new one, whole;
    a failed write leaves no tmp file behind."""
    import tempfile  # only when writing: it imports random, shutil, ...

    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
