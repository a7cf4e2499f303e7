"""What the contract suite's test bodies share: the collections it declares, a walk over
every page that fails rather than loop, and a race of calls released at one instant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from adapters import Collection, Index, Page

T = TypeVar("T")

# "items" has one numeric and one string index, so ordering is checked for both kinds;
# "plain" has none, so any query on it must be refused.
ITEMS = "items"
PLAIN = "plain"
BY_OWNER = Index("owner", "seq", "N")
BY_KIND = Index("kind", "name", "S")
CONTRACT_COLLECTIONS: tuple[Collection, ...] = (
    Collection(ITEMS, (BY_OWNER, BY_KIND)),
    Collection(PLAIN),
)


def all_pages(fetch: Callable[[str | None], Page[T]], *, max_pages: int = 1000) -> list[Page[T]]:
    """Follow `next_token` from the first page to the last; fail rather than loop forever.
    (Deliberately not the port's own iterator: this checks what that iterator relies on.)"""
    pages: list[Page[T]] = []
    token: str | None = None
    for _ in range(max_pages):
        page = fetch(token)
        pages.append(page)
        if page.next_token is None:
            return pages
        assert page.next_token != token, "pagination token did not advance"
        token = page.next_token
    raise AssertionError(f"pagination did not end within {max_pages} pages")


def race(*calls: Callable[[], object], timeout: float = 30) -> list[str]:
    """Run `calls` at the same instant, one thread each; each outcome is "won", the name of
    the exception class it raised, or "hung"."""
    barrier = threading.Barrier(len(calls))
    outcomes = ["hung"] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            calls[n]()
            outcomes[n] = "won"
        except Exception as exc:  # reported to the caller, which asserts on it
            outcomes[n] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes
