"""The runtime's document collections and the queries it makes on them.

This catalogue is the single source for what the DocumentStore must index: the local
backend builds SQLite indexes from it, the AWS stack one DynamoDB table per collection with
one GSI per index, the GCP stack one Firestore composite index per index. A query the
runtime makes must appear here, or it will fail on DynamoDB.
"""

from __future__ import annotations

from adapters.ports import Collection, Index

JOBS = Collection("jobs", (Index("state", "created_at"),))
# id "<model>:<version zero-padded>"; version allocation is a create-only write.
MODEL_VERSIONS = Collection(
    "model_versions",
    (Index("model", "version", "N"), Index("job_id", "version", "N")),
)
# id "<model>:<alias>"; moved by compare-and-swap (DocumentStore.update).
ALIASES = Collection("aliases", (Index("model", "alias"),))
ALIAS_HISTORY = Collection("alias_history", (Index("alias_key", "at"),))
DATASETS = Collection("datasets")
# id "<dataset>:<record id>". `unlabelled` holds the dataset name only while the record has
# no label: a sparse index that lists a dataset's unlabelled records on every backend.
RECORDS = Collection(
    "records",
    (Index("dataset", "record_id"), Index("unlabelled", "record_id")),
)
ANNOTATIONS = Collection("annotations", (Index("dataset", "at"),))
# id "<dataset>:<record id>": pre-computed inference results. `ranked` holds the dataset name
# when the prediction has class probabilities (its `confidence` is the highest of them): a
# sparse index that lists a dataset's predictions least confident first.
PREDICTIONS = Collection(
    "predictions",
    (Index("dataset", "record_id"), Index("ranked", "confidence", "N")),
)
# Created and revoked by operators (`mlpoc keys`), read by the API: no runtime identity may
# write it (infra.logical ACCESS; on GCP it lives in a Firestore database of its own).
API_KEYS = Collection("api_keys", operator_written=True)

COLLECTIONS: tuple[Collection, ...] = (
    JOBS,
    MODEL_VERSIONS,
    ALIASES,
    ALIAS_HISTORY,
    DATASETS,
    RECORDS,
    ANNOTATIONS,
    PREDICTIONS,
    API_KEYS,
)
