"""The sofa command group: its subcommands made into click commands when first looked up, so a
one-shot `sofa ask` makes ask's alone, not all eight (typer makes every command up front)."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

import typer

from sofa_cli.cli.errors import Commands


class Subcommands(MutableMapping):
    """The group's commands by name, each made (its options read from its signature by typer)
    when first looked up. Listing the names (help, completion, did-you-mean) makes none."""

    def __init__(self, infos, rich_markup_mode) -> None:
        self._infos = {info.name or typer.main.get_command_name(info.callback.__name__): info for info in infos}
        self._made: dict = {}
        self._markup = rich_markup_mode

    def __getitem__(self, name: str):
        if name not in self._made:
            self._made[name] = typer.main.get_command_from_info(
                self._infos[name], pretty_exceptions_short=True, rich_markup_mode=self._markup
            )
        return self._made[name]

    def __setitem__(self, name: str, command) -> None:
        self._infos[name] = None
        self._made[name] = command

    def __delitem__(self, name: str) -> None:
        del self._infos[name]
        self._made.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)


def lazy_group(registry: typer.Typer, rich_markup_mode=None) -> type[Commands]:
    """The group class of an app whose commands are those registered on `registry`."""

    class LazyCommands(Commands):
        def __init__(self, **given) -> None:
            super().__init__(**given)
            self.commands = Subcommands(registry.registered_commands, rich_markup_mode)

        def list_commands(self, ctx) -> list[str]:
            return list(self.commands)

    return LazyCommands
