"""Firestore (native mode) and one pair of composite indexes per runtime index (ascending and
descending order), from runtime.schema."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_google.firestore_database import FirestoreDatabase
from cdktf_cdktf_provider_google.firestore_index import FirestoreIndex, FirestoreIndexFields

from adapters.naming import table_name
from infra.build import BuildContext, builder
from infra.gcp.account import Project
from infra.gcp.config import firestore_database, operator_database
from infra.logical import Kind

ORDERS = (("asc", "ASCENDING"), ("desc", "DESCENDING"))


@dataclass(frozen=True)
class Documents:
    database: FirestoreDatabase
    # The operator-written collections' database (API keys): the runtime may only read it.
    operators: FirestoreDatabase
    indexes: dict[str, FirestoreIndex]


@builder(Kind.DOCUMENTS, reads=(Kind.ACCOUNT,))
def build_documents(ctx: BuildContext) -> Documents:
    config = ctx.config
    component = ctx.component
    firestore_api = ctx.read(Kind.ACCOUNT, Project).apis["firestore"]

    def named(resource: str, name: str) -> FirestoreDatabase:
        # A named database, not "(default)": App Engine owns "(default)"'s mode in its project.
        return FirestoreDatabase(
            ctx.stack,
            resource,
            name=name,
            location_id=config.project.region,
            type="FIRESTORE_NATIVE",
            concurrency_mode="OPTIMISTIC",
            point_in_time_recovery_enablement="POINT_IN_TIME_RECOVERY_ENABLED",
            delete_protection_state="DELETE_PROTECTION_DISABLED",  # `cdktf destroy` removes it
            deletion_policy="DELETE",
            depends_on=[firestore_api],
        )

    database = named(component.id, firestore_database(config))
    # Firestore IAM stops at the database: the collections only operators write (API keys)
    # get one of their own, which the runtime may only read (infra.gcp.identity).
    operators = named(f"{component.id}_operators", operator_database(config))
    indexes = {}
    for collection in component.collections:
        home = operators if collection.operator_written else database
        for index in collection.indexes:
            for suffix, order in ORDERS:
                name = f"{component.id}_{collection.name}_{index.name}_{suffix}"
                indexes[name] = FirestoreIndex(
                    ctx.stack,
                    name,
                    database=home.name,
                    collection=table_name(config.table_prefix, collection.name),
                    query_scope="COLLECTION",
                    fields=[
                        FirestoreIndexFields(field_path=index.field, order="ASCENDING"),
                        FirestoreIndexFields(field_path=index.order_by, order=order),
                    ],
                )
    ctx.output("table_prefix", config.table_prefix, "MLPOC_TABLE_PREFIX: Firestore collections")
    ctx.output("firestore_database", database.name, "MLPOC_FIRESTORE_DATABASE")
    ctx.output("firestore_operator_database", operators.name, "MLPOC_FIRESTORE_OPERATOR_DATABASE")
    return Documents(database, operators, indexes)
