"""The interactive shell: one question per line, answered from an index loaded once.

Lines starting with `:` are commands (`:help` lists them). The REPL reads lines through a
function and writes to the streams it is given, so the same code runs under a terminal
(cli.py wires in readline for editing and history), behind a pipe, and in tests. It
imports neither typer nor rich: a rich console, when there is one, is passed through to
the renderer untouched.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sofa_cli.api import Corpus
from sofa_cli.cli import render
from sofa_cli.errors import SofaError
from sofa_cli.model import KINDS, Answer, counted
from sofa_cli.query.browse import SHOW_CONTEXT
from sofa_cli.query.rank import Filters
from sofa_cli.text.safety import safe_line, strip_controls

# Lines of history kept across sessions: weeks of questions, a file of a few tens of KB.
HISTORY_LENGTH = 1000
PROMPT = "sofa> "

HELP = """\
Type a question and press Enter. Commands (a command alone shows its setting):
  :k N                 show N results per question (now {limit})
  :sources             list the documents
  :show CITATION [N]   a passage with N passages around it ("kyodo-sofa ¶19", "kyodo-sofa:19")
  :show RANK [N]       the same for a result of the last question (":show 1")
  :filter KEY=VALUE..  keep only matching results: source=DOC (repeatable), kind=article|interview,
                       speaker=NAME, min-score=X; without arguments, show the filters
  :clear               remove all filters
  :quotes NAME         every sentence attributed to NAME, cited (as `sofa quotes`)
  :people              who speaks or is quoted (as `sofa people`)
  :json on|off         print JSON Lines instead of text (now {json})
  :explain on|off      show how each score is made (now {explain})
  :reload              index what changed in the corpus (done before each question anyway)
  :help                this list (or help)
  :quit                leave (or quit, exit, Ctrl-D); Ctrl-C abandons the line being typed
