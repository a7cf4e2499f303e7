"""JobQueue on SQLite: a table of messages with leases, and a dead-letter table.

A message is due when `visible_at` <= now. Receiving leases it: `visible_at` moves to the
lease's end, `delivery_count` grows by one and a fresh `receipt` token is stored, so a
consumer whose lease lapsed (and whose message went to someone else) can no longer ack or
extend it. Leasing happens in a `BEGIN IMMEDIATE` transaction, so concurrent receivers in
any number of processes never lease the same message at once.

Dead-lettering follows SQS's redrive: a message already delivered `max_deliveries` times
that comes due again moves to the dead-letter table, body and attributes intact, instead of
being delivered.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

from adapters.errors import NotFound
from adapters.local.sqlite import DEFAULT_BUSY_TIMEOUT_SECONDS, Database
from adapters.ports import JobQueue, Message

MAIN = "messages"
DEAD = "dead_letters"
# Long polling: how often an idle receive looks again.
POLL_INTERVAL_SECONDS = 0.05

_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT
)
"""
SCHEMA = (
    _TABLE.format(table=MAIN),
    f"CREATE INDEX IF NOT EXISTS {MAIN}_due ON {MAIN} (visible_at, seq)",
    _TABLE.format(table=DEAD),
    f"CREATE INDEX IF NOT EXISTS {DEAD}_due ON {DEAD} (visible_at, seq)",
)


class LocalJobQueue(JobQueue):
    def __init__(
        self,
        path: Path,
        *,
        max_deliveries: int = 5,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        if max_deliveries < 1:
            raise ValueError(f"max_deliveries must be >= 1, got {max_deliveries}")
        self.max_deliveries = max_deliveries
        self.db = Database(path, schema=SCHEMA, busy_timeout=busy_timeout)

    def _send(self, body: str, attributes: dict[str, str]) -> str:
        message_id = uuid.uuid4().hex
        now = time.time()
        self.db.execute(
            f"INSERT INTO {MAIN} (id, body, attributes, sent_at, visible_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (message_id, body, json.dumps(attributes), now, now),
        )
        return message_id

    def _receive(
        self, max_messages: int, lease_seconds: float, wait_seconds: float
    ) -> list[Message]:
        deadline = time.monotonic() + wait_seconds
        while True:
            if self._anything_due(MAIN):
                with self.db.transaction() as conn:
                    self._dead_letter_exhausted(conn)
                    messages = _lease(conn, MAIN, max_messages, lease_seconds)
                if messages:
                    return messages
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            time.sleep(min(POLL_INTERVAL_SECONDS, remaining))

    def _extend(self, message: Message, lease_seconds: float) -> None:
        now = time.time()
        changed = self.db.execute(
            f"UPDATE {_table(message)} SET visible_at = ? "
            "WHERE id = ? AND receipt = ? AND visible_at > ?",
            (now + lease_seconds, message.id, message.receipt, now),
        )
        if not changed:
            raise NotFound(f"message {message.id!r}: lease expired or delivered to someone else")

    def ack(self, message: Message) -> None:
        # A stale receipt (the message was redelivered since) removes nothing, as on SQS.
        self.db.execute(
            f"DELETE FROM {_table(message)} WHERE id = ? AND receipt = ?",
            (message.id, message.receipt),
        )

    def _release(self, message: Message, delay_seconds: float) -> None:
        # The receipt is spent: the message was given back, so it cannot be acked through it.
        self.db.execute(
            f"UPDATE {_table(message)} SET visible_at = ?, receipt = NULL "
            "WHERE id = ? AND receipt = ?",
            (time.time() + delay_seconds, message.id, message.receipt),
        )

    def _receive_dead_letters(self, max_messages: int, lease_seconds: float) -> list[Message]:
        with self.db.transaction() as conn:
            self._dead_letter_exhausted(conn)
            return _lease(conn, DEAD, max_messages, lease_seconds)

    def ping(self) -> None:
        self.db.query("SELECT 1")

    def purge_dead_letters(self) -> int:
        with self.db.transaction() as conn:
            self._dead_letter_exhausted(conn)
            return conn.execute(f"DELETE FROM {DEAD}").rowcount

    def _anything_due(self, table: str) -> bool:
        # A plain read first, so that idle long polls do not queue for the write lock.
        rows = self.db.query(f"SELECT 1 FROM {table} WHERE visible_at <= ? LIMIT 1", (time.time(),))
        return bool(rows)

    def _dead_letter_exhausted(self, conn: sqlite3.Connection) -> None:
        """Move due messages that used up their deliveries to the dead-letter table."""
        now = time.time()
        where = "visible_at <= ? AND delivery_count >= ?"
        conn.execute(
            f"INSERT INTO {DEAD} (id, body, attributes, sent_at, visible_at) "
            f"SELECT id, body, attributes, sent_at, ? FROM {MAIN} WHERE {where} ORDER BY seq",
            (now, now, self.max_deliveries),
        )
        conn.execute(f"DELETE FROM {MAIN} WHERE {where}", (now, self.max_deliveries))


def _lease(conn: sqlite3.Connection, table: str, limit: int, lease_seconds: float) -> list[Message]:
    now = time.time()
    rows = conn.execute(
        f"SELECT seq, id, body, attributes, delivery_count FROM {table} "
        "WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
        (now, limit),
    ).fetchall()
    messages = []
    for seq, message_id, body, attributes, delivery_count in rows:
        receipt = uuid.uuid4().hex
        conn.execute(
            f"UPDATE {table} SET visible_at = ?, delivery_count = ?, receipt = ? WHERE seq = ?",
            (now + lease_seconds, delivery_count + 1, receipt, seq),
        )
        messages.append(
            Message(
                id=message_id,
                body=body,
                attributes=json.loads(attributes),
                delivery_count=delivery_count + 1,
                receipt=receipt,
                dead_letter=table == DEAD,
            )
        )
    return messages


def _table(message: Message) -> str:
    return DEAD if message.dead_letter else MAIN
