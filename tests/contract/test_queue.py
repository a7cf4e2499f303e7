"""JobQueue contract: the same assertions on every backend.

Lease tests use short leases and bounded polling loops: every wait has a deadline, so a
backend that never redelivers fails the test instead of hanging it. A window in which
nothing may arrive is at most a third of the lease (or delay) it checks, and is measured
from a time known to be before the lease began, so a slow machine cannot push the window
past the end of the lease.
"""

from __future__ import annotations

import time

import pytest

from adapters import JobQueue, Message, TooLarge
from adapters.limits import MAX_MESSAGE_BYTES, message_size

# Generous bounds for a backend to act (Pub/Sub redelivers and forwards asynchronously);
# a correct backend returns long before them.
ARRIVAL_TIMEOUT = 15.0
DEAD_LETTER_TIMEOUT = 30.0
# A lease (or release delay) that tests wait out, and the window checked for silence
# within it: a third of it, so a busy machine has two thirds of it to spare.
LEASE = 6.0
QUIET = LEASE / 3
# Timestamps here are taken on the test's side; a backend counts from when its server saw
# the call, and SQS-style backends round to whole seconds.
CLOCK_SLACK = 1.0


def receive_one(queue: JobQueue, *, lease: float, within: float = ARRIVAL_TIMEOUT) -> Message:
    """The next message to arrive within `within` seconds, else fail."""
    return receive_timed(queue, lease=lease, within=within)[0]


def receive_timed(
    queue: JobQueue, *, lease: float, within: float = ARRIVAL_TIMEOUT
) -> tuple[Message, float]:
    """The next message to arrive within `within` seconds, and a time (monotonic) from
    before the receive call that returned it: its lease began after that."""
    deadline = time.monotonic() + within
    while (remaining := deadline - time.monotonic()) > 0:
        called_at = time.monotonic()
        got = queue.receive(1, lease_seconds=lease, wait_seconds=min(1.0, remaining))
        if got:
            assert len(got) == 1
            return got[0], called_at
    raise AssertionError(f"no message arrived within {within} s")


def assert_nothing_for(
    queue: JobQueue, seconds: float, *, dead_letters: bool = False, since: float | None = None
) -> None:
    """Keep polling for `seconds` (from `since`, default now); a message that shows up fails
    the test. A poll is never started past the deadline."""
    deadline = (time.monotonic() if since is None else since) + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        if dead_letters:
            got = queue.receive_dead_letters(10, lease_seconds=30)
            time.sleep(min(0.25, max(remaining, 0)))
        else:
            got = queue.receive(10, lease_seconds=30, wait_seconds=min(0.5, remaining))
        assert got == [], f"expected no message, got {got}"


def test_send_receive_ack_round_trip(queue: JobQueue) -> None:
    message_id = queue.send('{"job_id": "j1"}', {"kind": "train"})
    message = receive_one(queue, lease=30)
    assert message.id == message_id
    assert message.body == '{"job_id": "j1"}'
    assert message.attributes == {"kind": "train"}
    assert message.dead_letter is False
    queue.ack(message)


def test_delivery_count_is_one_on_first_delivery(queue: JobQueue) -> None:
    queue.send("first")
    message = receive_one(queue, lease=30)
    assert message.delivery_count == 1
    assert message.attributes == {}
    queue.ack(message)


def test_receive_many_returns_each_message_once(queue: JobQueue) -> None:
    sent = {queue.send(f"m{n}") for n in range(5)}
    got: dict[str, Message] = {}
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while len(got) < 5 and time.monotonic() < deadline:
        for message in queue.receive(10, lease_seconds=30, wait_seconds=1):
            assert message.id not in got, "a leased message was delivered twice"
            got[message.id] = message
    assert set(got) == sent
    assert sorted(m.body for m in got.values()) == [f"m{n}" for n in range(5)]
    assert all(m.delivery_count == 1 for m in got.values())
    for message in got.values():
        queue.ack(message)


def test_lease_expiry_redelivers_with_delivery_count_plus_one(queue: JobQueue) -> None:
    queue.send("work", {"try": "me"})
    first, lease_began_after = receive_timed(queue, lease=LEASE)
    assert first.delivery_count == 1
    assert_nothing_for(queue, QUIET, since=lease_began_after)  # still leased

    again = receive_one(queue, lease=30, within=LEASE + ARRIVAL_TIMEOUT)
    assert time.monotonic() - lease_began_after >= LEASE - CLOCK_SLACK, (
        "redelivered before the lease ended"
    )
    assert (again.id, again.body, again.attributes) == (first.id, "work", {"try": "me"})
    assert again.delivery_count == 2
    queue.ack(again)


def test_extending_a_lease_prevents_redelivery(queue: JobQueue) -> None:
    queue.send("long job")
    message = receive_one(queue, lease=LEASE)
    leased_by = time.monotonic()
    queue.extend(message, 60)
    # Silent until well past the end of the original lease (it began before leased_by).
    assert_nothing_for(queue, LEASE + 2 * CLOCK_SLACK, since=leased_by)
    queue.ack(message)  # the delivery is still ours to ack


def test_release_makes_message_visible_at_once(queue: JobQueue) -> None:
    queue.send("retry me")
    first = receive_one(queue, lease=120)
    released_at = time.monotonic()
    queue.release(first)
    # A third of the 120 s lease: a backend that waited for the lease would take all of it.
    again = receive_one(queue, lease=30, within=40)
    assert time.monotonic() - released_at < 40, "release must not wait for the lease"
    assert (again.id, again.body) == (first.id, "retry me")
    assert again.delivery_count == 2
    queue.ack(again)


