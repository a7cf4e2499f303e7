"""DynamoDB: one table per runtime collection, one GSI per index (from runtime.schema)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from adapters.naming import ID_ATTRIBUTE, table_name
from adapters.ports import Collection
from infra.build import BuildContext, builder
from infra.logical import Component, Kind


def _attributes(collection: Collection) -> list[DynamodbTableAttribute]:
    """Every key attribute once; an attribute used with two types is a schema error."""
    types = collection.key_types()
    return [DynamodbTableAttribute(name=name, type=kind) for name, kind in types.items()]


def resource_name(component: Component, collection: Collection) -> str:
    return f"{component.id}_{collection.name}"


@dataclass(frozen=True)
class Tables:
    """One table per runtime collection, by collection name."""

    tables: dict[str, DynamodbTable]
    indexed: tuple[str, ...]  # collections with secondary indexes

    def arns(self) -> list[str]:
        """Every table's ARN, then every index's (what the runtime may query)."""
        return [table.arn for table in self.tables.values()] + [
            f"{self.tables[name].arn}/index/*" for name in self.indexed
        ]


@builder(Kind.DOCUMENTS, reads=(Kind.KEY,))
def build_documents(ctx: BuildContext) -> Tables:
    component = ctx.component
    key = ctx.read(Kind.KEY, KmsKey)
    tables = {}
    for collection in component.collections:
        tables[collection.name] = DynamodbTable(
            ctx.stack,
            resource_name(component, collection),
            name=table_name(ctx.config.table_prefix, collection.name),
            billing_mode="PAY_PER_REQUEST",
            hash_key=ID_ATTRIBUTE,
            attribute=_attributes(collection),
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(
                    name=index.name,
                    hash_key=index.field,
                    range_key=index.order_by,
                    projection_type="ALL",
                )
                for index in collection.indexes
            ]
            or None,
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(
                enabled=True, kms_key_arn=key.arn
            ),
            deletion_protection_enabled=False,
            tags={"mlpoc:component": component.id, "mlpoc:collection": collection.name},
        )
    ctx.output("table_prefix", ctx.config.table_prefix, "MLPOC_TABLE_PREFIX: DynamoDB tables")
    return Tables(tables, tuple(c.name for c in component.collections if c.indexes))
