"""Driving sofa through a pseudo-terminal, as a person at a keyboard would (standard library only)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time

ANSWER_TIMEOUT = 60  # generous: CI machines can be slow; tests never assert timings


def _default_signals() -> None:
    """In the child: Ctrl-C and hang-ups at their defaults, as at a real terminal, even when the
    tests run in the background (a shell's `&` ignores SIGINT) or under nohup."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _controlling_tty() -> None:
    """In the child: make the pty its controlling terminal, so Ctrl-C becomes SIGINT."""
    _default_signals()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`python -m sofa_cli ARGS` with stdin, stdout and stderr on a pty ("all"), or only stderr ("stderr")."""

    def __init__(self, *args: str, env: dict[str, str], cwd=None, streams: str = "all") -> None:
        self.master, slave = pty.openpty()
        full_env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "40", **env}
        if streams == "all":
            io = {"stdin": slave, "stdout": slave, "stderr": slave}
            extra = {"start_new_session": True, "preexec_fn": _controlling_tty}
        else:  # only stderr on the terminal (progress bar checks)
            io = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": slave}
            extra = {"preexec_fn": _default_signals}
        self.process = subprocess.Popen([sys.executable, "-m", "sofa_cli", *args], env=full_env, cwd=cwd, **io, **extra)
        os.close(slave)
        self.buffer = b""
        self.transcript = b""

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.buffer += data
        self.transcript += data
        return bool(data)

    def expect(self, text: str, timeout: float = ANSWER_TIMEOUT) -> str:
        """Everything up to and including `text`; fails with what was seen instead."""
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        while wanted not in self.buffer:
            if not self._read(deadline):
                raise AssertionError(f"expected {text!r}, terminal showed: {self.buffer.decode(errors='replace')[-800:]!r}")
        end = self.buffer.index(wanted) + len(wanted)
        seen, self.buffer = self.buffer[:end], self.buffer[end:]
        return seen.decode(errors="replace")

    def rest(self, timeout: float = ANSWER_TIMEOUT) -> str:
        """All output until the terminal closes."""
        deadline = time.monotonic() + timeout
        while self._read(deadline):
            pass
        seen, self.buffer = self.buffer, b""
        return seen.decode(errors="replace")

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = ANSWER_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            os.close(self.master)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