"""
COMMANDS = (
    ":help",
    ":k",
    ":sources",
    ":show",
    ":filter",
    ":clear",
    ":quotes",
    ":people",
    ":json",
    ":explain",
    ":reload",
    ":quit",
)
# Commands that take no argument: completed without the trailing space the others get.
_BARE = (":sources", ":clear", ":people", ":reload", ":help", ":quit")
_ALIASES = {":q": ":quit", ":exit": ":quit", ":h": ":help", ":?": ":help", ":limit": ":k"}
# Lines understood as commands although they lack the colon: what people type to leave or ask for help.
_WORDS = {"exit": ":quit", "quit": ":quit", "help": ":help"}


class ShellError(SofaError, ValueError):
    """A command the shell cannot carry out; its message is shown and the shell goes on."""


def history_path(environ: Mapping[str, str]) -> Path:
    """Where questions are remembered: $SOFA_HISTORY, else the XDG data folder."""
    from sofa_cli.folders import chosen_path

    return chosen_path(environ, "SOFA_HISTORY", "data", "history")


def parse_filters(args: str, corpus: Corpus, current: Filters = Filters()) -> Filters:
    """`current` narrowed by `source=a kind=article speaker=Dr. Tanaka min-score=5`.

    A word without `=` continues the previous value, so names need no quotes.
    """
    try:
        words = shlex.split(args)
    except ValueError as err:
        raise ShellError(f"cannot read filters: {err}")
    pairs: list[list[str]] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep:
            pairs.append([key.strip().lower(), value])
        elif pairs:
            pairs[-1][1] = f"{pairs[-1][1]} {word}".strip()
        else:
            raise ShellError(f"expected KEY=VALUE, got {word!r} (keys: source, kind, speaker, min-score)")
    filters = current
    for key, value in pairs:
        if key == "source":
            filters = filters._replace(sources=(*filters.sources, value))
        elif key == "kind":
            from sofa_cli.cli.options import KIND_ALIASES, choice

            filters = filters._replace(kind=choice(value, KINDS, "kind", KIND_ALIASES))
        elif key == "speaker":
            filters = filters._replace(speaker=value or None)
        elif key in ("min-score", "min_score"):
            try:
                filters = filters._replace(min_score=float(value))
            except ValueError:
                raise ShellError(f"min-score must be a number, got {value!r}")
        else:
            raise ShellError(f"unknown filter {key!r} (keys: source, kind, speaker, min-score)")
    return check_filters(filters, corpus)


def check_filters(filters: Filters, corpus: Corpus) -> Filters:
    """`filters` with each source as the corpus's id (it may be given in its printed form);
    ShellError for a source or speaker the corpus lacks or a kind that does not exist."""
    from sofa_cli.cli.options import did_you_mean
    from sofa_cli.query.quotes import closest_name

    for doc_id in filters.sources:
        if not corpus.has_document(doc_id):
            guess = did_you_mean(doc_id, corpus.document_ids())
            hint = f"did you mean {guess}? " if guess else ""
            raise ShellError(f"unknown source {doc_id!r} ({hint}see :sources)")
    if filters.kind is not None and filters.kind not in KINDS:
        raise ShellError(f"unknown kind {filters.kind!r} (choose from article, interview)")
    if filters.speaker and not corpus.has_person(filters.speaker):
        guess = closest_name(filters.speaker, corpus.person_names())
        hint = f"did you mean {guess}? " if guess else ""
        raise ShellError(f"unknown speaker {filters.speaker!r}: nobody of that name speaks or is quoted ({hint}see :people)")
    return filters._replace(sources=tuple(corpus.resolve_id(s) or s for s in filters.sources))


def describe_filters(filters: Filters) -> str:
    parts = [f"source={s}" for s in filters.sources]
    if filters.kind:
        parts.append(f"kind={filters.kind}")
    if filters.speaker:
        parts.append(f"speaker={filters.speaker}")
    if filters.min_score is not None:
        parts.append(f"min-score={filters.min_score:g}")
    return " ".join(parts)


def _switch(value: str, current: bool, name: str) -> bool:
    """on/off; alone, a switch keeps its state (and the caller shows it), as `:k` alone does."""
    value = value.strip().lower()
    if not value:
        return current
    if value in ("on", "yes", "true", "1"):
        return True
    if value in ("off", "no", "false", "0"):
        return False
    raise ShellError(f"{name} takes on or off, got {value!r}")


@dataclass
class Shell:
    """The REPL's state (corpus, settings, last answer) and its command interpreter.

    `fmt` is the human format (rich, plain or markdown) used while `:json` is off;
    `console` is what the rich renderer draws on; `clean` prepares a typed question
    (cli.py passes the same cleaning `ask` applies: escapes stripped, length capped).
    """

    corpus: Corpus
    out: TextIO
    err: TextIO
    limit: int = 3
    filters: Filters = field(default_factory=Filters)
    fmt: str = "plain"
    json: bool = False
    explain: bool = False
    console: object = None
    clean: Callable[[str], str] = strip_controls
    last: Answer | None = None

    # -- the loop ---------------------------------------------------------------------
    def run(self, read_line: Callable[[str], str], interactive: bool = False) -> int:
        """Read and answer lines until end of input or `:quit`; returns the exit code (0).

        `read_line(prompt)` returns a line, raises EOFError at the end and KeyboardInterrupt
        on Ctrl-C; interactively, Ctrl-C abandons the line or the answer being printed.
        """
        if interactive:
            for line in self.banner().splitlines():
                self.say(line)
        while True:
            try:
                line = read_line(self.prompt())
            except EOFError:
                if interactive:
                    self.out.write("\n")
                return 0
            except KeyboardInterrupt:
                if not interactive:
                    raise
                self.out.write("^C\n")
                continue
            try:
                if not self.handle(line):
                    return 0
            except KeyboardInterrupt:
                if not interactive:
                    raise
                self.say("(interrupted)")
            self.out.flush()

    def banner(self) -> str:
        return (
            f"sofa: {self._size()} from {self.corpus.index.corpus}\n"
            "Type a question; :help lists the commands; Ctrl-D or :quit leaves."
        )

    def prompt(self) -> str:
        described = safe_line(describe_filters(self.filters))  # names may hold escape sequences
        return f"sofa [{described}]> " if described else PROMPT

    def say(self, message: str) -> None:
        """A message for the person at the prompt (not a result): to the error stream."""
        self.err.write(safe_line(message) + "\n")
        self.err.flush()

    # -- one line ---------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """Answer or carry out one line; False when the shell should end."""
        line = line.strip()
        if not line:
            return True
        line = _WORDS.get(line.lower(), line)
        if not line.startswith(":"):
            question = self.clean(line).strip()
            if question:
                self.answer(question)
            return True
        name, _, args = line.partition(" ")
        name = _ALIASES.get(name.lower(), name.lower())
        if name == ":quit":
            return False
        try:
            self.command(name, args.strip())
        except SofaError as err:  # ShellError, CitationError, an unknown name: said, and the shell goes on
            self.say(f"error: {err}")
        return True

    def refresh(self, forced: bool = False) -> None:
        """Index what changed in the corpus folder since the index was loaded, saying so."""
        try:
            rebuilt = self.corpus.refresh()
        except (OSError, SofaError) as err:
            self.say(f"cannot refresh the index: {err}")
            return
        for w in self.corpus.warnings if rebuilt else ():
            self.say(w)
        if rebuilt:
            report = self.corpus.report
            what = f"{report.new} new, {report.updated} updated, {report.removed} removed; " if report else ""
            self.say(f"corpus changed: reindexed ({what}{self._size()})")
        elif forced:
            self.say(f"index up to date ({self._size()})")

    def _size(self) -> str:
        return f"{counted(self.corpus.documents, 'document')}, {counted(self.corpus.passages, 'passage')}"

    def answer(self, question: str) -> None:
        self.refresh()
        answer = self.corpus.ask(question, k=self.limit, filters=self.filters, explain=self.explain)
        self.last = answer
        render.render_answer(answer, self.output_format(), self.out, self.console)
        if self.json:
            return
        for notice in answer.notices():
            self.say(notice)
        if not answer.results:
            hint = f" with filters {describe_filters(self.filters)}" if describe_filters(self.filters) else ""
            self.say(f"no answer found{hint}")

    def output_format(self) -> str:
        return "json" if self.json else self.fmt

    def command(self, name: str, args: str) -> None:
        if name == ":help":
            self.out.write(
                HELP.format(limit=self.limit, json="on" if self.json else "off", explain="on" if self.explain else "off")
            )
        elif name == ":k":
            if not args:
                self.say(f"showing {counted(self.limit, 'result')} per question")
                return
            if not re.fullmatch(r"[0-9]{1,5}", args) or int(args) < 1:  # not isdigit(): "²" is a digit to it
                raise ShellError(f":k takes a whole number of results, 1 to 99999, got {args[:20]!r}")
            self.limit = int(args)
            self.say(f"showing {counted(self.limit, 'result')} per question")
        elif name == ":sources":
            render.render_sources(self.corpus.sources(), self.output_format(), self.out, self.console)
        elif name == ":show":
            cited, context = self._show_args(args)
            render.render_shown(self.corpus.show(cited, context), self.output_format(), self.out, self.console)
        elif name == ":filter":
            if args:
                self.filters = parse_filters(args, self.corpus, self.filters)
            self.say(f"filters: {describe_filters(self.filters) or 'none'}")
        elif name == ":clear":
            self.filters = Filters()
            self.say("filters: none")
        elif name == ":json":
            self.json = _switch(args, self.json, ":json")
            self.say(f"json {'on' if self.json else 'off'}")
        elif name == ":explain":
            self.explain = _switch(args, self.explain, ":explain")
            self.say(f"explain {'on' if self.explain else 'off'}")
        elif name == ":reload":
            self.refresh(forced=True)
        elif name == ":people":
            render.render_people(self.corpus.people(), self.output_format(), self.out, self.console)
        elif name == ":quotes":
            if not args:
                raise ShellError(":quotes takes a name (:quotes Hornung); :people lists them")
            found = self.corpus.quotes(args)
            if found.corrected and not self.json:
                self.say(f"showing quotes of {found.name!r} (no one named {args!r})")
            render.render_quotes(found, self.output_format(), self.out, self.console)
            if not found.quotes and not self.json:
                self.say(f"no quotes of {args!r} (see :people)")
        else:
            raise ShellError(f"unknown command {name} (type :help)")

    def _show_args(self, args: str) -> tuple[str, int]:
        """(citation, context) from `CITATION [N]` or `RANK [N]` (a result of the last answer)."""
        if not args:
            raise ShellError(":show takes a citation ('kyodo-sofa ¶19') or the rank of a result of the last question")
        cited, context = args, SHOW_CONTEXT
        match = re.fullmatch(r"(.+?)\s+([0-9]+)", args)
        if match and not re.search(r"¶\s*$|:$", match.group(1)):
            if len(match.group(2)) > 9:
                raise ShellError(f":show takes a context of at most 9 digits, got {len(match.group(2))}")
            cited, context = match.group(1), int(match.group(2))
        if re.fullmatch(r"[0-9]+", cited):  # not isdigit(): "²" is a digit to it, and int() refuses it
            if len(cited) > 9:
                raise ShellError(f"no result {cited[:12]}… to show (the last question had {len(self.last or [])})")
            rank = int(cited)
            results = self.last.results if self.last is not None else []
            if not 1 <= rank <= len(results):
                raise ShellError(f"no result {rank} to show (the last question had {len(results)})")
            cited = results[rank - 1].citation
        return cited, context

    # -- completion -------------------------------------------------------------------
    def completions(self, line: str, word: str) -> list[str]:
        """Candidates for `word`, the last word of `line`: commands, filter keys, document ids."""
        if line == word and word.startswith(":"):
            return [c if c in _BARE else f"{c} " for c in COMMANDS if c.startswith(word)]
        if line.startswith(":filter"):
            if word.startswith("source="):
                prefix = word[len("source=") :]
                return [f"source={d} " for d in self._ids() if d.startswith(prefix)][:200]
            if word.startswith("kind="):
                return [f"kind={k} " for k in KINDS if f"kind={k}".startswith(word)]
            return [k for k in ("source=", "kind=", "speaker=", "min-score=") if k.startswith(word)]
        if line.startswith(":show"):
            return [f"{d} " for d in self._ids() if d.startswith(word)][:200]
        if line.startswith(":quotes"):
            last_names = {n.split()[-1] for n in self.corpus.person_names() if n.split() and n == safe_line(n)}
            return sorted(f"{n} " for n in last_names if n.startswith(word))[:200]
        return []

    def _ids(self) -> list[str]:
        """Document ids as they can be completed: in their printed form (`safe_line`: a
        control, escape, bidi character or a byte that is not UTF-8 would reach the terminal
        raw when readline shows it), which `:show` and `:filter source=` take back; a printed
        form that two ids share, or that is itself another id, is left out."""
        ids = self.corpus.document_ids()
        printed = Counter(map(safe_line, ids))
        exact = set(ids)
        return [p for d in ids if (p := safe_line(d)) == d or (printed[p] == 1 and p not in exact)]
