import { describe, expect, it, vi } from 'vitest';
import { api, ApiError, parseErrorBody, rejectsUrl } from './client';
import { jobPollInterval, jobsPollInterval } from './polling';
import { callsTo, json, makeJob, mockFetch } from '../test/utils';

describe('parseErrorBody', () => {
  it('reads the API error shape', () => {
    expect(parseErrorBody(413, '', '{"code":"file_too_large","message":"too big","details":{"limit_bytes":5}}')).toEqual({
      code: 'file_too_large',
      message: 'too big',
      details: { limit_bytes: 5 },
    });
  });

  it('reads the details fields each code sends, by their exact names', () => {
    const duplicate = {
      code: 'duplicate_upload',
      message: 'This file (sha256 0123456789ab...) was already uploaded to `sales` as job 0d6c0a52-... (succeeded).',
      details: { job_id: '0d6c0a52-7a53-4a43-9b8e-2f6cbb0f1a11', state: 'succeeded', sha256: 'ab'.repeat(32) },
    };
    expect(parseErrorBody(409, 'Conflict', JSON.stringify(duplicate)).details).toEqual(duplicate.details);
    const datasource = { field: 'datasource', datasource: 'salez' };
    expect(parseErrorBody(404, '', { code: 'unknown_datasource', message: 'Unknown.', details: datasource }).details).toEqual(
      datasource,
    );
    expect(parseErrorBody(422, '', { code: 'invalid_field', message: 'Bad.', details: { field: 'mode' } }).details).toEqual({
      field: 'mode',
    });
    expect(parseErrorBody(422, '', { code: 'invalid_field', message: 'Bad.', details: { fields: ['limit', 'offset'] } }).details).toEqual(
      { fields: ['limit', 'offset'] },
    );
  });

  it('keeps a details field only when it has the type the server sends', () => {
    const body = {
      code: 'duplicate_upload',
      message: 'Already uploaded.',
      details: { job_id: 42, state: 'exploded', limit_bytes: '5 GiB', fields: ['a', 1], unknown_key: 'x', sha256: 'ab' },
    };
    expect(parseErrorBody(409, '', body).details).toEqual({ sha256: 'ab' });
    expect(parseErrorBody(500, '', { code: 'internal_error', message: 'Oops.' }).details).toEqual({});
  });

  it('never reads facts out of the message', () => {
    const id = '0d6c0a52-7a53-4a43-9b8e-2f6cbb0f1a11';
    const body = { code: 'duplicate_upload', message: `Already uploaded as job ${id}, limit 5 GiB.`, details: {} };
    expect(parseErrorBody(409, '', body).details).toEqual({});
  });

  it("reads FastAPI's own {detail: [...]} validation errors", () => {
    const body = JSON.stringify({ detail: [{ loc: ['body', 'mode'], msg: 'Input should be append or replace' }] });
    expect(parseErrorBody(422, '', body).message).toBe('Input should be append or replace');
  });

  it('reads the schema registry’s details: problems, violations, changes, the mode, a version', () => {
    const problems = [{ path: 'columns[3].rules[0].regex', message: 'is not a valid regex' }];
    expect(parseErrorBody(422, '', { code: 'invalid_schema', message: 'Bad.', details: { problems, fields: ['columns[3].rules[0].regex'] } }).details).toEqual({
      problems,
      fields: ['columns[3].rules[0].regex'],
    });
    const violations = [{ kind: 'CHANGE_TYPE', column: 'x', reason: 'BACKWARD: two types', against_version: 1 }];
    const changes = [{ kind: 'CHANGE_TYPE', column: 'x', column_id: 2, description: 'changed', before: 'long', after: 'double', rule: null }];
    expect(
      parseErrorBody(409, '', { code: 'incompatible_schema', message: 'No.', details: { compatibility: 'FULL', violations, changes } }).details,
    ).toEqual({ compatibility: 'FULL', violations, changes });
    expect(parseErrorBody(404, '', { code: 'not_found', message: 'No.', details: { datasource: 'w', version: 9 } }).details).toEqual({
      datasource: 'w',
      version: 9,
    });
    // Wrong shapes are left out.
    const bad = { problems: [{ path: 1 }], violations: [{ kind: 'X' }], changes: 'x', compatibility: 'SOMETIMES', version: '9' };
    expect(parseErrorBody(409, '', { code: 'incompatible_schema', message: 'No.', details: bad }).details).toEqual({});
  });

  it('survives a non-JSON body (a proxy page) and an empty one', () => {
    expect(parseErrorBody(502, 'Bad Gateway', '<html>')).toEqual({
      code: 'http_502',
      message: 'The server answered 502 Bad Gateway.',
      details: {},
    });
    expect(parseErrorBody(503, '', undefined)).toEqual({ code: 'http_503', message: 'The server answered 503.', details: {} });
  });
});

