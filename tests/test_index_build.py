"""Building an index: settings travel as arguments, so builds do not share state."""

from pathlib import Path

from sofa_cli.index.writer import build


def _corpus(root: Path, texts: dict[str, str]) -> Path:
    root.mkdir()
    for name, text in texts.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _comparable(header: dict, sections: dict) -> tuple:
    return {k: v for k, v in header.items() if k not in ("built", "files")}, {k: bytes(v) for k, v in sections.items()}


def test_a_build_inside_another_build_leaves_it_unchanged(tmp_path):
    """`build` is reentrant: no module global carries one build's term numberer or
    attribution into another (a build started from a progress callback, or a thread)."""
    outer = _corpus(
        tmp_path / "outer",
        {
            "a.md": "Hornung suggested a review of the agreement.\n",
            "b.md": "Okinawa residents protested at Kadena.\n",
            "c.md": "The review of the agreement was welcomed in Tokyo.\n",
        },
    )
    inner = _corpus(tmp_path / "inner", {"x.md": "Zebras and giraffes graze near the river.\n"})
    inner_builds = []

    def progress(done: int, total: int) -> None:
        if done == 1:
            inner_builds.append(build(inner))

    header, sections, _ = build(outer, progress=progress)
    assert len(inner_builds) == 1
    clean_header, clean_sections, _ = build(outer)
    assert _comparable(header, sections) == _comparable(clean_header, clean_sections)
    inner_header, inner_sections, _ = inner_builds[0]
    assert _comparable(inner_header, inner_sections) == _comparable(*build(inner)[:2])
