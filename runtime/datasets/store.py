"""Reading datasets: their descriptions (`datasets`) and their records (`records`, one
document per row, id `<dataset>:<record id>`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from adapters.errors import NotFound
from adapters.limits import check_doc_id
from adapters.pagination import MAX_PAGE_LIMIT
from adapters.ports import BlobStore, Document, DocumentStore, Page
from runtime.datasets.ref import DatasetRef
from runtime.schema import DATASETS, RECORDS

READY, INGESTING = "ready", "ingesting"
RECORD_PAGE = 500
DOWNLOAD_CHUNK_BYTES = 1024 * 1024


def record_doc_id(dataset: str, record_id: str) -> str:
    return f"{dataset}:{record_id}"


def get_dataset(documents: DocumentStore, name: str, *, ready: bool = True) -> dict[str, Any]:
    """The dataset's description; NotFound if absent (or, with `ready`, still ingesting)."""
    try:
        data = documents.get(DATASETS.name, name).data
    except (NotFound, ValueError):
        raise NotFound(f"dataset {name!r} not found") from None
    if ready and data.get("status") != READY:
        raise NotFound(f"dataset {name!r} is not ready (status {data.get('status')!r})")
    return data


def list_datasets(
    documents: DocumentStore, *, limit: int = 100, page_token: str | None = None
) -> Page[Document]:
    return documents.scan(DATASETS.name, limit=limit, page_token=page_token)


def list_records(
    documents: DocumentStore,
    name: str,
    *,
    unlabelled: bool = False,
    limit: int = 100,
    page_token: str | None = None,
) -> Page[Document]:
    """A dataset's records by record id; with `unlabelled`, only those without a label."""
    field_name = "unlabelled" if unlabelled else "dataset"
    return documents.query(RECORDS.name, field_name, name, limit=limit, page_token=page_token)


def iter_records(documents: DocumentStore, name: str) -> Iterator[Document]:
    """Every record of the dataset, by record id."""
    return documents.iter_query(RECORDS.name, "dataset", name, page_size=RECORD_PAGE)


def get_record(documents: DocumentStore, dataset: str, record_id: str) -> dict[str, Any]:
    """One record; NotFound (naming the dataset and the record) if it has none by that id."""
    try:
        return documents.get(RECORDS.name, record_doc_id(dataset, record_id)).data
    except (NotFound, ValueError):
        raise NotFound(f"dataset {dataset!r} has no record {record_id!r}") from None


def download(blobs: BlobStore, key: str, local: IO[bytes]) -> None:
    """Copy a stored file into a local one, left at its start. Read from the copy: a cloud
    SDK's stream may close itself at its end, which a text wrapper reading ahead does not
    expect."""
    with blobs.open(key) as stream:
        while chunk := stream.read(DOWNLOAD_CHUNK_BYTES):
            local.write(chunk)
    local.seek(0)


def get_records(
    documents: DocumentStore, dataset: str, record_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The records among `record_ids` that the dataset has, by record id (an id it has no
    record for, or that cannot be one, is simply absent), read in batches."""
    wanted: dict[str, str] = {}
    for record_id in dict.fromkeys(record_ids):
        doc_id = record_doc_id(dataset, record_id)
        try:
            check_doc_id(doc_id)
        except ValueError:
            continue  # no record can have this id
        wanted[doc_id] = record_id
    doc_ids = list(wanted)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(doc_ids), MAX_PAGE_LIMIT):
        docs = documents.get_many(RECORDS.name, doc_ids[start : start + MAX_PAGE_LIMIT])
        found.update((wanted[doc_id], doc.data) for doc_id, doc in docs.items())
    return found


def source_ref(dataset: Mapping[str, Any]) -> DatasetRef:
    """The uploaded file as a batch_predict input (its target only if the file has it)."""
    columns = [c["name"] for c in dataset["columns"]]
    target = dataset.get("target")
    return DatasetRef(
        key=dataset["key"],
        name=dataset["name"],
        target=target if target in columns else None,
        id_column=dataset.get("id_column"),
        task=dataset.get("task"),
        revision=dataset.get("revision"),
    )
