"""The local backend's data is private to its owner: directories 0700, files 0600, set at
creation (modes given to mkdir/open, never a umask change, which would affect the whole
process)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """`path` and any missing parents created, and `path` itself made 0700 (owner only)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != PRIVATE_DIR:
        path.chmod(PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Create `path` empty as 0600 if it does not exist (SQLite then gives its journal
    files the same mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
