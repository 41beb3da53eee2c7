/**
 * The HTTP contract of the druid-ingest API (base path /api/v1), written by hand.
 *
 * `npm run check:api -- <url or openapi.json>` compares these interfaces with the backend's OpenAPI schemas
 * (see scripts/check-api.mjs). Keep one interface per response body; a property marked `?` is one the server
 * may leave out, `| null` one it sends as null.
 */

export const JOB_STATES = [
  'queued',
  'validating',
  'staging',
  'submitting',
  'indexing',
  'succeeded',
  'rejected',
  'failed',
  'cancelled',
] as const;

export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'rejected', 'failed', 'cancelled'];

export const PRIORITIES = ['HIGH', 'MEDIUM', 'LOW'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type OnInvalid = 'reject' | 'skip';
export type IngestMode = 'append' | 'replace';

/** Every error body the API sends. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export interface JobOptions {
  on_invalid: OnInvalid;
  mode: IngestMode;
}

/** 202 from POST /uploads. */
export interface UploadAccepted {
  job_id: string;
  state: JobState;
  datasource: string;
  filename: string;
  /** The format the first bytes show (csv, xlsx, ...). */
  format: string | null;
  size_bytes: number;
  sha256: string;
  priority: Priority;
  options: JobOptions;
  /** e.g. {"self": "/api/v1/jobs/<id>", "errors": "/api/v1/jobs/<id>/errors"} */
  links: Record<string, string>;
}

/** Druid's row counters for the ingestion task, e.g. {"processed": 3000, "processedWithError": 0, ...}. */
export type DruidRowStats = Record<string, unknown>;

export interface JobEvent {
  state: string;
  at: string;
  message: string;
  details: Record<string, unknown>;
}

/** One item of GET /jobs: a job without its events. */
export interface JobSummary {
  job_id: string;
  state: JobState;
  code: string | null;
  message: string | null;
  datasource: string;
  filename: string;
  format: string | null;
  size_bytes: number;
  sha256: string;
  priority: Priority;
  options: JobOptions;
  rows_total: number | null;
  rows_valid: number | null;
  rows_invalid: number | null;
  progress: number;
  druid_task_id: string | null;
  druid_row_stats: DruidRowStats | null;
  /** The receipt: how many rows Druid SQL returned for this job. */
  druid_rows: number | null;
  attempt: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** GET /jobs/{id}. */
export interface Job extends JobSummary {
  events: JobEvent[];
}

/** GET /jobs. */
export interface JobList {
  total: number;
  items: JobSummary[];
}

export interface RowError {
  row: number;
  column: string;
  rule: string;
  value: string | null;
  message: string;
}

/** GET /jobs/{id}/errors. */
export interface ErrorList {
  total: number;
  items: RowError[];
}

export interface DatasourceColumn {
  name: string;
  type: string;
  required: boolean;
}

export interface Datasource {
  name: string;
  druid_datasource: string;
  schema_version: number;
  columns: DatasourceColumn[];
}

/** GET /datasources. */
export interface DatasourceList {
  items: Datasource[];
}

export interface UploadFields {
  datasource: string;
  on_invalid: OnInvalid;
  mode: IngestMode;
  priority: Priority;
}

export function isTerminal(state: JobState | string): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}
