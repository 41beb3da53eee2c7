import createClient from 'openapi-fetch';
import type { paths } from './generated/openapi';
import { withCsrf } from './session';
import {
  COMPATIBILITY_MODES,
  isJobState,
  type CompatibilityMode,
  type DatasourceIn,
  type DatasourcePatch,
  type JobKind,
  type JobState,
  type SchemaChange,
  type SchemaDefinitionIn,
  type Violation,
} from './models';

/**
 * The typed fetch client: paths, parameters and answers all come from the generated `paths`, so a call to a path
 * or with a parameter the server does not have fails `npm run typecheck`. The paths already start with /api/v1.
 */
export const http = createClient<paths>({
  baseUrl: '',
  headers: { Accept: 'application/json' },
  // Looked up on each call rather than captured once, so a test's stubbed fetch is the one used.
  fetch: (request) => globalThis.fetch(request),
});

// Every state-changing request of a cookie session carries the anti-forgery header (src/api/session.ts).
http.use({ onRequest: ({ request }) => withCsrf(request) });

const UPLOADS_PATH = '/api/v1/uploads' satisfies keyof paths;
const REJECTS_PATH = '/api/v1/jobs/{job_id}/rejects' satisfies keyof paths;

/** Where the XHR upload posts (src/api/upload.ts); a path the generated document has. */
export const UPLOAD_URL: string = UPLOADS_PATH;

/**
 * The `details` fields the server sends, by the code that sends them (backend/api/error_handlers.py, and each
 * `IngestError(..., details)` in backend/). The document types `details` as a free-form object, so this is the one
 * place that names them; `parseErrorBody` keeps each one only when it has the type written here.
 */
export interface ErrorDetails {
  /** file_too_large: the largest upload the server accepts, in bytes. */
  limit_bytes?: number;
  /** duplicate_upload: the earlier job that has these bytes; not_found: the job asked for. */
  job_id?: string;
  /** duplicate_upload: the state of the earlier job; conflict (cancel, retry): the job's state. */
  state?: JobState;
  /** duplicate_upload: the file's SHA-256 (hex). */
  sha256?: string;
  /** invalid_field, missing_file, unknown_datasource: the form field at fault. */
  field?: string;
  /** invalid_field from request validation (query or path parameters): every field at fault. */
  fields?: string[];
  /** unknown_datasource: the name that was sent. */
  datasource?: string;
  /** unsupported_format: the formats the server reads, in words. */
  supported?: string;
  /**
   * invalid_schema and invalid_field: every problem, at its path in the body sent (`columns[3].rules[0].regex`,
   * `name`, `time_column`).
   */
  problems?: Problem[];
  /** incompatible_schema: what the datasource's compatibility mode forbids in the version sent. */
  violations?: Violation[];
  /** incompatible_schema: every change the version sent makes. */
  changes?: SchemaChange[];
  /** incompatible_schema: the datasource's mode. */
  compatibility?: CompatibilityMode;
  /** not_found for a schema version: the version asked for. */
  version?: number;
}

/** One problem of a 422 invalid_schema or invalid_field: where in the body, and what is wrong there. */
export interface Problem {
  path: string;
  message: string;
}

/** Every error body the API sends: `{code, message, details}`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details: ErrorDetails;
}

/** A refusal from the API (status >= 400) or a request that never got an answer (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(status: number, body: ApiErrorBody, options?: ErrorOptions) {
    super(body.message, options);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isStringOrNull = (v: unknown): v is string | null => v === null || isString(v);

/** A list whose every item is an object with these string fields (and `nullable` ones that may be null). */
function listOf<T>(strings: string[], nullable: string[] = []) {
  return (v: unknown): v is T[] =>
    Array.isArray(v) &&
    v.every(
      (item) => isRecord(item) && strings.every((k) => isString(item[k])) && nullable.every((k) => isStringOrNull(item[k])),
    );
}

const isCompatibility = (v: unknown): v is CompatibilityMode =>
  isString(v) && (COMPATIBILITY_MODES as readonly string[]).includes(v);

/** One check per field of ErrorDetails; the mapped type makes a field without a check a compile error. */
const DETAIL_CHECKS: { [K in keyof ErrorDetails]-?: (value: unknown) => value is NonNullable<ErrorDetails[K]> } = {
  limit_bytes: isNumber,
  job_id: isString,
  state: isJobState,
  sha256: isString,
  field: isString,
  fields: isStringArray,
  datasource: isString,
  supported: isString,
  problems: listOf<Problem>(['path', 'message']),
  violations: listOf<Violation>(['kind', 'reason'], ['column']),
  changes: listOf<SchemaChange>(['kind', 'description'], ['column']),
  compatibility: isCompatibility,
  version: isNumber,
};

