import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import type { Job, JobEvent, JobState } from '../api/models';

export function renderWithClient(ui: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return { client, ...render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>) };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** Answers one path; `request` is what the client sent (method, body), when it sent a Request. */
type Handler = (url: URL, request: Request | undefined) => Response | Promise<Response>;

/** The URL a fetch call asked for: the client (openapi-fetch) passes a Request, other code may pass a string. */
function urlOf(input: RequestInfo | URL): URL {
  return new URL(input instanceof Request ? input.url : String(input), 'http://localhost');
}

/** Replaces fetch with a router over pathname; unknown paths answer 404 in the API's error shape. */
export function mockFetch(routes: Record<string, Handler>) {
  const fn = vi.fn(async (input: RequestInfo | URL) => {
    const url = urlOf(input);
    const handler = routes[url.pathname];
    if (!handler) return json({ code: 'not_found', message: `no route ${url.pathname}`, details: {} }, 404);
    return handler(url, input instanceof Request ? input : undefined);
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** Calls of a fetch mock whose path is `path`. */
export function callsTo(fn: ReturnType<typeof mockFetch>, path: string): URL[] {
  return fn.mock.calls
    .map(([input]) => urlOf(input))
    .filter((u) => u.pathname === path);
}

export function event(state: JobState, at: string, message = ''): JobEvent {
  return { state, at, message, details: {} };
}

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    job_id: '3f1c2a9e-0b7d-4c55-9a1e-2d6f8b7c4e10',
    kind: 'ingest',
    state: 'succeeded',
    code: null,
    message: null,
    datasource: 'sales',
    schema_version: 1,
    filename: 'sales_sample.csv',
    format: 'csv',
    size_bytes: 412_345,
    sha256: 'ab'.repeat(32),
    priority: 'MEDIUM',
    options: { on_invalid: 'reject', mode: 'append' },
    rows_total: 3000,
    rows_valid: 3000,
    rows_invalid: 0,
    progress: 100,
    druid_task_id: 'index_parallel_sales_3f1c2a9e',
    druid_row_stats: { processed: 3000, processedWithError: 0, thrownAway: 0, unparseable: 0 },
    druid_rows: 3000,
    attempt: 1,
    created_at: '2026-01-10T10:00:00Z',
    updated_at: '2026-01-10T10:01:00Z',
    finished_at: '2026-01-10T10:01:00Z',
    retraction_of: null,
    retracted_by: null,
    operation: null,
    events: [
      event('queued', '2026-01-10T10:00:00Z', 'File stored'),
      event('validating', '2026-01-10T10:00:01Z'),
      event('succeeded', '2026-01-10T10:01:00Z'),
    ],
    ...overrides,
  };
}
