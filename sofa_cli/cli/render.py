"""Rendering: one `Answer`, several faces (rich for people, plain, markdown, JSON for programs).

Corpus text is untrusted. Before it reaches a terminal, control characters, escape
sequences and bidi overrides are replaced one-for-one by visible stand-ins (so highlight
offsets still line up), and it is never parsed as rich markup.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, TextIO

from sofa_cli.model import Answer, Result, json_line
from sofa_cli.text.safety import safe, safe_line

if TYPE_CHECKING:
    from sofa_cli.model.listings import IndexInfo, Person, Quotes, Shown, Source

FORMATS = ("rich", "plain", "markdown", "json")

# Said in place of the results of a question that has none, in batch output.
NO_ANSWER = "no answer"


def _json_records(render):
    """`render` for every format but JSON, whose output is the result's record (`json_line`),
    one line for each item of a list: written here alike for every such renderer."""

    @functools.wraps(render)
    def rendering(found, fmt: str, out: TextIO, *args, **kwargs) -> None:
        if fmt == "json":
            for record in found if isinstance(found, list) else (found,):
                out.write(json_line(record))
            return
        render(found, fmt, out, *args, **kwargs)

    return rendering


def render_answer(answer: Answer, fmt: str, out: TextIO, console=None, heading: bool = False) -> None:
    """`answer` in one of FORMATS; rich needs a console (a rich Console the caller made).

    With `heading` (a batch of questions), the text formats head each answer with its question
    and say NO_ANSWER in place of results, so that answers can be matched to questions;
    markdown always does (its `## question`)."""
    if fmt == "json":
        render_json(answer, out)
    elif fmt == "markdown":
        render_markdown(answer, out)
    elif fmt == "rich" and console is not None:
        if heading:
            from rich.text import Text

            console.print(Text(safe_line(answer.question), style="bold underline"))
            if not answer.results:
                console.print(Text(f"   {NO_ANSWER}", style="dim"))
                console.print()
        render_rich(answer, console)
    else:
        if heading:
            out.write(f"Q: {safe_line(answer.question)}\n")
            if not answer.results:
                out.write(f"   {NO_ANSWER}\n\n")
        render_plain(answer, out)


def render_json(answer: Answer, out: TextIO) -> None:
    out.write(json_line(answer))


def _header(r: Result) -> str:
    return " · ".join(x for x in (r.citation, _who(r), r.title) if x)


def _who(r: Result) -> str | None:
    """The speaker of a turn (with their role), or the person an article's answering sentence reports."""
    if r.speaker:
        return _speaker(r.speaker, r.role)
    return f"({r.answer_by})" if r.answer_by else None


def _speaker(name: str, role: str | None) -> str:
    """A speaker as cited: the name, and the job title their label gave them ("Tomas Eid, Baker")."""
    return f"{name}, {role}" if role else name


def render_plain(answer: Answer, out: TextIO) -> None:
    for r in answer.results:
        out.write(f"{r.rank}. {safe_line(_header(r))}  (score {r.score:.2f})\n")
        out.write(f"   > {safe(r.answer)}\n")
        if r.text != r.answer:
            out.write(f"   {safe(r.text)}\n")
        _explain_plain(r, out)
        out.write("\n")


def explain_text(r: Result) -> str:
    """'hornung 5.59 + suggest 7.12 = BM25 12.71; + evidence 13.25 = score 25.96'."""
    e = r.explain
    if e is None:
        return ""
    terms = " + ".join(f"{t} {w:.2f}" for t, w in e.terms.items()) or "no terms"
    return safe_line(f"{terms} = BM25 {e.bm25:.2f}; + evidence {e.evidence:.2f} = score {r.score:.2f}")


def evidence_text(r: Result) -> str:
    """'sentence 4.00 + attribution 6.00 + document 3.00 + ...': the evidence, signal by signal."""
    e = r.explain
    if e is None or not e.signals:
        return ""
    return safe_line(" + ".join(f"{name} {points:.2f}" for name, points in e.signals.items()))


def explain_lines(r: Result) -> list[tuple[str, str]]:
    """The --explain lines of a result, as (label, text): the score, its evidence, the question as searched."""
    if r.explain is None:
        return []
    lines = [("explain", explain_text(r)), ("evidence", evidence_text(r)), ("question", safe_line(r.explain.rewritten))]
    return [(label, text) for label, text in lines if text]


def _explain_plain(r: Result, out: TextIO) -> None:
    for label, text in explain_lines(r):
        out.write(f"   {label}: {text}\n")


