"""Request and response bodies: every route declares its response model, so the OpenAPI
document is the contract schemathesis checks responses against. Name patterns come from
runtime.names, so the API refuses exactly the names the runtime would."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from runtime.labels import LABEL_SCHEMA
from runtime.names import JobId, Name, VersionNumber

Scalar = str | int | float | bool | None
Label = str | int | float | bool
# A label as a request gives it: the schema states runtime.labels.check_label's rules.
LabelValue = Annotated[Label, WithJsonSchema(LABEL_SCHEMA)]


class Strict(BaseModel):
    """A request body: no unknown fields, and no value coerced from another JSON type (`0`
    is not `false`, `"3"` not `3`): what the published schema allows, nothing more."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


class Column(BaseModel):
    name: str
    kind: str
    missing: int


NEW_CLASS = Field(
    False,
    description="Classification only: a label outside the dataset's label set adds it as a "
    "new class (without this, such a label is refused with 422 naming the allowed values).",
)


class DatasetOut(BaseModel):
    name: str
    key: str
    sha256: str
    size: int
    target: str | None
    id_column: str | None
    model: str
    columns: list[Column]
    rows: int
    labelled: int
    label_counts: dict[str, int] | None
    task: str | None = Field(
        None, description="classification or regression (null: no target, or an old dataset)."
    )
    task_source: str | None = Field(
        None, description="How the task was decided: stated, inferred, or default (no labels)."
    )
    classes: list[str] | None = Field(
        None, description="Classification: the label set, the only labels accepted."
    )
    labels_since_train: int
    revision: int = Field(1, description="Which file of the dataset: 1 at upload, +1 per append.")
    status: str
    created_at: str
    updated_at: str


class DatasetPage(BaseModel):
    items: list[DatasetOut]
    next_token: str | None


class Suggestion(BaseModel):
    value: Scalar = Field(description="The label the dataset's model predicted.")
    confidence: float | None = Field(
        None, description="Its probability (classification); null for regression."
    )
    model: str
    version: int | None = Field(None, description="The model version that predicted it.")
    predicted_at: str | None = None


class RecordOut(BaseModel):
    record_id: str
    row: int
    values: dict[str, str]
    label: Label | None
    label_source: str | None
    labelled_by: str | None
    labelled_at: str | None
    suggestion: Suggestion | None = Field(
        None,
        description="The record's stored prediction by the dataset's model (a batch_predict "
        "job writes them, for example after each training), if any.",
    )


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_token: str | None


class DatasetPreview(BaseModel):
    name: str
    items: list[RecordOut] = Field(description="The first rows, in file order, as records.")


class TopValue(BaseModel):
    value: str
    count: int


class ColumnStats(BaseModel):
    name: str
    kind: str = Field(description="numeric, categorical, or empty (every value missing).")
    missing: int
    count: int = Field(description="Rows with a value.")
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    distinct: int | None = Field(
        None, description="Categorical: how many distinct values (null: more than 10000)."
    )
    top: list[TopValue] | None = Field(None, description="Categorical: the most frequent values.")


class TargetStats(BaseModel):
    column: str | None
    task: str | None
    labelled: int | None
    label_counts: dict[str, int] | None


class DatasetStats(BaseModel):
    name: str
    sha256: str = Field(description="The file the statistics are of.")
    rows: int
    columns: list[ColumnStats]
    target: TargetStats


class DatasetDeleted(BaseModel):
    name: str
    records: int
    annotations: int
    predictions: int
    files: int
    snapshots_kept: int = Field(
        description="Training snapshots kept because model versions name them."
    )


class LabelIn(Strict):
    label: LabelValue
    new_class: bool = NEW_CLASS


class RecordLabelIn(Strict):
    record_id: str = Field(min_length=1, max_length=400)
    label: LabelValue


# The most items a batch may hold: `max_batch_rows`, a setting (runtime.api.openapi).
BATCH: dict[str, Any] = {"x-max-items-setting": "max_batch_rows"}


class BulkLabelsIn(Strict):
    labels: list[RecordLabelIn] = Field(min_length=1, json_schema_extra=BATCH)
    new_class: bool = NEW_CLASS


class JobOut(BaseModel):
    id: str
    type: str
    state: str
    attempts: int
    last_error: str | None
    worker_id: str | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    created_by: str | None = None
    # The data a train job trains on, recorded by its first delivery (a DatasetRef).
    snapshot: dict[str, Any] | None = None


class JobPage(BaseModel):
    items: list[JobOut]
    next_token: str | None


class LabelsOut(BaseModel):
    records: list[RecordOut]
    retrain_job: JobOut | None


class AnnotationOut(BaseModel):
    record_id: str
    label: Label
    previous: Label | None
    by: str
    key_id: str | None = None
    at: str


class AnnotationPage(BaseModel):
    items: list[AnnotationOut]
    next_token: str | None


class RetrainIn(Strict):
    model: Name | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    job_id: JobId | None = None


# The bodies of POST /jobs are the job types' own requests (runtime.handlers).


class Artifact(BaseModel):
    key: str
    sha256: str
    size: int


class CardRows(BaseModel):
    training: int | None = Field(None, description="Rows the model was fitted on.")
    evaluation: int | None = Field(None, description="Held-out rows the card evaluates on.")


