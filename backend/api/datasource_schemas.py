"""Request and response bodies of the datasource and schema registry routes (a public contract).

Request bodies are typed loosely enough that every problem with a definition is found by one reader
(backend.schema.codec), which names each problem's exact path; the models here give the OpenAPI document and the
generated client their shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat

from backend.pipeline.registry import NAME_PATTERN
from backend.schema.evolution import CompatibilityMode

ColumnTypeName = Literal["string", "long", "double", "timestamp"]
RuleKindName = Literal["not_blank", "unique", "one_of", "pattern", "min", "max", "not_in_future", "too_old"]
SegmentName = Literal["HOUR", "DAY", "WEEK", "MONTH", "YEAR"]
QueryName = Literal["NONE", "SECOND", "MINUTE", "HOUR", "DAY"]
AggregatorName = Literal["longSum", "doubleSum", "longMin", "longMax", "doubleMin", "doubleMax"]
PartitionTypeName = Literal["dynamic", "hashed", "range"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _optional(description: str) -> Any:
    """A rule parameter: a rule's JSON holds only the fields its kind uses, as the registry stores it."""
    return Field(default=None, description=description, exclude_if=lambda value: value is None)


class _Rule(BaseModel):
    kind: RuleKindName
    values: list[str] | None = _optional("one_of: the allowed values, case-sensitive")
    regex: str | None = _optional("pattern: the whole value must match (Rust regex syntax)")
    meaning: str | None = _optional("pattern: the regex said for a person")
    bound: StrictFloat | None = _optional("min / max: the bound")
    inclusive: StrictBool | None = _optional("min / max: whether the bound itself is allowed")
    earliest: str | None = _optional("too_old: ISO-8601 instant before which values are refused")


class RuleIn(_Strict, _Rule):
    pass


class ColumnIn(_Strict):
    name: str
    type: ColumnTypeName
    required: StrictBool = True
    rules: list[RuleIn] = Field(default_factory=list)
    id: int | None = Field(default=None, description="Ignored: the registry assigns column ids")


class RowCheckIn(_Strict):
    kind: Literal["product_equals"] = "product_equals"
    rule: str
    column: str
    factors: list[str]
    discounts: list[str] = Field(default_factory=list)
    tolerance: StrictFloat = 0.0


class GranularityIn(_Strict):
    segment: SegmentName = "DAY"
    query: QueryName = "NONE"


class MetricIn(_Strict):
    column: str = Field(description="A declared long or double column, stored as this metric under its own name")
    aggregator: AggregatorName = Field(description="long* take long columns; double* take long or double")


class RollupIn(_Strict):
    enabled: StrictBool = False
    metrics: list[MetricIn] = Field(default_factory=list, description="Required when enabled; the other columns "
                                    "but the time column are dimensions")
    count_metric: str = Field(default="count", description="The metric counting the rows each Druid row stands for")


class PartitioningIn(_Strict):
    type: PartitionTypeName = "dynamic"
    target_rows_per_segment: int | None = Field(
        default=None, ge=100, le=100_000_000,
        description="Default 5,000,000 (Druid's); hashed takes this or num_shards. Compaction aims at it too")
    dimensions: list[str] = Field(default_factory=list, description="hashed and range: the dimensions to hash, or "
                                  "sort and cut ranges by (range: string dimensions)")
    num_shards: int | None = Field(default=None, ge=1, le=1000, description="hashed only")


class SchemaDefinitionIn(_Strict):
    time_column: str
    columns: list[ColumnIn]
    row_checks: list[RowCheckIn] = Field(default_factory=list)
    granularity: GranularityIn | None = None
    rollup: RollupIn | None = Field(default=None, description="Default: off")
    partitioning: PartitioningIn | None = Field(default=None, description="Default: dynamic, 5,000,000 rows")

    def as_definition(self) -> dict[str, Any]:
        """JSON as backend.schema.codec reads it: absent fields left out, not sent as null."""
        return self.model_dump(exclude_none=True, include={"time_column", "columns", "row_checks", "granularity",
                                                           "rollup", "partitioning"})


class DatasourceIn(SchemaDefinitionIn):
    name: str = Field(pattern=NAME_PATTERN, description="Letters, digits, `_` and `-`; at most 128")
    description: str = Field(default="", max_length=2000)
    druid_datasource: str | None = Field(default=None, description="Default: the name")
    compatibility: CompatibilityMode = CompatibilityMode.BACKWARD


class DatasourcePatch(_Strict):
    description: str | None = Field(default=None, max_length=2000)
    compatibility: CompatibilityMode | None = None


class RuleOut(_Rule):
    pass


class ColumnOut(BaseModel):
    id: int
    name: str
    type: ColumnTypeName
    required: bool
    rules: list[RuleOut]


class RowCheckOut(BaseModel):
    kind: Literal["product_equals"]
    rule: str
    column: str
    factors: list[str]
    discounts: list[str]
    tolerance: float


class GranularityOut(BaseModel):
    segment: SegmentName
    query: QueryName


class MetricOut(BaseModel):
    column: str
    aggregator: AggregatorName


