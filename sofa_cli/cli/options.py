"""The command line's options, declared once and shared by the commands that take them, and
the reading of their values: choices are case-insensitive, take the aliases people type
(`md`, `jsonl`), and a value that is nearly right gets a "did you mean".
"""

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, NamedTuple, Optional

import typer

from sofa_cli.errors import SofaError


class UsageError(SofaError):
    """Arguments that cannot be acted on (an unknown format, kind or source, an empty question)."""


FORMATS = ("rich", "plain", "markdown", "json")
FORMAT_ALIASES = {"md": "markdown", "jsonl": "json", "json-lines": "json", "ndjson": "json", "text": "plain", "txt": "plain"}
KIND_ALIASES = {"articles": "article", "news": "article", "interviews": "interview", "transcript": "interview"}
COLORS = ("auto", "always", "never")
COLOR_ALIASES = {
    "yes": "always",
    "on": "always",
    "force": "always",
    "no": "never",
    "off": "never",
    "none": "never",
    "tty": "auto",
}


def did_you_mean(value: str, known: Iterable[str]) -> str | None:
    """The known name `value` was most likely meant as: the one it starts, the one holding it, or a close spelling."""
    known = list(known)
    folded = value.strip().casefold()
    if not folded:
        return None
    for test in (lambda k: k.casefold().startswith(folded), lambda k: folded in k.casefold()):
        hits = [k for k in known if test(k)]
        if hits:
            return min(hits, key=len)
    close = difflib.get_close_matches(folded, [k.casefold() for k in known], n=1, cutoff=0.6)
    if close:
        return next(k for k in known if k.casefold() == close[0])
    return None


def choice(value: Optional[str], choices: tuple[str, ...], what: str, aliases: Mapping[str, str] = {}) -> Optional[str]:
    """`value` as one of `choices` (any case, or an alias); a UsageError naming it otherwise."""
    if value is None:
        return None
    folded = value.strip().casefold()
    folded = aliases.get(folded, folded)
    if folded in choices:
        return folded
    guess = did_you_mean(folded, [*choices, *aliases])
    hint = f"did you mean {aliases.get(guess, guess)}? " if guess else ""
    raise UsageError(f"unknown {what} {value!r} ({hint}choose from {', '.join(choices)})")


def force_color(environ: Mapping[str, str] = os.environ) -> bool:
    """FORCE_COLOR set (and NO_COLOR not): colour wanted even into a pipe."""
    return bool(environ.get("FORCE_COLOR")) and not environ.get("NO_COLOR")


def _unset_by_default(kind, *flags: str, **settings):
    """An option whose absence is None (so a default from the environment or the defaults file
    can apply), with no default shown in --help."""
    return Annotated[Optional[kind], typer.Option(*flags, show_default=False, **settings)]


CorpusOpt = _unset_by_default(
    list[Path],
    "--corpus",
    "-c",
    envvar="SOFA_CORPUS",
    metavar="DIR",
    help="Corpus folder (default: the bundled one). One folder per command.",
)
IndexDirOpt = _unset_by_default(
    str, "--index-dir", envvar="SOFA_INDEX_DIR", metavar="DIR", help="Where indexes are kept (default: XDG cache)."
)

FollowLinksOpt = Annotated[
    bool,
    typer.Option(
        "--follow-links",
        envvar="SOFA_FOLLOW_LINKS",
        help="Also index the files that links in the corpus folder point to outside it (refused by default).",
    ),
]

ClusterOpt = _unset_by_default(
    str,
    "--cluster",
    metavar="ADDRESS",
    help="Dask scheduler (tcp://HOST:8786) whose workers answer from a sharded index, keeping its shards open.",
)


def _complete(choices: tuple[str, ...]):
    def complete(incomplete: str):
        return [c for c in choices if c.startswith(incomplete.casefold())]

    return complete


