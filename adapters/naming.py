"""Physical names shared by the adapters and the infra stacks, so both build the same thing.

A DynamoDB table (one per collection) or Firestore collection is `<table_prefix><name>`;
the document id is attribute `id`; the opaque version token is field `_version`. A DynamoDB
GSI / Firestore composite index is named by `Index.name` (`by_<field>_<order_by>`).
"""

from __future__ import annotations

ID_ATTRIBUTE = "id"
VERSION_FIELD = "_version"
# Index key fields whose value is None: DynamoDB cannot store a NULL key and Firestore
# would order a null first, so such fields are left out of the stored document (and so out
# of every index, as `limits.check_index_keys` promises) and listed here to read back.
NULLS_FIELD = "_nulls"


def table_name(table_prefix: str, collection: str) -> str:
    return f"{table_prefix}{collection}"