def test_release_with_delay_keeps_message_hidden_for_the_delay(queue: JobQueue) -> None:
    queue.send("later")
    first = receive_one(queue, lease=120)
    released_before = time.monotonic()
    queue.release(first, delay_seconds=LEASE)
    assert_nothing_for(queue, QUIET, since=released_before)
    again = receive_one(queue, lease=30, within=LEASE + ARRIVAL_TIMEOUT)
    assert time.monotonic() - released_before >= LEASE - CLOCK_SLACK, (
        "redelivered before the delay ended"
    )
    assert (again.id, again.delivery_count) == (first.id, 2)
    queue.ack(again)


def test_ack_removes_the_message_for_good(queue: JobQueue) -> None:
    queue.send("drop")
    queue.send("keep")
    leased: dict[str, Message] = {}
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while len(leased) < 2 and time.monotonic() < deadline:
        for message in queue.receive(10, lease_seconds=LEASE, wait_seconds=1):
            assert message.body not in leased, "a lease ended while the other was received"
            leased[message.body] = message
    leased_by = time.monotonic()
    assert set(leased) == {"drop", "keep"}
    queue.ack(leased["drop"])

    # Once both leases are over (and "keep" is back), only the unacked message came back.
    seen: list[Message] = []
    both_over = leased_by + LEASE + 2 * CLOCK_SLACK
    deadline = both_over + ARRIVAL_TIMEOUT
    while not (seen and time.monotonic() > both_over) and time.monotonic() < deadline:
        for message in queue.receive(10, lease_seconds=30, wait_seconds=1.0):
            seen.append(message)
            queue.ack(message)
    assert [(m.body, m.delivery_count) for m in seen] == [("keep", 2)]


def test_message_released_max_deliveries_times_is_dead_lettered(queue: JobQueue) -> None:
    assert queue.max_deliveries == 5
    body = '{"job_id": "doomed", "note": "ünïcødé ✓"}'
    attributes = {"kind": "train", "trace": "t-1"}
    queue.send(body, attributes)
    for attempt in range(1, queue.max_deliveries + 1):
        message = receive_one(queue, lease=30)
        assert message.delivery_count == attempt
        assert (message.body, message.attributes) == (body, attributes)
        queue.release(message)

    dead: list[Message] = []
    deadline = time.monotonic() + DEAD_LETTER_TIMEOUT
    while not dead and time.monotonic() < deadline:
        again = queue.receive(10, lease_seconds=30, wait_seconds=0.5)
        assert again == [], "delivered more than max_deliveries times"
        dead = queue.receive_dead_letters(10, lease_seconds=2)
        dead_leased_by = time.monotonic()
    assert len(dead) == 1, f"not dead-lettered within {DEAD_LETTER_TIMEOUT} s"
    (letter,) = dead
    assert letter.dead_letter is True
    assert (letter.body, letter.attributes) == (body, attributes)

    dropped = queue.purge_dead_letters()
    assert dropped in (1, -1)
    # Past the 2 s lease taken above: purged means gone, not merely leased.
    assert_nothing_for(queue, 2 + 2 * CLOCK_SLACK, dead_letters=True, since=dead_leased_by)
    assert queue.receive(10, lease_seconds=30, wait_seconds=0.5) == []


def test_unicode_body_and_attribute_values(queue: JobQueue) -> None:
    body = "ジョブ 🚀 — données été ß"
    attributes = {"model": "モデル-✓", "lang": "français ü", "empty-ish": " "}
    queue.send(body, attributes)
    message = receive_one(queue, lease=30)
    assert (message.body, message.attributes) == (body, attributes)
    queue.ack(message)


def test_unicode_attribute_names(queue: JobQueue) -> None:
    attributes = {"名前": "値", "clé": "valeur"}
    queue.send("x", attributes)
    message = receive_one(queue, lease=30)
    assert message.attributes == attributes
    queue.ack(message)


def test_message_at_the_ceiling_is_delivered(queue: JobQueue) -> None:
    attributes = {"job": "x"}
    body = "b" * (MAX_MESSAGE_BYTES - message_size("", attributes))
    assert message_size(body, attributes) == MAX_MESSAGE_BYTES
    queue.send(body, attributes)
    message = receive_one(queue, lease=30)
    assert (message.body, message.attributes) == (body, attributes)
    queue.ack(message)


def test_oversize_message_is_refused_and_nothing_is_queued(queue: JobQueue) -> None:
    with pytest.raises(TooLarge):
        queue.send("x" * (MAX_MESSAGE_BYTES + 1))
    # Attributes count: the body alone fits, body plus attributes does not.
    with pytest.raises(TooLarge):
        queue.send("x" * (MAX_MESSAGE_BYTES - 10), {"attribute": "v" * 10})
    # UTF-8 bytes count, not characters.
    with pytest.raises(TooLarge):
        queue.send("é" * (MAX_MESSAGE_BYTES // 2 + 1))
    assert_nothing_for(queue, 1.0)


def test_what_some_backend_cannot_carry_is_refused_everywhere(queue: JobQueue) -> None:
    # SQS refuses each of these; refusing them everywhere keeps local and GCP portable.
    refused: list[tuple[str, dict[str, str] | None]] = [
        ("", None),
        ("job", {f"a{i}": "v" for i in range(11)}),
        ("job", {"empty": ""}),
        ("job", {"": "v"}),
    ]
    for body, attributes in refused:
        with pytest.raises(ValueError):
            queue.send(body, attributes)
    assert_nothing_for(queue, 1.0)


def test_ping_reaches_the_queue_and_changes_nothing(queue: JobQueue) -> None:
    queue.send("still here")
    queue.ping()
    message = receive_one(queue, lease=30)
    assert (message.body, message.delivery_count) == ("still here", 1)
    queue.ack(message)
