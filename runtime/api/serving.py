"""The models being served, swapped in place when their alias moves.

A served entry is keyed by (model, reference). A version number never changes meaning, so
its entry is loaded once. An alias is re-read at most every `check_seconds`; when it points
elsewhere, the new version is loaded (artifact fetched, checksum verified, deserialized)
while requests keep being answered by the old one, and only then does the reference switch:
a request in flight holds the entry it started with. A load that fails (checksum mismatch,
untrusted types, backend error) leaves the old model serving and is retried at the next
check; with nothing loaded yet, it is a 503.

What a check saw is stamped with when it *started* and with the entry's generation, which
`warm` bumps when this API moves the alias: a load that began before the move finishes
stale, so the move is never hidden behind the older load. A move made through this API is
read by the next request (it waits for the warm-up's load rather than answer with the old
model); a move made elsewhere is noticed within `check_seconds`. A lookup of a model or
alias that does not exist leaves no entry behind, so such lookups cannot push loaded
models out.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from adapters.errors import NotFound
from runtime import scoring
from runtime.registry import Registry

log = logging.getLogger("mlpoc.api.serving")
# Entries pinned to a version number; an alias entry is one per alias.
MAX_ENTRIES = 16


class ModelUnavailable(Exception):
    """No model can be served for this reference (its load failed and none was loaded)."""


# What answers for one version: the compiled model or scikit-learn (see runtime/scoring.py).
Served = scoring.Scorer


class _Entry:
    def __init__(self) -> None:
        self.served: Served | None = None
        # When the last check began (monotonic), and the generation it saw: bumped by every
        # move this API makes, so a check that began before a move does not count as fresh.
        self.checked_at = 0.0
        self.checked_generation = -1
        self.generation = 0
        self.failure: str | None = None  # why the last load failed, while nothing is served
        self.lock = threading.Lock()  # one loader at a time per entry

    def fresh(self, check_seconds: float) -> bool:
        return not self.moved() and time.monotonic() - self.checked_at < check_seconds

    def moved(self) -> bool:
        """Whether this API moved the alias after the last check began."""
        return self.checked_generation != self.generation

    def stamp(self, started_at: float, generation: int) -> None:
        self.checked_at, self.checked_generation = started_at, generation


class ModelServer:
    def __init__(
        self,
        registry: Registry,
        *,
        check_seconds: float,
        on_swap: Callable[[str, str], None] | None = None,
    ) -> None:
        self.registry = registry
        self.check_seconds = check_seconds
        self.on_swap = on_swap or (lambda model, outcome: None)
        self._entries: OrderedDict[tuple[str, int | str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model: str, ref: int | str) -> Served:
        """The model to answer with. `NotFound` if the model, alias or version does not exist
        (and nothing is loaded for it); `ModelUnavailable` if it cannot be loaded."""
        key = (model, ref)  # version 3 and an alias named "3" are two keys
        entry = self._entry(key)
        served = entry.served
        fresh = entry.fresh(self.check_seconds)
        if served is not None and (isinstance(ref, int) or fresh):
            return served
        if served is None and entry.failure is not None and fresh:
            # Not every request re-downloads an artifact that just failed to load.
            raise ModelUnavailable(entry.failure)
        if served is not None and not entry.moved():
            # Someone else is already checking: answer with what is loaded meanwhile.
            if not entry.lock.acquire(blocking=False):
                return served
        else:
            # Nothing to answer with, or this API moved the alias since the last check (its
            # caller must not see the old version after the move): wait for the load.
            entry.lock.acquire()
        return self._refresh_locked(key, entry, ref)

    def cached(self, model: str, ref: int | str) -> Served | None:
        """What `get` would answer without any I/O (a loaded version, or an alias checked
        within `check_seconds` and not moved by this API since), else None: safe to call on
        the event loop."""
        key = (model, ref)  # as in `get`: version 3 and an alias named "3" are two keys
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.served is None:
                return None
            self._entries.move_to_end(key)  # in use: the last to be evicted
        if isinstance(ref, int) or entry.fresh(self.check_seconds):
            return entry.served
        return None

    def warm(self, model: str, ref: str) -> threading.Thread:
        """Load what `ref` points at now, in the background: called when this API moved the
        alias itself, so the next request does not pay for the load. Failures are only
        logged here; `get` reports them to the request that needs the model."""
        key = (model, ref)
        entry = self._entry(key)
        with self._lock:
            entry.generation += 1  # the alias moved: whatever was checked before is stale

        def load() -> None:
            # Waits for a load already under way (it may have resolved the old version),
            # then checks again: the request path would answer with the old model instead.
            entry.lock.acquire()
            try:
                self._refresh_locked(key, entry, ref)
            except Exception as exc:
                log.warning("warming %s@%s failed: %s", model, ref, exc)

        # Run in a copy of the caller's context: its log lines carry the id of the request
        # that moved the alias (a new thread would start with none).
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(load,), name=f"warm-{model}-{ref}", daemon=True
        )
        thread.start()
        return thread

    def _entry(self, key: tuple[str, int | str]) -> _Entry:
        """The entry for `key`, made if absent. Only a successful load evicts (`_keep`): a
        flood of lookups for things that do not exist must not push loaded models out."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            else:
                self._entries.move_to_end(key)
            return entry

    def _keep(self, key: tuple[str, int | str], entry: _Entry) -> None:
        """`entry` holds a model now: make sure it is cached, evicting the least recent."""
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def _forget(self, key: tuple[str, int | str], entry: _Entry) -> None:
        """Drop an entry that never served anything (its model or alias does not exist)."""
        with self._lock:
            if entry.served is None and self._entries.get(key) is entry:
                del self._entries[key]

    def _refresh_locked(self, key: tuple[str, int | str], entry: _Entry, ref: int | str) -> Served:
        """`_refresh` with `entry.lock` held by the caller; releases it."""
        try:
            return self._refresh(key, entry, ref)
        except NotFound:
            self._forget(key, entry)
            raise
        finally:
            entry.lock.release()

    def _refresh(self, key: tuple[str, int | str], entry: _Entry, ref: int | str) -> Served:
        model = key[0]
        served = entry.served
        if served is not None and (isinstance(ref, int) or entry.fresh(self.check_seconds)):
            return served  # refreshed by the thread we waited for
        started_at, generation = time.monotonic(), entry.generation
        try:
            version = self.registry.resolve(model, ref)
        except NotFound:
            if served is None:
                raise
            log.warning(
                "%s@%s no longer resolves; still serving version %d",
                model,
                ref,
                served.version.version,
            )
            entry.stamp(started_at, generation)
            return served
        if served is not None and served.version.version == version.version:
            entry.stamp(started_at, generation)
            return served
        try:
            loaded = scoring.load(self.registry, version)
        except Exception as exc:
            entry.stamp(started_at, generation)
            self.on_swap(model, "rejected")
            if served is None:
                entry.failure = f"model {model!r} version {version.version} cannot be loaded: {exc}"
                raise ModelUnavailable(entry.failure) from exc
            log.error(
                "%s@%s moved to version %d but it cannot be loaded (%s); still serving %d",
                model,
                ref,
                version.version,
                exc,
                served.version.version,
            )
            return served
        entry.served = loaded  # the swap: one reference assignment
        entry.failure = None
        entry.stamp(started_at, generation)
        self._keep(key, entry)
        if served is not None:
            self.on_swap(model, "swapped")
            log.info(
                "%s@%s: now serving version %d (was %d)",
                model,
                ref,
                version.version,
                served.version.version,
            )
        return loaded
