"""Where sofa keeps things, by the XDG base directory rules: indexes in the cache folder, shell
history in the data folder, the defaults file in the config folder. Each may be moved by a
SOFA_* variable (or, for indexes, --index-dir), which wins over the XDG one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# XDG variable and its default under the home folder, per kind of folder.
_XDG = {
    "cache": ("XDG_CACHE_HOME", (".cache",)),
    "data": ("XDG_DATA_HOME", (".local", "share")),
    "config": ("XDG_CONFIG_HOME", (".config",)),
}


def sofa_folder(kind: str, environ: Mapping[str, str] = os.environ) -> Path:
    """sofa's folder of `kind` ("cache", "data" or "config"): `$XDG_<KIND>_HOME/sofa`."""
    variable, default = _XDG[kind]
    base = environ.get(variable) or os.path.join(os.path.expanduser("~"), *default)
    return Path(base) / "sofa"


def chosen_path(environ: Mapping[str, str], variable: str, kind: str, name: str | None = None) -> Path:
    """`$variable` when set (a SOFA_* override), else `name` in sofa's folder of `kind`."""
    if environ.get(variable):
        return Path(environ[variable]).expanduser()
    folder = sofa_folder(kind, environ)
    return folder / name if name else folder
