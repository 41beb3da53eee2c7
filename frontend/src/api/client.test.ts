import { describe, expect, it } from 'vitest';
import { ApiError, apiFetch, parseErrorBody } from './client';
import { jobPollInterval, jobsPollInterval } from './polling';
import { json, makeJob, mockFetch } from '../test/utils';

describe('parseErrorBody', () => {
  it('reads the API error shape', () => {
    expect(parseErrorBody(413, '', '{"code":"file_too_large","message":"too big","details":{"limit_bytes":5}}')).toEqual({
      code: 'file_too_large',
      message: 'too big',
      details: { limit_bytes: 5 },
    });
  });

  it("reads FastAPI's own {detail: [...]} validation errors", () => {
    const body = JSON.stringify({ detail: [{ loc: ['body', 'mode'], msg: 'Input should be append or replace' }] });
    expect(parseErrorBody(422, '', body).message).toBe('Input should be append or replace');
  });

  it('survives a non-JSON body (a proxy page)', () => {
    expect(parseErrorBody(502, 'Bad Gateway', '<html>')).toEqual({
      code: 'http_502',
      message: 'The server answered 502 Bad Gateway.',
      details: {},
    });
  });
});

describe('apiFetch', () => {
  it('throws ApiError with status and code', async () => {
    mockFetch({});
    const error = await apiFetch('/jobs/nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('returns the JSON body', async () => {
    mockFetch({ '/api/v1/datasources': () => json({ items: [] }) });
    await expect(apiFetch('/datasources')).resolves.toEqual({ items: [] });
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
