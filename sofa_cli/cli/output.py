"""What the command line prints besides results: one-line messages, progress, build reports;
and how results are printed: the format and rich console that --json, --format and --color ask for."""

from __future__ import annotations

import sys
from typing import Optional

from sofa_cli.cli.options import COLOR_ALIASES, COLORS, FORMAT_ALIASES, FORMATS, UsageError, choice, force_color
from sofa_cli.model import counted


def one_line(message: str) -> str:
    """Messages quote file names, ids and questions: keep them one harmless line."""
    from sofa_cli.text.safety import safe_line

    return safe_line(message)


def warn(message: str) -> None:
    sys.stderr.write(f"sofa: {one_line(message)}\n")


def progress_bar():
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


def report_build(opened, rebuilt: bool = False) -> None:
    """What a build did, on stderr: files (new, updated...) kept apart from documents and passages."""
    report = opened.report
    for s in report.skipped:
        warn(f"skipped {s.path}: {s.reason}")
    for w in report.warnings:
        warn(f"warning: {w}")
    totals = f"{counted(report.documents, 'document')}, {counted(report.passages, 'passage')}, {report.seconds:.2f}s"
    # Said because sofa changed the line structure it was given (a sharded build does not count them).
    reflowed = getattr(report, "reflowed", 0)
    if reflowed:
        totals += f"; {counted(reflowed, 'hard-wrapped document')} reflowed into paragraphs"
    if hasattr(report, "shards"):  # a sharded build (sofa_cli/index/shards.py) counts shards, not files
        warn(f"indexed {opened.root}: {report.summary()}")
    elif rebuilt:
        files = report.new + report.updated + report.unchanged
        warn(f"indexed {opened.root}: rebuilt, {counted(files, 'file')} reparsed ({totals})")
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

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            """rich's own handling exits 1 ("nothing found" to a script under pipefail): the
            closed pipe is handed to the one place that ends with the status the results deserve
            (cli/errors.py)."""
            self.quiet = True
            raise BrokenPipeError

    terminal = {"always": True, "never": False}.get(color)
    no_color = False if color == "always" else None
    stream = sys.stderr if stderr else _TrimmedLines(sys.stdout)
    return PipeAwareConsole(file=stream, force_terminal=terminal, no_color=no_color, highlight=False, emoji=False, markup=False)


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


def emit(answer, fmt: str, console=None, heading: bool = False) -> None:
    from sofa_cli.cli import render
    from sofa_cli.text.safety import safe

    for notice in answer.notices():  # in every format, once per question, before its answer
        warn(notice)
    render.render_answer(answer, fmt, sys.stdout, console, heading=heading)
    if fmt != "json" and not answer.results and not heading:
        warn(f"no answer found for: {safe(answer.question)}")


def size_text(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
