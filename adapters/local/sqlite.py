"""One SQLite database file shared by several threads and processes.

The API and several workers may open the same data directory at once, so every database
runs in WAL mode (readers never block the writer) with a busy timeout, each thread gets its
own connection, and read-modify-write happens inside `BEGIN IMMEDIATE`, which takes the
write lock up front: two racing transactions serialize instead of both reading the old row.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from adapters.errors import BackendUnavailable
from adapters.local.files import private_dir, private_file

DEFAULT_BUSY_TIMEOUT_SECONDS = 30.0

# OperationalErrors that mean "the database could not be used right now", not a bug in a
# statement: after the busy timeout, SQLite reports the lock as "database is locked".
_UNAVAILABLE_MARKERS = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "unable to open database file",
    "database or disk is full",
)


@contextlib.contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's lock / I/O failures into `BackendUnavailable`."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = str(exc).lower()
        if any(marker in message for marker in _UNAVAILABLE_MARKERS):
            raise BackendUnavailable(f"SQLite database {path}: {exc}") from exc
        raise


class Database:
    """A SQLite file with one connection per thread (and per process, after a fork)."""

    def __init__(
        self,
        path: Path,
        *,
        schema: Sequence[str] = (),
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        # Connections inherited through fork() are kept (never closed, never used): closing
        # one in the child could disturb the parent's locks on the same file.
        self._inherited: list[sqlite3.Connection] = []
        private_dir(self.path.parent)
        private_file(self.path)
        if schema:
            with self.transaction() as conn:
                for statement in schema:
                    conn.execute(statement)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        if conn is not None:
            self._inherited.append(conn)
        conn = self._connect()
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    def _connect(self) -> sqlite3.Connection:
        with translate_errors(self.path):
            # isolation_level=None: no implicit transactions; we BEGIN explicitly.
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            self._enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs an exclusive lock and may report "locked"
        # without waiting when several processes open the file at the same moment.
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock from its first statement."""
        conn = self.connection()
        with translate_errors(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one statement outside an explicit transaction; its rows."""
        with translate_errors(self.path):
            return self.connection().execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement on its own (atomic by itself); rows changed."""
        with translate_errors(self.path):
            return self.connection().execute(sql, params).rowcount
