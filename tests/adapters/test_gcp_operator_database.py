"""GCP-specific: the collections only operators write live in a Firestore database of their
own when the settings name one (Firestore IAM stops at the database, so that is what lets the
deployed API only read API keys). Against the session's Firestore emulator."""

from __future__ import annotations

import pytest

from adapters import Collection, build_adapters
from adapters.gcp import clients
from adapters.naming import table_name
from tests.rigs.base import Rig
from tests.rigs.gcp import PROJECT

pytestmark = pytest.mark.gcp

KEYS = Collection("keys", operator_written=True)
NOTES = Collection("notes")


def _ids_in(database: str, prefix: str, collection: str) -> set[str]:
    """What a raw client sees in one database: the adapter's routing, seen from outside."""
    client = clients.firestore_client(PROJECT, database)
    return {doc.id for doc in client.collection(table_name(prefix, collection)).stream()}


def test_operator_written_collections_go_to_their_own_database(gcp_rig: Rig) -> None:
    settings = gcp_rig.settings((KEYS, NOTES))  # the rig names one, as the stack does
    operators = settings.firestore_operator_database
    assert operators and operators != settings.firestore_database
    documents = build_adapters((KEYS, NOTES), settings).documents

    version = documents.create("keys", "k1", {"name": "ops"})
    documents.put("notes", "n1", {"text": "hello"})
    documents.put_many("keys", [("k2", {"name": "ci"})])

    # Through the store, both collections read back as one store ...
    assert documents.get("keys", "k1").data == {"name": "ops"}
    assert documents.get("notes", "n1").data == {"text": "hello"}
    assert {d.id for d in documents.scan("keys").items} == {"k1", "k2"}
    assert set(documents.get_many("keys", ["k1", "k2", "nope"])) == {"k1", "k2"}
    documents.update("keys", "k1", {"name": "ops", "revoked": True}, expected_version=version)
    # ... while the keys are in the operators' database alone, the notes in the main one.
    main = settings.firestore_database
    assert _ids_in(operators, settings.table_prefix, "keys") == {"k1", "k2"}
    assert _ids_in(main, settings.table_prefix, "keys") == set()
    assert _ids_in(main, settings.table_prefix, "notes") == {"n1"}
    assert _ids_in(operators, settings.table_prefix, "notes") == set()
    # Batched reads and deletes go to the same database as the writes.
    documents.delete_many("keys", ["k2"])
    assert _ids_in(operators, settings.table_prefix, "keys") == {"k1"}


def test_without_an_operator_database_everything_stays_in_one(gcp_rig: Rig) -> None:
    named = gcp_rig.settings((KEYS, NOTES))
    settings = named.model_copy(update={"firestore_operator_database": None})
    documents = build_adapters((KEYS, NOTES), settings).documents
    documents.put("keys", "k1", {"name": "ops"})
    assert _ids_in(settings.firestore_database, settings.table_prefix, "keys") == {"k1"}
