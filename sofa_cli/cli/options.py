"""The command line's options, declared once and shared by the commands that take them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

CorpusOpt = Annotated[
    Optional[Path],
    typer.Option("--corpus", "-c", envvar="SOFA_CORPUS", help="Corpus folder (default: the bundled one).", show_default=False),
]
IndexDirOpt = Annotated[
    Optional[str],
    typer.Option("--index-dir", envvar="SOFA_INDEX_DIR", help="Where indexes are kept (default: XDG cache).", show_default=False),
]
FormatOpt = Annotated[Optional[str], typer.Option("--format", "-f", help="rich, plain, markdown or json.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON (Lines) for programs; the same as --format json.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-k", min=1, help="Results per question.")]
SourceOpt = Annotated[Optional[list[str]], typer.Option("--source", "-s", help="Only this document id (repeatable).")]
KindOpt = Annotated[Optional[str], typer.Option("--kind", help="article or interview.")]
SpeakerOpt = Annotated[Optional[str], typer.Option("--speaker", help="Only passages by or reporting this person.")]
MinScoreOpt = Annotated[Optional[float], typer.Option("--min-score", help="Drop results scoring below this.")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Show how each score is made: BM25 per word + evidence.")]


@dataclass(frozen=True)
class AskOptions:
    """What `ask` and `shell` are told about answering, gathered from their shared options."""

    limit: int = 3
    as_json: bool = False
    fmt: Optional[str] = None
    source: tuple[str, ...] = ()
    kind: Optional[str] = None
    speaker: Optional[str] = None
    min_score: Optional[float] = None
    explain: bool = False

    def filters(self):
        from sofa_cli.query.rank import Filters

        return Filters(sources=self.source, kind=self.kind, speaker=self.speaker, min_score=self.min_score)