def _kept(ctx: typer.Context, read) -> list[str]:
    """`read(corpus, index_dir)` for the --corpus folder's index (an index already built:
    completion never indexes); nothing when it fails."""
    from sofa_cli.api import bundled_corpus
    from sofa_cli.text.safety import safe_line

    corpus = (ctx.params.get("corpus") or [None])[-1] or os.environ.get("SOFA_CORPUS") or bundled_corpus()
    try:
        found = read(corpus, ctx.params.get("index_dir") or os.environ.get("SOFA_INDEX_DIR"))
    except Exception:  # completion must never print a traceback into the user's prompt
        return []
    return [v for v in found if v == safe_line(v)]  # a name with an escape would reach the prompt raw


def complete_documents(ctx: typer.Context, incomplete: str) -> list[str]:
    """Document ids of the --corpus folder's index."""
    from sofa_cli.api import document_ids

    return [d for d in _kept(ctx, document_ids) if d.startswith(incomplete)][:200]


def complete_people(ctx: typer.Context, incomplete: str) -> list[str]:
    """Last names of who speaks or is quoted in the --corpus folder's index, most quoted first:
    one word, as bash splits candidates at spaces, and a part of a name is what --speaker and
    quotes match (the shell's :quotes completes the same)."""
    from sofa_cli.api import person_names

    last_names = dict.fromkeys(n.split()[-1] for n in _kept(ctx, person_names) if n.split())
    return [n for n in last_names if n.startswith(incomplete)][:200]


FormatOpt = _unset_by_default(
    str,
    "--format",
    "-f",
    metavar="FORMAT",
    autocompletion=_complete(FORMATS),
    help="rich, plain, markdown (md) or json (jsonl); any case. Default: rich on a terminal, plain otherwise.",
)
ColorOpt = _unset_by_default(
    str,
    "--color",
    "--colour",
    metavar="WHEN",
    autocompletion=_complete(COLORS),
    help="auto (colour on a terminal; FORCE_COLOR and NO_COLOR honoured), always or never.",
)
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON (Lines) for programs; the same as --format json.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-k", metavar="N", min=1, max=10_000, help="Results per question.")]
SourceOpt = Annotated[
    Optional[list[str]],
    typer.Option("--source", "-s", metavar="DOC", help="Only this document id (repeatable).", autocompletion=complete_documents),
]
KindOpt = Annotated[
    Optional[str],
    typer.Option("--kind", metavar="KIND", help="article or interview.", autocompletion=_complete(("article", "interview"))),
]
SpeakerOpt = Annotated[
    Optional[str],
    typer.Option("--speaker", metavar="NAME", help="Only passages by or reporting this person.", autocompletion=complete_people),
]
MinScoreOpt = Annotated[Optional[float], typer.Option("--min-score", metavar="X", help="Drop results scoring below this.")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Show how each score is made: BM25 per word + evidence.")]
SinceOpt = Annotated[
    Optional[str],
    typer.Option("--since", metavar="DATE", help="Only documents dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
]
UntilOpt = Annotated[Optional[str], typer.Option("--until", metavar="DATE", help="Only documents dated on or before DATE.")]


class AskOptions(NamedTuple):
    """What `ask` and `shell` are told about answering, gathered from their shared options
    (a named tuple: a one-shot answer does not generate a dataclass's methods for it)."""

    limit: int = 3
    as_json: bool = False
    fmt: Optional[str] = None
    source: tuple[str, ...] = ()
    kind: Optional[str] = None
    speaker: Optional[str] = None
    min_score: Optional[float] = None
    explain: bool = False
    color: Optional[str] = None
    since: Optional[str] = None
    until: Optional[str] = None

    @classmethod
    def of(cls, source: Optional[list[str]] = None, **given) -> "AskOptions":
        """From the commands' parameters of the same names (`source` is repeatable: a list)."""
        return cls(source=tuple(source or ()), **given)

    def filters(self):
        from sofa_cli.model import KINDS
        from sofa_cli.query.rank import Filters

        kind = choice(self.kind, KINDS, "kind", KIND_ALIASES)
        return Filters(sources=self.source, kind=kind, speaker=self.speaker, min_score=self.min_score)
