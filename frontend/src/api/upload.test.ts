import { describe, expect, it } from 'vitest';
import { ApiError } from './client';
import { uploadFile } from './upload';

/** The part of XMLHttpRequest uploadFile touches, driven by the test. */
class FakeXhr {
  method = '';
  url = '';
  body: FormData | null = null;
  headers: Record<string, string> = {};
  status = 0;
  statusText = '';
  responseText = '';
  aborted = false;
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.onload?.();
  }
}

const fields = { datasource: 'sales', on_invalid: 'skip', mode: 'append', priority: 'LOW' } as const;

function start() {
  const xhr = new FakeXhr();
  const progress: [number, number][] = [];
  const file = new File(['a,b\n1,2\n'], 'x.csv');
  const handle = uploadFile(file, fields, { onProgress: (l, t) => progress.push([l, t]) }, () => xhr as unknown as XMLHttpRequest);
  return { xhr, handle, progress, file };
}

describe('uploadFile', () => {
  it('POSTs multipart to /api/v1/uploads with every field', () => {
    const { xhr, file } = start();
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/v1/uploads');
    expect(xhr.body?.get('datasource')).toBe('sales');
    expect(xhr.body?.get('on_invalid')).toBe('skip');
    expect(xhr.body?.get('mode')).toBe('append');
    expect(xhr.body?.get('priority')).toBe('LOW');
    expect((xhr.body?.get('file') as File).name).toBe(file.name);
  });

  it('reports progress and resolves with the 202 body', async () => {
    const { xhr, handle, progress } = start();
    xhr.upload.onprogress?.({ loaded: 10, total: 40, lengthComputable: true } as ProgressEvent);
    xhr.respond(202, { job_id: 'j1', state: 'queued' });
    await expect(handle.done).resolves.toMatchObject({ job_id: 'j1' });
    expect(progress).toEqual([[10, 40]]);
  });

  it('rejects with the API error body', async () => {
    const { xhr, handle } = start();
    xhr.respond(415, { code: 'unsupported_format', message: 'Not a table.', details: { detected: 'png' } });
    const error = await handle.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 415, code: 'unsupported_format', message: 'Not a table.' });
  });

  it('abort() rejects as cancelled', async () => {
    const { xhr, handle } = start();
    handle.abort();
    expect(xhr.aborted).toBe(true);
    await expect(handle.done).rejects.toMatchObject({ status: 0, code: 'cancelled' });
  });

  it('a dropped connection rejects as a network error', async () => {
    const { xhr, handle } = start();
    xhr.onerror?.();
    await expect(handle.done).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});