def render_markdown(answer: Answer, out: TextIO) -> None:
    out.write(_md_heading(answer.question))
    if not answer.results:
        out.write(f"*{NO_ANSWER}*\n\n")
    for r in answer.results:
        out.write(f"### {r.rank}. {_md_escape(safe_line(_header(r)))} (score {r.score:.2f})\n\n")
        text = r.text
        a, b = r.answer_span or (0, 0)
        if b > a:
            text = f"{text[:a]}**{text[a:b]}**{text[b:]}"
        out.write("> " + safe(text).replace("\n", "\n> ") + "\n\n")
        for label, text in explain_lines(r):
            out.write(f"*{label}:* {_md_escape(text)}\n\n")


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def _md_heading(*parts: str) -> str:
    """A Markdown heading of `parts`, each one safe line, escaped, joined with " · "."""
    return "## " + " · ".join(_md_escape(safe_line(p)) for p in parts) + "\n\n"


def render_rich(answer: Answer, console) -> None:
    """Passages with matched words highlighted and the answering sentence emphasised."""
    from rich.padding import Padding
    from rich.text import Text

    for r in answer.results:
        head = Text()
        head.append(f"{r.rank}. ", style="bold")
        head.append(safe_line(r.citation), style="bold cyan")
        who = _who(r)
        if who:
            head.append(" · ")
            head.append(safe_line(who), style="bold magenta")
        head.append(" · ")
        head.append(safe_line(r.title), style="dim")
        head.append(f"  score {r.score:.2f}", style="green")
        console.print(head)
        body = Text(safe(r.text))
        a, b = r.answer_span or (0, 0)
        if b > a:
            body.stylize("bold", a, b)
        for start, end in r.highlights:
            body.stylize("black on yellow", start, end)
        console.print(Padding(body, (0, 0, 0, 3), expand=False))
        for label, text in explain_lines(r):
            console.print(Text(f"   {label}: {text}", style="dim"))
        console.print()


# -- sources and show ----------------------------------------------------------------------


@_json_records
def render_sources(docs: list[Source], fmt: str, out: TextIO, console=None) -> None:
    """The documents of an index: JSON Lines, a markdown table, aligned columns or a rich table."""
    columns = ("DOC", "KIND", "PASSAGES", "AUTHOR", "DATE", "TITLE", "PATH")
    rows = [(d.doc, d.kind, str(d.passages), d.author or "-", d.date or "-", d.title, d.path) for d in docs]
    rows = [tuple(safe_line(c) for c in row) for row in rows]
    if fmt == "markdown":
        out.write("| " + " | ".join(c.title() for c in columns) + " |\n")
        out.write("|" + "---|" * len(columns) + "\n")
        for row in rows:
            out.write("| " + " | ".join(_md_escape(c).replace("|", "\\|") for c in row) + " |\n")
    elif fmt == "rich" and console is not None:
        _sources_table(columns, rows, console)
    else:
        widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(columns)]
        for row in [columns, *rows]:
            cells = [c.ljust(w) if i < len(columns) - 1 else c for i, (c, w) in enumerate(zip(row, widths))]
            out.write("  ".join(cells).rstrip() + "\n")


# The narrowest title column worth a path beside it (a few words a line).
MIN_TITLE_WIDTH = 16


def _sources_table(columns: tuple[str, ...], rows: list[tuple[str, ...]], console) -> None:
    """The documents as a rich table that fits the console's width.

    Ids are what people copy into --source: they, the kind, the count and the date are never
    wrapped. Nor is the path, copied too: it is shown whole when the title keeps
    MIN_TITLE_WIDTH columns beside it, else left out (`-f plain` and `--json` always have it);
    the title wraps in what is left.
    """
    from rich.table import Table

    natural = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(columns)]
    widths = dict(zip(columns, natural))
    widths["AUTHOR"] = min(widths["AUTHOR"], 16)
    fixed = sum(widths[c] for c in ("DOC", "KIND", "PASSAGES", "AUTHOR", "DATE")) + 2 * (len(columns) - 2)
    left = console.width - fixed  # for the title, and the path with its 2-space gap
    shown = columns if left - widths["PATH"] - 2 >= MIN_TITLE_WIDTH else columns[:-1]
    if shown == columns:
        widths["TITLE"] = min(widths["TITLE"], left - widths["PATH"] - 2)
    else:
        widths["TITLE"] = max(8, min(widths["TITLE"], left))
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    for c in shown:
        wraps = c == "TITLE"
        table.add_column(
            c.title(),
            width=widths[c],
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
            justify="right" if c == "PASSAGES" else "left",
        )
    for row in rows:
        table.add_row(*row[: len(shown)])
    console.print(table)


def _place(shown: Shown) -> str:
    """The document's path, with the cited passage's line when it is known (`kyodo-sofa.md:41`)."""
    return f"{shown.path}:{shown.lines[0]}" if shown.lines else shown.path