class RollupOut(BaseModel):
    enabled: bool
    metrics: list[MetricOut]
    count_metric: str


class PartitioningOut(BaseModel):
    type: PartitionTypeName
    target_rows_per_segment: int | None = _optional("dynamic and range; hashed unless num_shards is set")
    dimensions: list[str] | None = _optional("hashed and range")
    num_shards: int | None = _optional("hashed, when set instead of target_rows_per_segment")


class SchemaDefinitionOut(BaseModel):
    time_column: str
    columns: list[ColumnOut]
    row_checks: list[RowCheckOut]
    granularity: GranularityOut
    rollup: RollupOut
    partitioning: PartitioningOut


class ChangeOut(BaseModel):
    kind: str = Field(description="ADD_COLUMN, DROP_COLUMN, CHANGE_TYPE, MAKE_REQUIRED, MAKE_OPTIONAL, ADD_RULE, "
                      "REMOVE_RULE, CHANGE_RULE, ADD_ROW_CHECK, REMOVE_ROW_CHECK, CHANGE_TIME_COLUMN, "
                      "CHANGE_GRANULARITY, CHANGE_ROLLUP, CHANGE_PARTITIONING")
    column: str | None
    column_id: int | None
    description: str
    before: Any = None
    after: Any = None
    rule: str | None = None


class ViolationOut(BaseModel):
    kind: str
    column: str | None
    reason: str
    against_version: int | None = None


class SchemaVersionSummary(BaseModel):
    version: int
    created_at: datetime
    created_by: str
    summary: str = Field(description="What changed from the version before, in one line")
    restored_from: int | None


class SchemaVersionOut(SchemaVersionSummary):
    datasource: str
    changes: list[ChangeOut] = Field(description="The changes from the version before")
    definition: SchemaDefinitionOut


class SchemaVersionList(BaseModel):
    datasource: str
    current_version: int
    items: list[SchemaVersionSummary]


class RegisteredVersion(SchemaVersionOut):
    created: bool = Field(description="False when the definition was identical to the current version")


class DimensionOut(BaseModel):
    name: str
    type: str


class DimensionRetyped(BaseModel):
    name: str
    from_type: str = Field(alias="from")
    to_type: str = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class DruidChanges(BaseModel):
    dimensions_added: list[DimensionOut]
    dimensions_removed: list[DimensionOut]
    dimensions_retyped: list[DimensionRetyped]


class CompatibilityCheck(BaseModel):
    compatible: bool
    compatibility: CompatibilityMode
    current_version: int
    changes: list[ChangeOut]
    violations: list[ViolationOut]
    druid: DruidChanges


class SchemaDiff(BaseModel):
    datasource: str
    from_version: int
    to_version: int
    changes: list[ChangeOut]


class JobCountsOut(BaseModel):
    total: int
    by_state: dict[str, int]


class DatasourceColumn(BaseModel):
    name: str
    type: str
    required: bool


class DatasourceOut(BaseModel):
    name: str
    description: str
    druid_datasource: str
    schema_version: int = Field(description="The current schema version")
    version: int = Field(description="The current schema version (the same as schema_version)")
    compatibility: CompatibilityMode
    time_column: str
    columns: list[DatasourceColumn]
    jobs: JobCountsOut
    last_ingest_at: datetime | None = Field(description="When its last successful job finished")
    created_at: datetime
    updated_at: datetime
    deleted: bool
    deleted_at: datetime | None


class DatasourceList(BaseModel):
    items: list[DatasourceOut]


class DatasourceDetail(DatasourceOut):
    schema_: SchemaVersionOut = Field(alias="schema", description="The current version, whole")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ColumnStats(BaseModel):
    count: int = Field(description="Values present")
    nulls: int
    distinct: int
    min: Any = None
    max: Any = None
    examples: list[Any]


class ProposedDefinition(BaseModel):
    time_column: str | None = Field(description="null when no column of the sample reads as timestamps: pick one")
    columns: list[ColumnIn]
    row_checks: list[RowCheckIn]
    granularity: GranularityIn


class InferredColumn(BaseModel):
    name: str = Field(description="The name in the proposal (renamed when the file's is reserved; see warnings)")
    source_name: str = Field(description="The name in the file")
    type: ColumnTypeName
    formats: list[str] = Field(description="Timestamps: the forms the values are written in (ISO-8601 with or "
                               "without offset, a date, an Excel date cell, a Parquet timestamp or date)")
    required: bool
    suggested_rules: list[RuleOut]
    stats: ColumnStats | None = Field(description="null for a repeated header, which uploads cannot read")


class InferWarning(BaseModel):
    column: str | None
    message: str


class InferProposal(BaseModel):
    definition: ProposedDefinition = Field(description="A definition to edit and send to POST /api/v1/datasources")
    columns: list[InferredColumn]
    time_column: str | None
    rows_read: int
    truncated: bool = Field(description="The file has more rows than were read")
    sample_rows: list[dict[str, Any]]
    warnings: list[InferWarning]
    format: str
    filename: str | None
