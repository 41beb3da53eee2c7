import type { ApiErrorBody, DatasourceList, ErrorList, Job, JobList, JobState } from './types';

export const API_BASE = '/api/v1';

/** A refusal from the API (status >= 400) or a request that never got an answer (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the API's error body; a proxy's HTML page or an empty body still gives a usable message. */
export function parseErrorBody(status: number, statusText: string, text: string): ApiErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && typeof parsed.message === 'string') {
      return {
        code: typeof parsed.code === 'string' ? parsed.code : `http_${status}`,
        message: parsed.message,
        details: isRecord(parsed.details) ? parsed.details : {},
      };
    }
    // FastAPI's own validation errors: {"detail": [...]} or {"detail": "..."}.
    if (isRecord(parsed) && 'detail' in parsed) {
      const detail = parsed.detail;
      const message =
        typeof detail === 'string'
          ? detail
          : Array.isArray(detail)
            ? detail
                .map((d: unknown) => (isRecord(d) && typeof d.msg === 'string' ? d.msg : JSON.stringify(d)))
                .join('; ')
            : JSON.stringify(detail);
      return { code: `http_${status}`, message, details: { detail } };
    }
  } catch {
    // not JSON: fall through
  }
  return {
    code: `http_${status}`,
    message: `The server answered ${status}${statusText ? ` ${statusText}` : ''}.`,
    details: {},
  };
}

export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { headers: { Accept: 'application/json' }, ...init });
  } catch (cause) {
    throw new ApiError(0, {
      code: 'network_error',
      message: 'Could not reach the server. Check your connection and try again.',
      details: { cause: String(cause) },
    });
  }
  if (!response.ok) {
    throw new ApiError(response.status, parseErrorBody(response.status, response.statusText, await response.text()));
  }
  return (await response.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

export interface JobListParams {
  state?: JobState | '';
  datasource?: string;
  limit: number;
  offset: number;
}

export const api = {
  datasources: (signal?: AbortSignal) => apiFetch<DatasourceList>('/datasources', { signal }),
  jobs: (p: JobListParams, signal?: AbortSignal) => apiFetch<JobList>(`/jobs${query({ ...p })}`, { signal }),
  job: (id: string, signal?: AbortSignal) => apiFetch<Job>(`/jobs/${encodeURIComponent(id)}`, { signal }),
  errors: (id: string, limit: number, offset: number, signal?: AbortSignal) =>
    apiFetch<ErrorList>(`/jobs/${encodeURIComponent(id)}/errors${query({ limit, offset })}`, { signal }),
};

export function rejectsUrl(jobId: string): string {
  return `${API_BASE}/jobs/${encodeURIComponent(jobId)}/rejects`;
}