class ClassMetrics(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    class_: str = Field(alias="class")
    precision: float
    recall: float
    f1: float
    support: int


class CardClassification(BaseModel):
    classes: list[str] = Field(description="The matrix's classes, in its row/column order.")
    classes_total: int = Field(description="Classes seen; above 50 only the most frequent.")
    per_class: list[ClassMetrics]
    confusion_matrix: list[list[int]] = Field(
        description="Rows: true class, columns: predicted class, counts of held-out rows."
    )


class CardHistogram(BaseModel):
    edges: list[float]
    counts: list[int]


class CardRegression(BaseModel):
    residuals: dict[str, float] = Field(
        description="True minus predicted: count, mean, std, mae, rmse, min, p05, p25, "
        "median, p75, p95, max."
    )
    histogram: CardHistogram


class FeatureImportance(BaseModel):
    name: str
    mean: float = Field(description="Mean drop of the score when the feature is shuffled.")
    std: float


class CardImportance(BaseModel):
    metric: str
    baseline: float
    rows: int
    repeats: int
    features_total: int
    features: list[FeatureImportance] = Field(description="The top features, most important first.")


class ModelCard(BaseModel):
    schema_: int = Field(alias="schema")
    task: str
    params: dict[str, Any]
    dataset: dict[str, Any] = Field(description="The dataset snapshot it was trained on.")
    metrics: dict[str, float | None]
    rows: CardRows
    classification: CardClassification | None = None
    regression: CardRegression | None = None
    importance: CardImportance | None = None
    note: str | None = None
    seconds: float = Field(description="Time spent computing the card at training.")


class VersionOut(BaseModel):
    model: str
    version: int
    metrics: dict[str, float | None]
    params: dict[str, Any]
    trainer: str
    format: str
    dataset: dict[str, Any]
    artifact: Artifact
    input_schema: dict[str, Any]
    created_at: str
    job_id: str | None = None
    card: ModelCard | None = Field(
        None, description="The model card (one version's GET only; null for older versions)."
    )


class VersionPage(BaseModel):
    items: list[VersionOut]
    next_token: str | None


class AliasOut(BaseModel):
    model: str
    alias: str
    version: int
    previous: int | None


class AliasList(BaseModel):
    items: list[AliasOut]


class AliasMove(BaseModel):
    from_version: int | None
    to_version: int
    at: str
    reason: str
    key_id: str | None = None
    kind: str = Field("move", description="rollback, or move (any other move).")


class AliasHistory(BaseModel):
    items: list[AliasMove]


class MoveAliasIn(Strict):
    version: VersionNumber
    expected_version: VersionNumber | None = Field(
        None, description="The version the alias holds now (null: it must not exist)."
    )
    reason: str = Field("", max_length=500)


class RollbackIn(Strict):
    expected_version: VersionNumber = Field(description="The version the alias holds now.")
    reason: str = Field("rollback", max_length=500)
    to_version: VersionNumber | None = Field(
        None,
        description="Go straight back to this version, one the alias held before (default: "
        "one step back through the alias's history; repeated rollbacks walk further back).",
    )


ROW = (
    "Every feature of the version's input schema, and nothing else; null is a missing value. "
    "A numeric feature takes a number; a categorical one a string (a number is compared as "
    'its text). A boolean feature (categories "False" and "True") takes true or false, or '
    'the text "true"/"True"/"TRUE" or "false"/"False"/"FALSE"; anything else (1, "yes") is '
    "refused (422), as is a row that does not fit, naming the row's index and the feature."
)


class PredictIn(Strict):
    row: dict[str, Scalar] = Field(description=ROW)


class BatchPredictIn(Strict):
    rows: list[dict[str, Scalar]] = Field(
        min_length=1, json_schema_extra=BATCH, description=f"Rows, each as `row`: {ROW}"
    )


class Prediction(BaseModel):
    value: Scalar
    probabilities: dict[str, float] | None = None


class PredictByIdIn(Strict):
    record_ids: list[str] = Field(
        min_length=1, json_schema_extra=BATCH, description="Ids of records of the dataset."
    )
    dataset: Name | None = Field(
        None, description="Whose records (default: the dataset the version was trained on)."
    )


class RecordPrediction(Prediction):
    record_id: str


class PredictByIdOut(BaseModel):
    model: str
    version: int
    dataset: str
    predictions: list[RecordPrediction] = Field(
        description="The records found, in the order asked (each id once)."
    )
    missing: list[str] = Field(description="Ids the dataset has no record for.")


class PredictOut(Prediction):
    model: str
    version: int


class BatchPredictOut(BaseModel):
    model: str
    version: int
    predictions: list[Prediction]


class StoredPrediction(BaseModel):
    dataset: str
    record_id: str
    model: str
    version: int
    value: Scalar
    probabilities: dict[str, float] | None = None
    confidence: float | None = None
    predicted_at: str


class StoredPredictionPage(BaseModel):
    items: list[StoredPrediction]
    next_token: str | None


class LookupIn(Strict):
    record_ids: list[str] = Field(min_length=1, json_schema_extra=BATCH)


class LookupOut(BaseModel):
    found: list[StoredPrediction]
    missing: list[str]