describe('api (openapi-fetch)', () => {
  it('throws ApiError with status, code and details', async () => {
    mockFetch({
      '/api/v1/jobs/nope': () => json({ code: 'not_found', message: 'No job with id nope.', details: { job_id: 'nope' } }, 404),
    });
    const error = await api.job('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'No job with id nope.', details: { job_id: 'nope' } });
  });

  it('returns the JSON body', async () => {
    mockFetch({ '/api/v1/datasources': () => json({ items: [] }) });
    await expect(api.datasources()).resolves.toEqual({ items: [] });
  });

  it('sends the job list filters as query parameters, leaving out empty ones', async () => {
    const fetch = mockFetch({ '/api/v1/jobs': () => json({ total: 0, items: [] }) });
    await api.jobs({ state: '', datasource: '', limit: 50, offset: 0 });
    await api.jobs({ state: 'failed', datasource: 'sales', limit: 50, offset: 100 });
    const [plain, filtered] = callsTo(fetch, '/api/v1/jobs');
    expect(plain?.search).toBe('?limit=50&offset=0');
    expect(Object.fromEntries(filtered?.searchParams ?? [])).toEqual({ state: 'failed', datasource: 'sales', limit: '50', offset: '100' });
  });

  it('a request that gets no answer is a network_error', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(api.datasources()).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('the datasource routes: paths, methods and bodies', async () => {
    const seen: string[] = [];
    const answer = (body: unknown) => (_: URL, request: Request | undefined) => {
      seen.push(`${request?.method} ${new URL(request?.url ?? '').pathname}`);
      return json(body);
    };
    mockFetch({
      '/api/v1/datasources': answer({ items: [] }),
      '/api/v1/datasources/web%20events': answer({}),
      '/api/v1/datasources/w/schemas': answer({}),
      '/api/v1/datasources/w/schemas/check': answer({}),
      '/api/v1/datasources/w/schemas/2': answer({}),
      '/api/v1/datasources/w/schemas/1/diff/3': answer({}),
      '/api/v1/datasources/w/schemas/1/restore': answer({}),
      '/api/v1/datasources/infer': answer({}),
    });
    const definition = { time_column: 't', columns: [{ name: 't', type: 'timestamp' as const, required: true }] };
    await api.datasources(undefined, true);
    await api.datasource('web events');
    await api.updateDatasource('web events', { compatibility: 'NONE' });
    await api.deleteDatasource('web events');
    await api.createDatasource({ name: 'w', description: '', compatibility: 'BACKWARD', ...definition });
    await api.schemaVersions('w');
    await api.registerSchema('w', definition);
    await api.checkSchema('w', definition);
    await api.schemaVersion('w', 2);
    await api.schemaDiff('w', 1, 3);
    await api.restoreSchema('w', 1);
    await api.infer(new File(['t\n2025-01-01\n'], 's.csv'), { time_column: 't' });
    expect(seen).toEqual([
      'GET /api/v1/datasources',
      'GET /api/v1/datasources/web%20events',
      'PATCH /api/v1/datasources/web%20events',
      'DELETE /api/v1/datasources/web%20events',
      'POST /api/v1/datasources',
      'GET /api/v1/datasources/w/schemas',
      'POST /api/v1/datasources/w/schemas',
      'POST /api/v1/datasources/w/schemas/check',
      'GET /api/v1/datasources/w/schemas/2',
      'GET /api/v1/datasources/w/schemas/1/diff/3',
      'POST /api/v1/datasources/w/schemas/1/restore',
      'POST /api/v1/datasources/infer',
    ]);
  });

  it('puts the job id into the path', async () => {
    const fetch = mockFetch({ '/api/v1/jobs/a%2Fb/errors': () => json({ total: 0, items: [] }) });
    await api.errors('a/b', 20, 40);
    expect(callsTo(fetch, '/api/v1/jobs/a%2Fb/errors')[0]?.search).toBe('?limit=20&offset=40');
    expect(rejectsUrl('a/b')).toBe('/api/v1/jobs/a%2Fb/rejects');
  });
});

describe('poll intervals', () => {
  it('job: every second until terminal; never for a missing job', () => {
    expect(jobPollInterval(makeJob({ state: 'indexing' }), null)).toBe(1000);
    for (const state of ['succeeded', 'rejected', 'failed', 'cancelled'] as const) {
      expect(jobPollInterval(makeJob({ state }), null)).toBe(false);
    }
    expect(jobPollInterval(undefined, new ApiError(404, { code: 'not_found', message: '', details: {} }))).toBe(false);
    expect(jobPollInterval(undefined, new ApiError(0, { code: 'network_error', message: '', details: {} }))).toBe(1000);
  });

  it('jobs: every 2 s while any listed job is not terminal', () => {
    expect(jobsPollInterval({ total: 2, items: [makeJob(), makeJob({ state: 'queued' })] })).toBe(2000);
    expect(jobsPollInterval({ total: 1, items: [makeJob()] })).toBe(false);
    expect(jobsPollInterval(undefined)).toBe(false);
  });
});
