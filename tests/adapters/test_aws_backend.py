"""AWS-specific behaviour, against the session's moto server.

The contract suite proves what every backend shares; these tests cover what only the AWS
adapters do: checking settings against the deployed resources, encoding what SQS and
DynamoDB cannot carry natively, PurgeQueue's 60 s rule, and error translation.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from adapters import (
    Adapters,
    BackendUnavailable,
    Collection,
    ConfigurationError,
    Index,
    NotFound,
    TooLarge,
    build_adapters,
)
from tests.rigs.base import Rig
from tests.servers.process import free_port

pytestmark = pytest.mark.aws

THINGS = Collection("things", (Index("kind", "n", "N"), Index("tag", "name")))


@pytest.fixture
def aws(aws_rig: Rig) -> Adapters:
    return aws_rig.adapters((THINGS,))


def test_choosing_another_backend_never_imports_boto3() -> None:
    code = (
        "import sys, adapters, adapters.factory, runtime.schema\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
        "print('clean')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "clean", result.stderr


def test_build_refuses_settings_that_disagree_with_the_redrive_policy(aws_rig: Rig) -> None:
    settings = aws_rig.settings((THINGS,), max_deliveries=5)
    with pytest.raises(ConfigurationError, match="MLPOC_MAX_DELIVERIES=6"):
        build_adapters((THINGS,), settings.model_copy(update={"max_deliveries": 6}))
    with pytest.raises(ConfigurationError, match="MLPOC_DEAD_LETTER_QUEUE"):
        build_adapters((THINGS,), settings.model_copy(update={"dead_letter_queue": settings.queue}))


def test_missing_resources_are_configuration_errors(aws_rig: Rig) -> None:
    settings = aws_rig.settings((THINGS,))
    with pytest.raises(ConfigurationError, match=r"NonExistentQueue|QueueDoesNotExist"):
        build_adapters((THINGS,), settings.model_copy(update={"queue": "no-such-queue"}))
    unprovisioned = Collection("unprovisioned")
    adapters = build_adapters((THINGS, unprovisioned), settings)
    with pytest.raises(ConfigurationError, match="ResourceNotFound"):
        adapters.documents.get("unprovisioned", "x")
    adapters = build_adapters((THINGS,), settings.model_copy(update={"bucket": "no-such-bucket"}))
    with pytest.raises(ConfigurationError, match="NoSuchBucket"):
        adapters.blobs.put("k", b"v")


def test_unreachable_endpoint_is_backend_unavailable(
    aws_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = aws_rig.settings((THINGS,))
    adapters = build_adapters((THINGS,), settings)
    # Clients made after this point talk to a port nothing listens on.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BackendUnavailable):
        build_adapters((THINGS,), settings)
    assert adapters.blobs.exists("still/reachable") is False  # the old clients still work


# ---------------------------------------------------------------------------- SQS


def test_attribute_names_sqs_cannot_carry_round_trip(aws: Adapters) -> None:
    attributes = {
        "AWS.reserved": "1",
        ".leading": "2",
        "a..b": "3",
        "space name": "4",
        "mlpoc.n.looks-encoded": "5",
        "plain_name-1.x": "6",
    }
    aws.queue.send("x", attributes)
    (message,) = aws.queue.receive(1, lease_seconds=30, wait_seconds=5)
    assert message.attributes == attributes
    aws.queue.ack(message)


@pytest.mark.parametrize(
    "attributes",
    [{f"a{n}": "v" for n in range(11)}, {"empty": ""}, {"": "no name"}],
)
def test_attributes_sqs_refuses_are_value_errors_and_nothing_is_sent(
    aws: Adapters, attributes: dict[str, str]
) -> None:
    with pytest.raises(ValueError):
        aws.queue.send("x", attributes)
    assert aws.queue.receive(10, lease_seconds=30, wait_seconds=1) == []


def test_extend_or_release_after_ack_is_not_found(aws: Adapters) -> None:
    aws.queue.send("x")
    (message,) = aws.queue.receive(1, lease_seconds=30, wait_seconds=5)
    aws.queue.ack(message)
    aws.queue.ack(message)  # SQS: deleting twice is fine
    with pytest.raises(NotFound):
        aws.queue.extend(message, 10)
    with pytest.raises(NotFound):
        aws.queue.release(message)


def _dead_letter(adapters: Adapters, body: str) -> None:
    adapters.queue.send(body)
    for _ in range(adapters.queue.max_deliveries):
        (message,) = adapters.queue.receive(1, lease_seconds=30, wait_seconds=5)
        adapters.queue.release(message)
    assert adapters.queue.receive(1, lease_seconds=30) == []  # moves it to the DLQ


def test_second_purge_within_60_s_drains_and_counts(aws: Adapters) -> None:
    _dead_letter(aws, "first")
    assert aws.queue.purge_dead_letters() == 1
    _dead_letter(aws, "second")
    _dead_letter(aws, "third")
    assert aws.queue.purge_dead_letters() == 2  # PurgeQueueInProgress: drained instead
    assert aws.queue.receive_dead_letters(10) == []


def test_lease_and_delay_beyond_the_portable_ceiling_are_refused(aws: Adapters) -> None:
    with pytest.raises(ValueError):
        aws.queue.receive(1, lease_seconds=601)
    with pytest.raises(ValueError):
        aws.queue.receive(11)
    aws.queue.send("x")
    (message,) = aws.queue.receive(1, lease_seconds=30, wait_seconds=5)
    with pytest.raises(ValueError):
        aws.queue.extend(message, 601)
    with pytest.raises(ValueError):
        aws.queue.release(message, delay_seconds=601)
    aws.queue.ack(message)


# ---------------------------------------------------------------------------- S3


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_put_from_a_non_seekable_stream(aws: Adapters, pipe: tuple[int, int]) -> None:
    import hashlib

    data = os.urandom(9 * 1024 * 1024 + 7)  # past the in-memory spool: a temp file is used
    read_fd, write_fd = pipe

    def feed() -> None:
        with os.fdopen(write_fd, "wb", closefd=True) as writer:
            writer.write(data)

    thread = threading.Thread(target=feed)
    thread.start()
    with os.fdopen(read_fd, "rb", closefd=True) as reader:
        assert not reader.seekable()
        info = aws.blobs.put("piped/blob", reader, create_only=True)
    thread.join(10)
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert aws.blobs.get("piped/blob") == data


def test_bad_list_arguments_are_value_errors(aws: Adapters) -> None:
    with pytest.raises(ValueError):
        aws.blobs.list("", page_size=0)
    with pytest.raises(ValueError):
        aws.blobs.list("", page_size=1001)


# ---------------------------------------------------------------------------- DynamoDB


def test_none_index_key_keeps_a_document_out_of_the_index(aws: Adapters) -> None:
    docs = aws.documents
    docs.put("things", "in", {"kind": "k", "n": 1, "tag": "t", "name": "a"})
    docs.put("things", "out", {"kind": None, "n": 2, "tag": "t", "name": None})
    assert [d.id for d in docs.query("things", "kind", "k").items] == ["in"]
    assert [d.id for d in docs.query("things", "tag", "t").items] == ["in"]
    assert docs.get("things", "out").data == {"kind": None, "n": 2, "tag": "t", "name": None}


def test_index_key_of_the_wrong_type_is_refused_before_anything_is_written(
    aws: Adapters,
) -> None:
    docs = aws.documents
    with pytest.raises(ValueError, match="by_kind_n"):
        docs.put("things", "bad", {"kind": "k", "n": "not a number"})
    with pytest.raises(ValueError, match="by_kind_n"):
        docs.put_many("things", [("good", {"kind": "k", "n": 1}), ("bad", {"kind": 5, "n": 1})])
    assert docs.scan("things").items == []


def test_put_many_refuses_a_document_too_large_for_dynamodb_before_writing(
    aws: Adapters,
) -> None:
    docs = [(f"ok-{n}", {"kind": "k", "n": n}) for n in range(30)]
    docs.append(("dense", {"ones": [1] * 170_000}))  # under 350 KB as JSON, not as an item
    with pytest.raises(TooLarge, match="DynamoDB"):
        aws.documents.put_many("things", docs)
    assert aws.documents.scan("things").items == []


def test_a_data_field_named_id_is_kept_apart_from_the_key(aws: Adapters) -> None:
    version = aws.documents.create("things", "doc", {"id": "something else", "kind": "k", "n": 1})
    doc = aws.documents.get("things", "doc")
    assert (doc.id, doc.data, doc.version) == (
        "doc",
        {"id": "something else", "kind": "k", "n": 1},
        version,
    )
    assert aws.documents.query("things", "kind", "k").items == [doc]


def test_page_token_of_another_query_is_a_value_error(aws: Adapters) -> None:
    for n in range(3):
        aws.documents.put("things", f"d{n}", {"kind": "k", "n": n})
    token = aws.documents.query("things", "kind", "k", limit=1).next_token
    assert token is not None
    with pytest.raises(ValueError, match="invalid page token"):
        aws.documents.query("things", "kind", "other", limit=1, page_token=token)
    with pytest.raises(ValueError, match="invalid page token"):
        aws.documents.scan("things", limit=1, page_token=token)
    with pytest.raises(ValueError, match="invalid page token"):
        aws.documents.scan("things", limit=1, page_token="garbage")