@_json_records
def render_shown(shown: Shown, fmt: str, out: TextIO, console=None) -> None:
    """A cited passage among its neighbours; the cited one is marked (>), bold, or quoted."""
    if fmt == "markdown":
        out.write(_md_heading(shown.citation, shown.title))
        for p in shown.passages:
            who = f" · {_md_escape(safe_line(_speaker(p.speaker, p.role)))}" if p.speaker else ""
            body = safe(p.text)
            if p.cited:
                out.write(f"**¶{p.passage}**{who}\n\n> " + body.replace("\n", "\n> ") + "\n\n")
            else:
                out.write(f"¶{p.passage}{who}\n\n{body}\n\n")
        return
    if fmt == "rich" and console is not None:
        from rich.table import Table
        from rich.text import Text

        head = Text()
        head.append(safe_line(shown.citation), style="bold cyan")
        head.append(f" · {safe_line(shown.title)} · {safe_line(_place(shown))}", style="dim")
        console.print(head)
        grid = Table.grid(padding=(0, 1))  # a hanging indent: wrapped lines stay right of the ¶ number
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column()
        for p in shown.passages:
            style = "bold" if p.cited else ""
            body = Text()
            if p.speaker:
                body.append(safe_line(_speaker(p.speaker, p.role)) + ": ", style="bold magenta")
            body.append(safe(p.text), style=style)
            grid.add_row(Text(f"{'>' if p.cited else ' '} ¶{p.passage}", style=style or "dim"), body)
        console.print(grid)
        return
    out.write(f"{safe_line(shown.citation)} · {safe_line(shown.title)} · {safe_line(_place(shown))}\n")
    for p in shown.passages:
        who = f"{safe_line(_speaker(p.speaker, p.role))}: " if p.speaker else ""
        out.write(f"{'>' if p.cited else ' '} ¶{p.passage}  {who}{safe(p.text)}\n")


# -- people, quotes, indexes -----------------------------------------------------------------


@_json_records
def render_people(found: list[Person], fmt: str, out: TextIO, console=None) -> None:
    """Who speaks or is quoted: sentences, name, documents."""
    rows = [(str(p.sentences), safe_line(p.name), safe_line(", ".join(p.documents))) for p in found]
    if fmt == "markdown":
        out.write("| Sentences | Name | Documents |\n|---:|---|---|\n")
        for row in rows:
            out.write("| " + " | ".join(_md_escape(c).replace("|", "\\|") for c in row) + " |\n")
        return
    _columns(("SENTENCES", "NAME", "DOCUMENTS"), rows, out, console, right=(0,))


@_json_records
def render_quotes(found: Quotes, fmt: str, out: TextIO, console=None) -> None:
    """One person's sentences, in document order, each with its citation."""
    if fmt == "markdown":
        out.write(_md_heading(found.name or found.asked))
        for q in found.quotes:
            who = _md_escape(safe_line(f"{q.speaker}, {q.citation}"))
            out.write(f"> {_md_escape(safe_line(q.text))}\n>\n> — {who}\n\n")
        return
    if fmt == "rich" and console is not None:
        from rich.padding import Padding
        from rich.text import Text

        for q in found.quotes:
            head = Text()
            head.append(safe_line(q.citation), style="bold cyan")
            head.append(" · ")
            head.append(safe_line(q.speaker), style="bold magenta")
            console.print(head)
            console.print(Padding(Text(safe(q.text)), (0, 0, 0, 3), expand=False))
        return
    for q in found.quotes:
        out.write(f"{safe_line(q.citation)} · {safe_line(q.speaker)}\n   {safe_line(q.text)}\n")


@_json_records
def render_indexes(found: list[IndexInfo], fmt: str, out: TextIO, now: float | None = None) -> None:
    """The indexes kept: folder, documents, passages, size, age (and whether the folder is gone)."""
    import time

    now = time.time() if now is None else now
    rows = [
        (
            safe_line(info.corpus) + ("" if info.exists else "  (gone)"),
            str(info.documents),
            str(info.passages),
            _size(info.size),
            _age(now - info.modified),
        )
        for info in found
    ]
    _columns(("FOLDER", "DOCUMENTS", "PASSAGES", "SIZE", "AGE"), rows, out, None, right=(1, 2, 3, 4))


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _age(seconds: float) -> str:
    seconds = max(0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _columns(
    columns: tuple[str, ...], rows: list[tuple[str, ...]], out: TextIO, console=None, right: tuple[int, ...] = ()
) -> None:
    """Aligned columns, the last one unpadded; a rich table when there is a console."""
    if console is not None:
        from rich.table import Table

        table = Table(box=None, header_style="bold", pad_edge=False)
        for i, c in enumerate(columns):
            last = i == len(columns) - 1
            table.add_column(c.title(), justify="right" if i in right else "left", no_wrap=not last, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(columns)]
    for row in [columns, *rows]:
        cells = []
        for i, (c, w) in enumerate(zip(row, widths)):
            if i == len(columns) - 1:
                cells.append(c)
            else:
                cells.append(c.rjust(w) if i in right else c.ljust(w))
        out.write("  ".join(cells).rstrip() + "\n")
