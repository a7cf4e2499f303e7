"""The model registry: numbered versions, aliases that move by compare-and-swap.

A version is a document `<model>:<version, zero-padded>` created with a create-only write:
two workers that both try number n get one success and one `Conflict`, and the loser
tries n+1, so numbers are never shared. An alias (`production`, `staging`, any name) is a
document `<model>:<alias>` moved only by compare-and-swap against the version the mover
expects it to hold; each move is logged in `alias_history`, so a rollback is one more move.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.errors import Conflict, NotFound
from adapters.ports import Adapters, Document, Page
from runtime import artifacts
from runtime.clock import now
from runtime.config import DEFAULT_TRAINER
from runtime.names import check_name
from runtime.schema import ALIAS_HISTORY, ALIASES, MODEL_VERSIONS
from runtime.trainers.base import Trainer, load_trainer

VERSION_DIGITS = 8
MOVE, ROLLBACK = "move", "rollback"  # the kinds of alias moves the history records
MAX_ALLOCATION_ATTEMPTS = 1000


@dataclass(frozen=True)
class ModelVersion:
    model: str
    version: int
    data: dict[str, Any]

    @property
    def artifact(self) -> artifacts.ArtifactRef:
        art = self.data["artifact"]
        return artifacts.ArtifactRef(key=art["key"], sha256=art["sha256"], size=art["size"])

    @property
    def serving(self) -> dict[str, Any]:
        return dict(self.data.get("serving") or {})

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.data.get("metrics") or {})

    @classmethod
    def of(cls, doc: Document) -> ModelVersion:
        return cls(str(doc.data["model"]), int(doc.data["version"]), doc.data)

    def to_json(self, *, card: bool = True) -> dict[str, Any]:
        """The version as the API shows it (listings leave the model card out)."""
        data = self.data if card else {k: v for k, v in self.data.items() if k != "card"}
        return {**data, "model": self.model, "version": self.version}


@dataclass(frozen=True)
class Alias:
    model: str
    alias: str
    version: int
    previous: int | None
    doc_version: str

    def to_json(self) -> dict[str, Any]:
        """The alias as the API shows it."""
        return {
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "previous": self.previous,
        }


def alias_id(model: str, alias: str) -> str:
    """The id of an alias document (and key of its history), from checked names."""
    check_name("model", model)
    check_name("alias", alias)
    return f"{model}:{alias}"


def version_id(model: str, version: int) -> str:
    return f"{model}:{version:0{VERSION_DIGITS}d}"


class Registry:
    def __init__(
        self, adapters: Adapters, trainers: Collection[str] = frozenset({DEFAULT_TRAINER})
    ) -> None:
        """`trainers`: the trainer plugins a version may name to be loaded (settings'
        `allowed_trainers`)."""
        self.adapters = adapters
        self.documents = adapters.documents
        self.trainers = trainers

    # ----------------------------------------------------------------- versions

    def register(
        self,
        model: str,
        *,
        artifact: artifacts.ArtifactRef,
        metrics: Mapping[str, float],
        params: Mapping[str, Any],
        trainer: str,
        artifact_format: str,
        dataset: Mapping[str, Any],
        job_id: str | None,
        input_schema: Mapping[str, Any] | None = None,
        serving: Mapping[str, Any] | None = None,
        card: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Record a new version; its number is the next free one, taken create-only."""
        check_name("model", model)
        data: dict[str, Any] = {
            "model": model,
            "metrics": dict(metrics),
            "params": dict(params),
            "trainer": trainer,
            "format": artifact_format,
            "dataset": dict(dataset),
            "artifact": {"key": artifact.key, "sha256": artifact.sha256, "size": artifact.size},
            "input_schema": dict(input_schema or {}),
            # Which path answers (compiled or sklearn), why, and the compiled artifact.
            "serving": dict(serving or {"path": "sklearn", "reason": "not compiled"}),
            "created_at": now(),
        }
        if card is not None:
            data["card"] = dict(card)
        if job_id is not None:
            data["job_id"] = job_id
        # The index query is only a starting guess (it may lag on DynamoDB); the create-only
        # write is what makes the number ours.
        latest = self.latest_version_number(model)
        candidate = latest + 1
        for _ in range(MAX_ALLOCATION_ATTEMPTS):
            record = {**data, "version": candidate}
            try:
                self.documents.create(MODEL_VERSIONS.name, version_id(model, candidate), record)
            except Conflict:
                candidate += 1
                continue
            return ModelVersion(model, candidate, record)
        raise Conflict(f"model {model!r}: no free version number after {candidate - 1}")

    def latest_version_number(self, model: str) -> int:
        page = self.documents.query(MODEL_VERSIONS.name, "model", model, descending=True, limit=1)
        return int(page.items[0].data["version"]) if page.items else 0

    def get_version(self, model: str, version: int) -> ModelVersion:
        """The version; NotFound (naming model and version) if it is not registered."""
        check_name("model", model)
        if version < 1:
            raise NotFound(f"model {model!r} has no version {version}")
        try:
            doc = self.documents.get(MODEL_VERSIONS.name, version_id(model, version))
        except NotFound:
            raise NotFound(f"model {model!r} has no version {version}") from None
        return ModelVersion(model, version, doc.data)

    def versions(self, model: str) -> Iterator[ModelVersion]:
        """Every version of `model`, oldest first."""
        for doc in self.documents.iter_query(MODEL_VERSIONS.name, "model", model):
            yield ModelVersion.of(doc)

    def list_versions(
        self, model: str, *, limit: int = 100, page_token: str | None = None
    ) -> Page[ModelVersion]:
        """One page of `model`'s versions, newest first."""
        check_name("model", model)
        page = self.documents.query(
            MODEL_VERSIONS.name, "model", model, descending=True, limit=limit, page_token=page_token
        )
        return Page([ModelVersion.of(doc) for doc in page.items], page.next_token)

    def versions_for_job(self, job_id: str) -> list[ModelVersion]:
        page = self.documents.query(MODEL_VERSIONS.name, "job_id", job_id, limit=100)
        return [ModelVersion.of(doc) for doc in page.items]

    def resolve(self, model: str, ref: int | str | None = None) -> ModelVersion:
        """A version by number (an int), by alias (a str), or (None) the newest one. The type
        decides, never the text: an alias may be named "3" or "latest"."""
        if isinstance(ref, int):
            return self.get_version(model, ref)
        if ref is None:
            latest = self.latest_version_number(model)
            if latest == 0:
                raise NotFound(f"model {model!r} has no versions")
            return self.get_version(model, latest)
        return self.get_version(model, self.get_alias(model, ref).version)

    def load(self, version: ModelVersion, trainer: Trainer | None = None) -> tuple[Trainer, Any]:
        """The version's trainer and fitted model, after checking the artifact's SHA-256
        against the registered one (`artifacts.ArtifactRejected` if it differs)."""
        trainer = trainer or load_trainer(str(version.data["trainer"]), self.trainers)
        art = version.artifact
        data = artifacts.fetch(self.adapters.blobs, art.key, art.sha256)
        return trainer, trainer.loads(data)

    # ----------------------------------------------------------------- aliases

    def get_alias(self, model: str, alias: str) -> Alias:
        """The alias; NotFound (naming model and alias) if it was never set."""
        try:
            return _alias(self.documents.get(ALIASES.name, alias_id(model, alias)))
        except NotFound:
            raise NotFound(f"model {model!r} has no alias {alias!r}") from None

    def aliases(self, model: str) -> list[Alias]:
        """Every alias of `model`, by name (the `model` index of the aliases collection)."""
        check_name("model", model)
        return [_alias(doc) for doc in self.documents.iter_query(ALIASES.name, "model", model)]

    def models_with_alias(self, alias: str, *, limit: int) -> list[str]:
        """Up to `limit` models that have `alias`, by name (a scan: one document per alias)."""
        docs = self.documents.iter_scan(ALIASES.name)
        found = (str(doc.data["model"]) for doc in docs if doc.data.get("alias") == alias)
        return sorted(itertools.islice(found, limit))

    def move_alias(
        self,
        model: str,
        alias: str,
        to_version: int,
        *,
        expected: int | None,
        reason: str = "",
        by: str | None = None,
        kind: str = MOVE,
    ) -> Alias:
        """Point `alias` at `to_version` if it currently points at `expected` (None: the
        alias must not exist yet). `Conflict` if it does not (or does not exist at all), or
        if another move wins the race; `NotFound` if `to_version` is not registered. `by`:
        the id of the API key that moved it, kept in the alias history (None: the runtime's
        auto-promotion), with the move's `kind` (a rollback or any other move)."""
        key = alias_id(model, alias)
        self.get_version(model, to_version)  # NotFound for a version that does not exist
        data: dict[str, Any] = {
            "model": model,
            "alias": alias,
            "version": to_version,
            "previous": expected,
            "updated_at": now(),
        }
        if expected is None:
            try:
                doc_version = self.documents.create(ALIASES.name, key, data)
            except Conflict:
                raise Conflict(f"alias {key} already exists; pass its version") from None
        else:
            try:
                current = self.get_alias(model, alias)
            except NotFound:
                raise Conflict(
                    f"alias {key} does not exist, so it does not hold version {expected}; "
                    "pass expected_version null to create it"
                ) from None
            if current.version != expected:
                raise _stale(key, current.version, expected)
            try:
                doc_version = self.documents.update(
                    ALIASES.name, key, data, expected_version=current.doc_version
                )
            except Conflict:
                # Another move won between the read above and this write. Each backend words
                # a lost compare-and-swap its own way (and names its internal versions): say
                # what the check above says, with the version the alias holds now.
                held = self.get_alias(model, alias).version
                if held == expected:  # moved away and back meanwhile: the loser may retry
                    raise Conflict(f"alias {key} moved while this move ran; retry") from None
                raise _stale(key, held, expected) from None
        self.documents.create(
            ALIAS_HISTORY.name,
            f"{key}:{uuid.uuid4().hex}",
            {
                "alias_key": key,
                "at": data["updated_at"],
                "from_version": expected,
                "to_version": to_version,
                "reason": reason,
                "key_id": by,
                "kind": kind,
            },
        )
        return Alias(model, alias, to_version, expected, doc_version)

    def alias_history(self, model: str, alias: str) -> list[dict[str, Any]]:
        """Moves of `alias`, oldest first."""
        docs = self.documents.iter_query(ALIAS_HISTORY.name, "alias_key", alias_id(model, alias))
        return [doc.data for doc in docs]

    def rollback(
        self,
        model: str,
        alias: str,
        *,
        expected: int | None = None,
        reason: str = "rollback",
        by: str | None = None,
        to_version: int | None = None,
    ) -> Alias:
        """Walk `alias` back one step through its history: to the version it held before the
        move that brought the current one, so rollbacks repeated walk further back (v2, v4,
        v5: v4, then v2). With `to_version`, straight back to that version, which the alias
        must have held before. With `expected`, only if the alias holds that version now
        (compare-and-swap, as `move_alias`). Conflict if there is nothing to go back to."""
        current = self.get_alias(model, alias)
        held = held_versions(self.alias_history(model, alias))
        if not held or held[-1] != current.version:
            # A history that does not end where the alias is (a lost history write, or
            # moves from before rollbacks were marked): the alias's own previous.
            held = [v for v in (current.previous, current.version) if v is not None]
        earlier = held[:-1]
        if to_version is not None and to_version not in earlier:
            raise Conflict(
                f"alias {model}:{alias} cannot roll back to version {to_version}: its history "
                f"goes back to {sorted(set(earlier)) or 'nothing'} (promote it instead)"
            )
        if not earlier:
            raise Conflict(f"alias {model}:{alias} has no earlier version to roll back to")
        return self.move_alias(
            model,
            alias,
            earlier[-1] if to_version is None else to_version,
            expected=current.version if expected is None else expected,
            reason=reason,
            by=by,
            kind=ROLLBACK,
        )

    def maybe_promote(
        self, version: ModelVersion, *, alias: str, metric: str, direction: str
    ) -> bool:
        """Move `alias` to `version` if its `metric` beats the aliased version's (or no
        version holds the alias yet). Returns whether it moved; losing a race to another
        mover is not an error, the winner's version stands."""
        if metric not in version.metrics:
            raise ValueError(
                f"auto-promotion metric {metric!r} is not among {sorted(version.metrics)}"
            )
        try:
            current = self.get_alias(version.model, alias)
        except NotFound:
            current = None
        if current is not None:
            held = self.get_version(version.model, current.version).metrics.get(metric)
            new = version.metrics[metric]
            better = held is None or (new > held if direction == "max" else new < held)
            if not better:
                return False
        try:
            self.move_alias(
                version.model,
                alias,
                version.version,
                expected=current.version if current else None,
                reason=f"auto-promotion: {metric} {version.metrics[metric]:.6g}",
            )
        except Conflict:
            return False
        return True


def held_versions(history: list[dict[str, Any]]) -> list[int]:
    """The versions an alias went through, oldest first, as a stack its history replays: a
    move pushes its version, a rollback pops back down to the version it went to."""
    held: list[int] = []
    for move in history:
        to_version = int(move["to_version"])
        if move.get("kind") == ROLLBACK and to_version in held:
            del held[_last(held, to_version) + 1 :]
        else:
            held.append(to_version)
    return held


def _last(values: list[int], value: int) -> int:
    return len(values) - 1 - values[::-1].index(value)


def _stale(key: str, held: int, expected: int) -> Conflict:
    return Conflict(f"alias {key} points at version {held}, not {expected}")


def _alias(doc: Document) -> Alias:
    previous = doc.data.get("previous")
    return Alias(
        model=str(doc.data["model"]),
        alias=str(doc.data["alias"]),
        version=int(doc.data["version"]),
        previous=int(previous) if previous is not None else None,
        doc_version=doc.version,
    )
