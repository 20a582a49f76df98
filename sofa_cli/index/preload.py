"""numpy imported beside the caller's work rather than before it: a large index needs numpy
for its first question's BM25 sums (importing it is ~55 ms here, and 150+ under load), but
opening the index does not. The import starts when such an index is opened and the question
is analysed meanwhile; the first use of numpy waits for the import to end (Python's import
lock), so nothing reads a half-imported module.

The thread is the process's, not a setting: `wait` lets code that forks (the build's parse
workers) join it first, since a child forked during an import would inherit its locks held.
It is not a daemon: a process that ends before the import does (`sofa sources` on a large
index, an error, Ctrl-C) waits for it to finish rather than finalising the interpreter under
an extension module half initialised, which can crash at exit.
"""

from __future__ import annotations

import sys
import threading

_numpy_import: list[threading.Thread] = []  # the one import started in this process, if any


def start_numpy_import() -> None:
    """Begin importing numpy in a thread (once per process; not when already imported)."""
    if "numpy" in sys.modules or _numpy_import:
        return
    thread = threading.Thread(target=_import_numpy, name="sofa-import-numpy", daemon=False)
    _numpy_import.append(thread)
    thread.start()


def wait() -> None:
    """Return once an import started here has ended (before forking)."""
    for thread in _numpy_import:
        thread.join()


def _import_numpy() -> None:
    try:
        import numpy  # noqa: F401
    except Exception:  # noqa: BLE001 - whoever uses numpy imports it again and sees the error
        pass
