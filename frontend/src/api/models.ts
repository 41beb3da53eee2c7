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

export function isTerminal(state: JobState): boolean {
  return IS_TERMINAL[state];
}

/** Highest first, as the upload form lists them; the keys are exactly the generated priority union. */
const PRIORITY_RANK = { HIGH: 0, MEDIUM: 1, LOW: 2 } as const satisfies Record<Priority, number>;

export const PRIORITIES = Object.keys(PRIORITY_RANK) as readonly Priority[];
