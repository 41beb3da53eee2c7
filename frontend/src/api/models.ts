/**
 * The API's types under the names the page uses, all taken from the client generated from the backend's OpenAPI
 * document (`src/api/generated/openapi.ts`, `npm run generate:api`). Nothing here restates a field by hand: a field
 * renamed or removed on the server breaks `npm run typecheck` wherever the page reads it.
 */
import type { components } from './generated/openapi';

type Schemas = components['schemas'];

/** GET /jobs/{job_id}: a job with its events. */
export type Job = Schemas['JobDetail'];
/** One item of GET /jobs: a job without its events. */
export type JobSummary = Schemas['JobSummary'];
/** GET /jobs. */
export type JobList = Schemas['JobList'];
export type JobEvent = Schemas['JobEventOut'];
export type JobState = Schemas['JobState'];
/** ingest (a file's rows into Druid), compaction, retraction (operations on rows already there). */
export type JobKind = Schemas['JobKind'];
export type JobOptions = Schemas['JobOptions'];
export type OnInvalid = Schemas['OnInvalid'];
export type IngestMode = Schemas['Mode'];
/** The priority is an inline enum in the document (HIGH, MEDIUM, LOW), so it is read off a schema that has it. */
export type Priority = JobSummary['priority'];
export type RowError = Schemas['RowErrorOut'];
/** GET /jobs/{job_id}/errors. */
export type ErrorList = Schemas['ErrorList'];
export type Datasource = Schemas['DatasourceOut'];
export type DatasourceColumn = Schemas['DatasourceColumn'];
/** GET /datasources. */
export type DatasourceList = Schemas['DatasourceList'];
/** 202 from POST /uploads. */
export type UploadAccepted = Schemas['UploadAccepted'];

/** GET/PATCH/DELETE /datasources/{name}, 201 from POST /datasources: a datasource with its current version whole. */
export type DatasourceDetail = Schemas['DatasourceDetail'];
/** POST /datasources: a name, settings and the first version's definition. */
export type DatasourceIn = Schemas['DatasourceIn'];
export type DatasourcePatch = Schemas['DatasourcePatch'];
export type JobCounts = Schemas['JobCountsOut'];
export type CompatibilityMode = Schemas['CompatibilityMode'];
/** A definition as the API sends it (columns with their ids), and as a client sends one (ids ignored). */
export type SchemaDefinition = Schemas['SchemaDefinitionOut'];
export type SchemaDefinitionIn = Schemas['SchemaDefinitionIn'];
export type SchemaColumn = Schemas['ColumnOut'];
export type ColumnIn = Schemas['ColumnIn'];
export type ColumnType = SchemaColumn['type'];
export type Rule = Schemas['RuleOut'];
export type RuleKind = Rule['kind'];
export type RowCheck = Schemas['RowCheckOut'];
export type Granularity = Schemas['GranularityOut'];
export type Rollup = Schemas['RollupOut'];
export type Partitioning = Schemas['PartitioningOut'];
export type SegmentGranularity = Granularity['segment'];
export type QueryGranularity = Granularity['query'];
/** GET /datasources/{name}/schemas/{version}: one version, whole. */
export type SchemaVersion = Schemas['SchemaVersionOut'];
/** GET /datasources/{name}/schemas. */
export type SchemaVersionList = Schemas['SchemaVersionList'];
export type SchemaVersionSummary = Schemas['SchemaVersionSummary'];
/** 201 (a new version) or 200 (identical to the current one) from POST /schemas and POST /schemas/{v}/restore. */
export type RegisteredVersion = Schemas['RegisteredVersion'];
/** POST /datasources/{name}/schemas/check: the dry run. */
export type CompatibilityCheck = Schemas['CompatibilityCheck'];
export type DruidChanges = Schemas['DruidChanges'];
/** One change between two versions; `kind` is one of CHANGE_KINDS (the document types it as a string). */
export type SchemaChange = Schemas['ChangeOut'];
export type Violation = Schemas['ViolationOut'];
/** GET /datasources/{name}/schemas/{a}/diff/{b}. */
export type SchemaDiff = Schemas['SchemaDiff'];
/** POST /datasources/infer: a proposal from a sample file. */
export type InferProposal = Schemas['InferProposal'];
export type InferredColumn = Schemas['InferredColumn'];
export type InferWarning = Schemas['InferWarning'];
export type ColumnStats = Schemas['ColumnStats'];

/**
 * The form fields the page sends with a file. POST /uploads reads its multipart body as a stream, so the document
 * has no request schema for it; the values are the generated enums.
 */