function readDetails(raw: unknown): ErrorDetails {
  const details: Record<string, unknown> = {};
  if (!isRecord(raw)) return details;
  for (const [key, check] of Object.entries(DETAIL_CHECKS)) {
    if (check(raw[key])) details[key] = raw[key];
  }
  return details as ErrorDetails;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The one reader of error bodies, for the fetch client and the XHR upload alike. `body` is the answer's text or its
 * parsed JSON. A proxy's HTML page or an empty body still gives a usable message.
 */
export function parseErrorBody(status: number, statusText: string, body: unknown): ApiErrorBody {
  const parsed = typeof body === 'string' ? parseJson(body) : body;
  if (isRecord(parsed) && typeof parsed.message === 'string') {
    return {
      code: typeof parsed.code === 'string' ? parsed.code : `http_${status}`,
      message: parsed.message,
      details: readDetails(parsed.details),
    };
  }
  // FastAPI's own validation errors, {"detail": [...]} or {"detail": "..."}: what the document declares for 422
  // (HTTPValidationError), although this server answers them as {code, message, details} too.
  if (isRecord(parsed) && 'detail' in parsed) {
    const detail = parsed.detail;
    const message =
      typeof detail === 'string'
        ? detail
        : Array.isArray(detail)
          ? detail.map((d: unknown) => (isRecord(d) && isString(d.msg) ? d.msg : JSON.stringify(d))).join('; ')
          : JSON.stringify(detail);
    return { code: `http_${status}`, message, details: {} };
  }
  return {
    code: `http_${status}`,
    message: `The server answered ${status}${statusText ? ` ${statusText}` : ''}.`,
    details: {},
  };
}

/** The answer of an openapi-fetch call: its body, or an ApiError carrying the parsed error body. */
export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (cause) {
    throw new ApiError(
      0,
      { code: 'network_error', message: 'Could not reach the server. Check your connection and try again.', details: {} },
      { cause },
    );
  }
  const { response } = result;
  if (!response.ok) throw new ApiError(response.status, parseErrorBody(response.status, response.statusText, result.error));
  if (result.data === undefined) {
    throw new ApiError(response.status, { code: 'bad_response', message: 'The server sent an empty answer.', details: {} });
  }
  return result.data;
}

export interface JobListParams {
  state?: JobState | '';
  kind?: JobKind | '';
  datasource?: string;
  limit: number;
  offset: number;
}

/** What POST /datasources/infer reads besides the file. */
export interface InferOptions {
  time_column?: string;
  max_rows?: number;
}

/** The multipart body of POST /datasources/infer (the document types the file as a binary string). */
function inferForm(file: File, options: InferOptions): FormData {
  const form = new FormData();
  if (options.time_column) form.append('time_column', options.time_column);
  if (options.max_rows !== undefined) form.append('max_rows', String(options.max_rows));
  form.append('file', file, file.name);
  return form;
}

const byName = (name: string) => ({ path: { name } });

export const api = {
  datasources: (signal?: AbortSignal, includeDeleted = false) =>
    answer(
      http.GET('/api/v1/datasources', {
        params: { query: includeDeleted ? { include_deleted: true } : {} },
        signal,
      }),
    ),
  datasource: (name: string, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}', { params: byName(name), signal })),
  createDatasource: (body: DatasourceIn) => answer(http.POST('/api/v1/datasources', { body })),
  updateDatasource: (name: string, body: DatasourcePatch) =>
    answer(http.PATCH('/api/v1/datasources/{name}', { params: byName(name), body })),
  deleteDatasource: (name: string) => answer(http.DELETE('/api/v1/datasources/{name}', { params: byName(name) })),
  /** Segments per time chunk with a verdict each (Druid's sys.segments). */
  segments: (name: string, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}/segments', { params: byName(name), signal })),
  /** Druid's automatic compaction of the datasource, as the Coordinator holds it. */
  autoCompaction: (name: string, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}/auto-compaction', { params: byName(name), signal })),
  setAutoCompaction: (name: string, enabled: boolean) =>
    answer(http.PUT('/api/v1/datasources/{name}/auto-compaction', { params: byName(name), body: { enabled, skip_offset_hours: 24 } })),
  schemaVersions: (name: string, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}/schemas', { params: byName(name), signal })),
  schemaVersion: (name: string, version: number, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}/schemas/{version}', { params: { path: { name, version } }, signal })),
  /** 201 with the new version, or 200 with the current one when the definition is identical to it. */
  registerSchema: (name: string, body: SchemaDefinitionIn) =>
    answer(http.POST('/api/v1/datasources/{name}/schemas', { params: byName(name), body })),
  checkSchema: (name: string, body: SchemaDefinitionIn) =>
    answer(http.POST('/api/v1/datasources/{name}/schemas/check', { params: byName(name), body })),
  schemaDiff: (name: string, a: number, b: number, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}/schemas/{a}/diff/{b}', { params: { path: { name, a, b } }, signal })),
  restoreSchema: (name: string, version: number) =>
    answer(http.POST('/api/v1/datasources/{name}/schemas/{version}/restore', { params: { path: { name, version } } })),
  infer: (file: File, options: InferOptions = {}, signal?: AbortSignal) =>
    answer(
      http.POST('/api/v1/datasources/infer', {
        // The form is built by the serializer; the typed body only says which fields it has.
        body: { file: file.name, ...options },
        bodySerializer: () => inferForm(file, options),
        signal,
      }),
    ),
  jobs: ({ state, kind, datasource, limit, offset }: JobListParams, signal?: AbortSignal) =>
    answer(
      http.GET('/api/v1/jobs', {
        // An empty filter is no filter: leave it out of the query rather than send `state=`.
        params: {
          query: { state: state || undefined, kind: kind || undefined, datasource: datasource || undefined, limit, offset },
        },
        signal,
      }),
    ),
  /** 202 with the new retraction job. */
  retractJob: (id: string) => answer(http.POST('/api/v1/jobs/{job_id}/retract', { params: { path: { job_id: id } } })),
  /** 202 with the new compaction job of the datasource's fragmented chunks. */
  compact: (name: string) => answer(http.POST('/api/v1/datasources/{name}/compact', { params: byName(name), body: {} })),
  job: (id: string, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/jobs/{job_id}', { params: { path: { job_id: id } }, signal })),
  errors: (id: string, limit: number, offset: number, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/jobs/{job_id}/errors', { params: { path: { job_id: id }, query: { limit, offset } }, signal })),
};

/** The rejected rows as CSV: a download link, not a fetch. */
export function rejectsUrl(jobId: string): string {
  return REJECTS_PATH.replace('{job_id}', encodeURIComponent(jobId));
}
