"""README.md's examples are real output: each `$ sofa ...` block is run and compared.

A block is a line `    $ sofa ARGS` (four spaces in), optionally fed by `printf '...' |`, cut by
`| head -N`, or reading `< FILE`, followed by the output it prints (stderr, then stdout) up to
the next `$` line or the end of the indented block. Python examples (`>>>` lines) are doctests.

    python tests/readme.py          # rewrite README.md's outputs from what sofa prints now (make readme)
    python tests/readme.py --check  # exit 1 when the README is stale (tests/test_readme.py does this)

Examples run in-process (typer's CliRunner) on the bundled corpus, from the repository's folder,
with a fresh index folder, no colour, 100 columns and no config file. What differs between machines
is written in a fixed form on both sides: the checkout's path as `~/sofa`, the index folder as
`~/.cache/sofa`, the cache name's hash as `<hash>`, durations as `0.00s`.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

COMMAND_RE = re.compile(r"^    \$ (.*)$")
INDENT = "    "


def blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number of the `$` line, the command, the output lines as written) for each example."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines):
        match = COMMAND_RE.match(lines[i])
        if not match or "sofa" not in match.group(1):
            i += 1
            continue
        start, command = i, match.group(1)
        i += 1
        output = []
        while i < len(lines) and not COMMAND_RE.match(lines[i]):
            line = lines[i]
            if line.strip() and not line.startswith(INDENT):
                break
            output.append(line[len(INDENT) :] if line.startswith(INDENT) else "")
            i += 1
        while output and not output[-1]:
            output.pop()
        found.append((start, command, output))
    return found


def _shorten(text: str, path: str, short: str) -> str:
    """`path` written as `short`; in a column (followed by 2+ spaces) the column keeps its width."""
    grow = len(path) - len(short)
    text = re.sub(re.escape(path) + r"(\S*)( {2,})", lambda m: short + m.group(1) + m.group(2) + " " * grow, text)
    return text.replace(path, short)


def normalise(text: str, index_dir: str | None = None) -> str:
    if index_dir:
        text = _shorten(text, index_dir, "~/.cache/sofa")
    text = _shorten(text, str(ROOT), "~/sofa")
    text = re.sub(r"-[0-9a-f]{16}/", "-<hash>/", text)
    text = re.sub(r"\b\d+\.\d\ds\b", "0.00s", text)  # durations
    text = re.sub(r"(?<= )\d+(?:\.\d)? (?:B|KB|MB|GB)(?=  )", "80.0 KB", text)  # index sizes (they hold the path)
    return re.sub(r"(?<=  )\d+ (?:s|min|h|d)$", "1 min", text, flags=re.M)  # index ages


def run(command: str, index_dir: str) -> list[str]:
    """What `command` prints (stderr, then stdout), normalised, as lines."""
    from typer.testing import CliRunner

    from sofa_cli.cli import app

    stdin = None
    head = None
    if "|" in command:
        parts = [p.strip() for p in command.split("|")]
        for part in parts:
            if part.startswith("printf "):
                stdin = shlex.split(part)[1].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            elif part.startswith("head "):
                head = int(shlex.split(part)[1].lstrip("-n"))
            elif part.startswith("sofa"):
                command = part
    if "<" in command:
        command, source = command.split("<", 1)
        stdin = (ROOT / source.strip()).read_text(encoding="utf-8")
    args = shlex.split(command, comments=True)
    assert args[0] == "sofa", command
    env = {
        "SOFA_INDEX_DIR": index_dir,
        "NO_COLOR": "1",
        "FORCE_COLOR": None,
        "COLUMNS": "100",
        "SOFA_CORPUS": None,
        "SOFA_CONFIG": None,
        "XDG_CONFIG_HOME": index_dir,
    }
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, args[1:], input=stdin, env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)
    out = normalise(result.stdout, index_dir).splitlines()
    lines = normalise(result.stderr, index_dir).splitlines() + (out if head is None else out[:head])
    while lines and not lines[-1]:
        lines.pop()
    if args[1:3] == ["index", "--list"]:  # its columns are as wide as the checkout's path
        lines = _realigned(lines)
    return [line.rstrip() for line in lines]


def _realigned(lines: list[str]) -> list[str]:
    """A table's lines aligned again after its paths were shortened: the first and last columns
    to the left, the numbers between to the right, as `sofa index --list` prints them."""
    rows = [re.split(r"(?<=\S) {2,}", line.strip()) for line in lines]
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    last = len(widths) - 1
    return [
        "  ".join(c.ljust(widths[i]) if i in (0, last) else c.rjust(widths[i]) for i, c in enumerate(row)).rstrip()
        for row in rows
    ]


def prepared_index_dir() -> str:
    """A fresh index folder with the bundled corpus already indexed (so no example shows the build)."""
    from sofa_cli.api import bundled_corpus
    from sofa_cli.api import open as open_corpus

    folder = tempfile.mkdtemp(prefix="sofa-readme-")
    open_corpus(bundled_corpus(), folder).close()
    return folder


def outdated(text: str, index_dir: str) -> list[tuple[str, list[str], list[str]]]:
    """(command, written, printed) for each example whose README output is not what sofa prints."""
    stale = []
    for _, command, written in blocks(text):
        printed = run(command, index_dir)
        if [normalise(w) for w in written] != printed:
            stale.append((command, written, printed))
    return stale


def regenerate(text: str, index_dir: str) -> str:
    lines = text.splitlines()
    for start, command, written in reversed(blocks(text)):
        printed = run(command, index_dir)
        lines[start + 1 : start + 1 + len(written)] = [f"{INDENT}{line}" if line else "" for line in printed]
    return "\n".join(lines) + "\n"


def doctests(text: str) -> str:
    """The README's `>>>` examples as one doctest text (indentation removed)."""
    chunks, current = [], []
    for line in text.splitlines():
        if line.startswith(f"{INDENT}>>> ") or line.startswith(f"{INDENT}... ") or (current and line.startswith(INDENT)):
            current.append(line[len(INDENT) :])
        elif current:
            chunks.append("\n".join(current))
            current = []
    if current:
        chunks.append("\n".join(current))
    return "\n\n".join(chunks) + "\n"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    index_dir = prepared_index_dir()
    if "--check" in sys.argv[1:]:
        stale = outdated(text, index_dir)
        for command, written, printed in stale:
            print(f"stale: $ {command}\n  README:  {written[:3]}\n  printed: {printed[:3]}", file=sys.stderr)
        return 1 if stale else 0
    new = regenerate(text, index_dir)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: examples regenerated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