export interface UploadFields {
  datasource: string;
  on_invalid: OnInvalid;
  mode: IngestMode;
  priority: Priority;
}

/**
 * Every job state, in the order of a job's life, and whether it is final. `satisfies` makes the keys exactly the
 * generated union: a state added to (or removed from) the server's `JobState` fails `npm run typecheck` here until
 * the page decides whether it is terminal.
 */
const IS_TERMINAL = {
  queued: false,
  validating: false,
  staging: false,
  submitting: false,
  indexing: false,
  succeeded: true,
  rejected: true,
  failed: true,
  cancelled: true,
} as const satisfies Record<JobState, boolean>;

export const JOB_STATES = Object.keys(IS_TERMINAL) as readonly JobState[];

export const TERMINAL_STATES: readonly JobState[] = JOB_STATES.filter((state) => IS_TERMINAL[state]);

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && Object.hasOwn(IS_TERMINAL, value);
}

/** Every job kind with how the page names it; `satisfies` makes a kind added on the server fail typecheck here. */
const KIND_LABELS = {
  ingest: 'Upload',
  compaction: 'Compaction',
  retraction: 'Retraction',
} as const satisfies Record<JobKind, string>;

export const JOB_KINDS = Object.keys(KIND_LABELS) as readonly JobKind[];

export function isJobKind(value: unknown): value is JobKind {
  return typeof value === 'string' && Object.hasOwn(KIND_LABELS, value);
}

export function kindLabel(kind: JobKind): string {
  return KIND_LABELS[kind];
}

export function isTerminal(state: JobState): boolean {
  return IS_TERMINAL[state];
}

/** Highest first, as the upload form lists them; the keys are exactly the generated priority union. */
const PRIORITY_RANK = { HIGH: 0, MEDIUM: 1, LOW: 2 } as const satisfies Record<Priority, number>;

export const PRIORITIES = Object.keys(PRIORITY_RANK) as readonly Priority[];

/** Column types in the order the page offers them; the keys are exactly the generated union. */
const COLUMN_TYPE_WORDS = {
  string: 'text',
  long: 'whole number',
  double: 'decimal number',
  timestamp: 'date and time',
} as const satisfies Record<ColumnType, string>;

export const COLUMN_TYPES = Object.keys(COLUMN_TYPE_WORDS) as readonly ColumnType[];

export function columnTypeWords(type: ColumnType): string {
  return COLUMN_TYPE_WORDS[type];
}

/** The compatibility modes, each said for a person; BACKWARD is the server's default. */
const COMPATIBILITY_HELP = {
  BACKWARD: 'Rows valid under the current version stay valid under the new one.',
  BACKWARD_TRANSITIVE: 'Rows valid under any earlier version stay valid under the new one.',
  FORWARD: 'Rows valid under the new version are valid under the current one too.',
  FULL: 'Both BACKWARD and FORWARD: only changes every version accepts.',
  NONE: 'Any change is accepted.',
} as const satisfies Record<CompatibilityMode, string>;

export const COMPATIBILITY_MODES = Object.keys(COMPATIBILITY_HELP) as readonly CompatibilityMode[];
export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'BACKWARD';

export function compatibilityHelp(mode: CompatibilityMode): string {
  return COMPATIBILITY_HELP[mode];
}

const SEGMENT_ORDER = { HOUR: 0, DAY: 1, WEEK: 2, MONTH: 3, YEAR: 4 } as const satisfies Record<SegmentGranularity, number>;
const QUERY_ORDER = { NONE: 0, SECOND: 1, MINUTE: 2, HOUR: 3, DAY: 4 } as const satisfies Record<QueryGranularity, number>;

export const SEGMENT_GRANULARITIES = Object.keys(SEGMENT_ORDER) as readonly SegmentGranularity[];
export const QUERY_GRANULARITIES = Object.keys(QUERY_ORDER) as readonly QueryGranularity[];
export const DEFAULT_GRANULARITY: Granularity = { segment: 'DAY', query: 'NONE' };

/** GET /auth/me and 200 from POST /auth/login: the caller, with a role per datasource. */
export type Me = Schemas['Me'];
export type Role = Schemas['Role'];
export type User = Schemas['UserOut'];
export type ApiKey = Schemas['KeyOut'];
/** 201 from POST /keys: the key with its secret, shown this once. */
export type ApiKeyCreated = Schemas['KeyCreated'];
export type AuditEvent = Schemas['AuditEventOut'];
export type AuditList = Schemas['AuditList'];
export type SegmentsHealth = Schemas['SegmentsOut'];
export type ChunkHealth = Schemas['ChunkOut'];
