import { describe, expect, it } from 'vitest';
import { ApiError, type ErrorDetails } from '../../api/client';
import { describeUploadError, findLimit } from './refusal';

const err = (status: number, code: string, message: string, details: ErrorDetails = {}) =>
  new ApiError(status, { code, message, details });

describe('describeUploadError', () => {
  it('413: says the file is too large and shows the limit the server sends in details.limit_bytes', () => {
    const r = describeUploadError(
      err(413, 'file_too_large', 'The file is larger than the limit of 5368709120 bytes; split it.', {
        limit_bytes: 5 * 1024 ** 3,
      }),
    );
    expect(r.title).toBe('The file is too large');
    expect(r.limit).toBe('5.00 GiB');
    expect(r.hint).toContain('up to 5.00 GiB');
    expect(r.message).toContain('split it');
  });

  it('413: the limit comes from details only, never from the message', () => {
    expect(findLimit(err(413, 'file_too_large', 'too big', { limit_bytes: 1024 }))).toBe('1.00 KiB');
    expect(findLimit(err(413, 'file_too_large', 'file is 7 GB, limit 5368709120 bytes'))).toBeUndefined();
  });

  it('415: names the formats that are accepted', () => {
    const r = describeUploadError(err(415, 'unsupported_format', 'The file looks like a PNG image.'));
    expect(r.title).toBe('Unsupported file format');
    expect(r.hint).toMatch(/CSV, Excel \(XLSX or XLS\), Parquet or JSON/);
    expect(r.message).toBe('The file looks like a PNG image.');
  });

  it('422: shows the message and the field at fault', () => {
    const r = describeUploadError(
      err(422, 'invalid_field', 'on_invalid must be one of reject, skip', { field: 'on_invalid' }),
    );
    expect(r.title).toBe('Check the field “on_invalid”');
    expect(r.field).toBe('on_invalid');
    expect(r.message).toBe('on_invalid must be one of reject, skip');
  });

  it("422: reads the field from FastAPI's request validation too", () => {
    const r = describeUploadError(err(422, 'invalid_field', 'Invalid request: `mode` is invalid.', { fields: ['mode'] }));
    expect(r.field).toBe('mode');
  });

  it('422: an empty file gets its own words', () => {
    const r = describeUploadError(err(422, 'empty_file', 'The file is empty (0 bytes).'));
    expect(r.title).toBe('The file has no data');
    expect(r.message).toBe('The file is empty (0 bytes).');
  });

  it('404: unknown datasource', () => {
    const r = describeUploadError(
      err(404, 'unknown_datasource', 'Unknown datasource `salez`.', { field: 'datasource', datasource: 'salez' }),
    );
    expect(r.title).toBe('Unknown datasource “salez”');
    expect(r.hint).toContain('Pick a datasource from the list');
  });

  it('409: links to the earlier job from details.job_id, never from the message', () => {
    const id = '0d6c0a52-7a53-4a43-9b8e-2f6cbb0f1a11';
    const r = describeUploadError(
      err(409, 'duplicate_upload', 'Already uploaded.', { job_id: id, state: 'succeeded', sha256: 'ab'.repeat(32) }),
    );
    expect(r.title).toBe('This file was already uploaded');
    expect(r.earlierJobId).toBe(id);
    expect(describeUploadError(err(409, 'duplicate_upload', `This file was already uploaded as job ${id}.`)).earlierJobId).toBeUndefined();
  });

  it('network failures and cancellation', () => {
    expect(describeUploadError(err(0, 'network_error', 'interrupted')).title).toBe('The upload was interrupted');
    const c = describeUploadError(err(0, 'cancelled', 'Upload cancelled.'));
    expect(c.cancelled).toBe(true);
  });

  it('5xx and anything else', () => {
    expect(describeUploadError(err(503, 'storage_unavailable', 'S3 is down')).title).toBe(
      'The server had a problem (503)',
    );
    expect(describeUploadError(new Error('boom')).message).toBe('boom');
  });

  it('409 datasource_deleted: the datasource, not the file, is the reason', () => {
    const r = describeUploadError(
      err(409, 'datasource_deleted', 'Datasource `web_events` was deleted.', { datasource: 'web_events' }),
    );
    expect(r.title).toBe('Datasource “web_events” was deleted');
    expect(r.field).toBe('datasource');
    expect(r.earlierJobId).toBeUndefined();
    expect(r.hint).toMatch(/Pick another datasource/);
  });
});
