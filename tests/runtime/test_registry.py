"""Version numbering and alias moves under concurrency, rollback, auto-promotion."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from adapters import Conflict, NotFound
from runtime.registry import Registry
from tests.support.env import Env
from tests.support.registry import register


def race(count: int, action: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run `action(i)` in `count` threads released together."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def body(i: int) -> None:
        barrier.wait()
        try:
            value = action(i)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(value)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_concurrent_registrations_get_distinct_numbers(env: Env) -> None:
    registry = Registry(env.adapters)

    def register_five(i: int) -> list[int]:
        return [register(registry, "race", {"n": i * 10 + k}).version for k in range(5)]

    results, errors = race(4, register_five)
    assert errors == []
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == list(range(1, 21))
    assert [v.version for v in registry.versions("race")] == list(range(1, 21))
    assert registry.latest_version_number("race") == 20


def test_concurrent_alias_moves_one_wins(env: Env) -> None:
    registry = Registry(env.adapters)
    for i in range(4):
        register(registry, "m", {"accuracy": 0.5 + i / 10})
    registry.move_alias("m", "production", 1, expected=None)

    results, errors = race(3, lambda i: registry.move_alias("m", "production", i + 2, expected=1))
    assert len(results) == 1, errors
    assert len(errors) == 2 and all(isinstance(e, Conflict) for e in errors), errors
    winner = results[0].version
    assert registry.get_alias("m", "production").version == winner
    history = registry.alias_history("m", "production")
    assert [(h["from_version"], h["to_version"]) for h in history] == [(None, 1), (1, winner)]

    # A mover with a stale expectation is refused, and so is creating an existing alias.
    with pytest.raises(Conflict):
        registry.move_alias("m", "production", 4, expected=1)
    with pytest.raises(Conflict):
        registry.move_alias("m", "production", 4, expected=None)
    with pytest.raises(NotFound):
        registry.move_alias("m", "production", 99, expected=winner)


def test_rollback_and_auto_promotion(env: Env) -> None:
    registry = Registry(env.adapters)
    v1 = register(registry, "p", {"accuracy": 0.8})
    assert registry.maybe_promote(v1, alias="production", metric="accuracy", direction="max")
    v2 = register(registry, "p", {"accuracy": 0.7})
    assert not registry.maybe_promote(v2, alias="production", metric="accuracy", direction="max")
    assert registry.get_alias("p", "production").version == 1
    v3 = register(registry, "p", {"accuracy": 0.9})
    assert registry.maybe_promote(v3, alias="production", metric="accuracy", direction="max")
    assert registry.resolve("p", "production").version == 3
    # Lower is better for an error metric: 0.7 beats 0.8 and 0.9 on "min".
    assert registry.maybe_promote(v2, alias="staging", metric="accuracy", direction="min")
    assert not registry.maybe_promote(v3, alias="staging", metric="accuracy", direction="min")

    # A rollback needs a previous version: the alias's state, not the request, refuses it.
    with pytest.raises(Conflict, match="no earlier version to roll back to"):
        registry.rollback("p", "staging")
    rolled = registry.rollback("p", "production")
    assert rolled.version == 1 and registry.resolve("p", "production").version == 1
    moves = [
        (h["from_version"], h["to_version"]) for h in registry.alias_history("p", "production")
    ]
    assert moves == [(None, 1), (1, 3), (3, 1)]
    assert registry.resolve("p").version == 3 and registry.resolve("p", 2).version == 2
    # An alias is an alias whatever its text: "2" and "latest" are names, not references.
    registry.move_alias("p", "2", 1, expected=None)
    registry.move_alias("p", "latest", 2, expected=None)
    assert registry.resolve("p", "2").version == 1 and registry.resolve("p", 2).version == 2
    assert registry.resolve("p", "latest").version == 2 and registry.resolve("p").version == 3
    with pytest.raises(ValueError, match="not among"):
        registry.maybe_promote(v1, alias="production", metric="rmse", direction="min")
    with pytest.raises(ValueError, match="model name"):
        register(registry, "bad/name", {"accuracy": 1.0})


def test_rollback_walks_back_through_the_history(env: Env) -> None:
    registry = Registry(env.adapters)
    for _ in range(5):
        register(registry, "w", {"accuracy": 0.5})
    registry.move_alias("w", "production", 2, expected=None)
    registry.move_alias("w", "production", 4, expected=2)
    registry.move_alias("w", "production", 5, expected=4)
    assert registry.rollback("w", "production").version == 4
    assert registry.rollback("w", "production").version == 2  # on back, not to 5 again
    with pytest.raises(Conflict, match="no earlier version"):
        registry.rollback("w", "production")
    registry.move_alias("w", "production", 5, expected=2)
    registry.move_alias("w", "production", 3, expected=5)
    with pytest.raises(Conflict, match=r"cannot roll back to version 4: .* \[2, 5\]"):
        registry.rollback("w", "production", to_version=4)
    assert registry.rollback("w", "production", to_version=2).version == 2
    history = registry.alias_history("w", "production")
    assert [(h["to_version"], h["kind"]) for h in history] == [
        (2, "move"), (4, "move"), (5, "move"), (4, "rollback"), (2, "rollback"),
        (5, "move"), (3, "move"), (2, "rollback"),
    ]  # fmt: skip
