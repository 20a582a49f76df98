"""The defaults file: `$XDG_CONFIG_HOME/sofa/config.toml` (else `~/.config/sofa/config.toml`;
`SOFA_CONFIG` names another file).

    k = 5                 # results per question
    format = "plain"      # rich, plain, markdown, json
    corpus = "~/news"     # the folder asked when --corpus is not given
    color = "never"       # auto, always, never

Its values become click's `default_map`, so a flag overrides them, and so does an
environment variable (SOFA_CORPUS): command line > environment > this file > built-in default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sofa_cli.errors import SofaError

# Each key of the file, the option (parameter name) it sets, and the type it must have.
KEYS = {"k": ("limit", int), "format": ("fmt", str), "corpus": ("corpus", str), "color": ("color", str)}


class ConfigError(SofaError):
    """A defaults file that cannot be read or holds what sofa does not know."""


def config_path(environ: Mapping[str, str]) -> Path:
    """$SOFA_CONFIG, else config.toml in sofa's XDG config folder."""
    from sofa_cli.folders import chosen_path

    return chosen_path(environ, "SOFA_CONFIG", "config", "config.toml")


def load_config(environ: Mapping[str, str]) -> dict:
    """The file's settings (empty when there is no file); ConfigError names the file and the fault.

    tomllib is imported only when there is a file: every run reads this, most find none."""
    path = config_path(environ)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}")
    import tomllib

    try:
        with f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}")
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown setting {key!r} (sofa knows {', '.join(KEYS)})")
        wanted = KEYS[key][1]
        if not isinstance(value, wanted) or isinstance(value, bool):
            raise ConfigError(f"{path}: {key} must be {'a whole number' if wanted is int else 'a string'}, got {value!r}")
    if "k" in data and data["k"] < 1:
        raise ConfigError(f"{path}: k must be at least 1, got {data['k']}")
    return data


def default_map(settings: Mapping[str, object], commands: Iterable[str]) -> dict:
    """click's default_map: each command gets the settings it has an option for (click ignores the rest)."""
    values = {}
    for key, value in settings.items():
        name = KEYS[key][0]
        values[name] = [str(Path(str(value)).expanduser())] if key == "corpus" else value
    return {command: dict(values) for command in commands}
