"""``$LISTENING_HOME``: the one folder for the SQLite store, the converted model, caches, digests and Dagster.

Read in one place so every part lands in the same folder (``~`` expanded everywhere: once the
store expanded it and the model converter did not, so ``~/listening`` put the model in a folder
literally named ``~``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["listening_home"]


def listening_home(home: Path | str | None = None) -> Path:
    """``home`` if given, else ``$LISTENING_HOME`` (default ``./.listening``); ``~`` is expanded.

    >>> listening_home("~/listening") == Path.home() / "listening"
    True
    """
    return Path(home if home is not None else os.environ.get("LISTENING_HOME", ".listening")).expanduser()
