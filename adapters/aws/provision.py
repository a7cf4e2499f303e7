"""The DynamoDB table of a collection, as `create_table` arguments.

One table per collection, `naming.table_name(prefix, name)`, hash key `id` (S), on-demand
billing, one GSI per `Index` (hash `field` S, range `order_by` of `order_type`, projecting
every attribute so a query returns whole documents). Tests and humans create tables with
this; the AWS infra stack declares the same thing in Terraform.
"""

from __future__ import annotations

from typing import Any

from adapters.naming import ID_ATTRIBUTE, table_name
from adapters.ports import Collection


def table_definition(name: str, collection: Collection) -> dict[str, Any]:
    """Keyword arguments for `dynamodb_client.create_table` of `collection`'s table."""
    attribute_types = collection.key_types()
    indexes: list[dict[str, Any]] = []
    for index in collection.indexes:
        indexes.append(
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.field, "KeyType": "HASH"},
                    {"AttributeName": index.order_by, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    definition: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": attribute, "AttributeType": kind}
            for attribute, kind in attribute_types.items()
        ],
        "KeySchema": [{"AttributeName": ID_ATTRIBUTE, "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    return definition


def create_tables(client: Any, table_prefix: str, collections: tuple[Collection, ...]) -> None:
    """Create every collection's table with a DynamoDB client and wait until all are active."""
    names = [table_name(table_prefix, collection.name) for collection in collections]
    for name, collection in zip(names, collections, strict=True):
        client.create_table(**table_definition(name, collection))
    waiter = client.get_waiter("table_exists")
    for name in names:
        waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
