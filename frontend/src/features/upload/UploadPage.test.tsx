import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type ErrorDetails } from '../../api/client';
import type { UploadCallbacks, UploadHandle } from '../../api/upload';
import type { UploadAccepted, UploadFields } from '../../api/models';
import { navigate } from '../../router';
import { json, mockFetch, renderWithClient } from '../../test/utils';
import { UploadPage } from './UploadPage';

const MiB = 1024 * 1024;

/** An uploader the test drives by hand: progress(), accept(), refuse(). */
function fakeUploader() {
  const calls: { file: File; fields: UploadFields }[] = [];
  let callbacks: UploadCallbacks = {};
  let settle: { resolve: (a: UploadAccepted) => void; reject: (e: unknown) => void } | null = null;
  const abort = vi.fn(() => settle?.reject(new ApiError(0, { code: 'cancelled', message: 'Upload cancelled.', details: {} })));
  const upload = vi.fn((file: File, fields: UploadFields, cb: UploadCallbacks = {}): UploadHandle => {
    calls.push({ file, fields });
    callbacks = cb;
    const done = new Promise<UploadAccepted>((resolve, reject) => {
      settle = { resolve, reject };
    });
    return { done, abort };
  });
  return {
    upload,
    abort,
    calls,
    progress: (loaded: number, total: number) => act(() => callbacks.onProgress?.(loaded, total)),
    accept: (a: UploadAccepted) => act(async () => settle?.resolve(a)),
    refuse: (status: number, code: string, message: string, details: ErrorDetails = {}) =>
      act(async () => settle?.reject(new ApiError(status, { code, message, details }))),
  };
}

function serveDatasources() {
  return mockFetch({
    '/api/v1/datasources': () =>
      json({
        items: [
          { name: 'sales', schema_version: 1, columns: [{ name: 'Quantity', type: 'int', required: true }] },
          { name: 'returns', schema_version: 3, columns: [] },
        ],
      }),
  });
}

async function setup() {
  serveDatasources();
  const fake = fakeUploader();
  let clock = 0;
  const user = userEvent.setup();
  renderWithClient(<UploadPage upload={fake.upload} now={() => clock} />);
  await screen.findByRole('option', { name: 'returns' });
  const file = new File(['Quantity\n1\n'], 'sales.csv', { type: 'text/csv' });
  await user.upload(screen.getByLabelText(/Choose a file/), file);
  return { fake, user, file, setClock: (t: number) => (clock = t) };
}

describe('<UploadPage>', () => {
  it('sends the file with the chosen fields', async () => {
    const { fake, user, file } = await setup();
    expect(screen.getByText('sales.csv')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Datasource'), 'returns');
    await user.selectOptions(screen.getByLabelText('Priority'), 'HIGH');
    await user.click(screen.getByRole('radio', { name: /Skip invalid rows/ }));
    await user.click(screen.getByRole('radio', { name: /Replace/ }));
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    expect(fake.calls).toEqual([
      { file, fields: { datasource: 'returns', on_invalid: 'skip', mode: 'replace', priority: 'HIGH' } },
    ]);
  });

  it('asks for a file before uploading', async () => {
    serveDatasources();
    const fake = fakeUploader();
    const user = userEvent.setup();
    renderWithClient(<UploadPage upload={fake.upload} />);
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Choose a file to upload first.');
    expect(screen.getByLabelText(/Choose a file/)).toHaveFocus();
    expect(fake.upload).not.toHaveBeenCalled();
  });

  it('shows bytes sent, percent, speed and time left, and cancels with xhr.abort', async () => {
    const { fake, user, setClock } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    setClock(2000);
    fake.progress(4 * MiB, 10 * MiB);
    expect(screen.getByText('4.00 MiB of 10.0 MiB (40%)')).toBeInTheDocument();
    expect(screen.getByText('2.00 MiB/s')).toBeInTheDocument();
    expect(screen.getByText('3 s left')).toBeInTheDocument();
    expect(screen.getByRole('progressbar')).toHaveAttribute('value', '40');
    expect(screen.getByRole('button', { name: 'Upload' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Cancel upload' }));
    expect(fake.abort).toHaveBeenCalledOnce();
    expect(await screen.findByRole('status')).toHaveTextContent('Upload cancelled');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Upload' })).toBeEnabled();
  });

  it('on 202 opens the job page', async () => {
    const { fake, user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await fake.accept({
      job_id: 'b7a1e2c4-1111-4222-8333-944455566677',
      state: 'queued',
      datasource: 'sales',
      schema_version: 1,
      filename: 'sales.csv',
      format: 'csv',
      size_bytes: 11,
      sha256: 'x',
      priority: 'MEDIUM',
      options: { on_invalid: 'reject', mode: 'append' },
      links: { self: '/api/v1/jobs/b7a1e2c4-1111-4222-8333-944455566677' },
    });
    expect(window.location.pathname).toBe('/jobs/b7a1e2c4-1111-4222-8333-944455566677');
  });

  it('413: says the file is too large and shows the limit', async () => {
    const { fake, user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await fake.refuse(413, 'file_too_large', 'The file is larger than the limit of 5368709120 bytes.', {
      limit_bytes: 5 * 1024 ** 3,
    });
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('The file is too large');
    expect(alert).toHaveTextContent('The file is larger than the limit of 5368709120 bytes.');
    expect(alert).toHaveTextContent('Size limit: 5.00 GiB');
  });

  it('415: unsupported format', async () => {
    const { fake, user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await fake.refuse(415, 'unsupported_format', 'This looks like a PNG image, not a table.');
    expect(screen.getByRole('alert')).toHaveTextContent('Unsupported file format');
    expect(screen.getByRole('alert')).toHaveTextContent('This looks like a PNG image, not a table.');
  });

  it('422: shows the message and marks the field', async () => {
    const { fake, user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await fake.refuse(422, 'invalid_field', 'priority must be HIGH, MEDIUM or LOW', { field: 'priority' });
    expect(screen.getByRole('alert')).toHaveTextContent('Check the field “priority”');
    expect(screen.getByRole('alert')).toHaveTextContent('priority must be HIGH, MEDIUM or LOW');
    expect(screen.getByLabelText('Priority')).toHaveAttribute('aria-invalid', 'true');
  });

  it('404: unknown datasource', async () => {
    const { fake, user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await fake.refuse(404, 'unknown_datasource', 'Unknown datasource `returns`.', { field: 'datasource', datasource: 'returns' });
    expect(screen.getByRole('alert')).toHaveTextContent('Unknown datasource “returns”');
  });

  it('409: links to the earlier job', async () => {
    const { fake, user } = await setup();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    const earlier = '0d6c0a52-7a53-4a43-9b8e-2f6cbb0f1a11';
    await fake.refuse(409, 'duplicate_upload', 'This file was already uploaded.', { job_id: earlier });
    expect(screen.getByRole('alert')).toHaveTextContent('This file was already uploaded');
    const link = screen.getByRole('link', { name: /Open the earlier job/ });
    expect(link).toHaveAttribute('href', `/jobs/${earlier}`);
    await user.click(link);
    expect(window.location.pathname).toBe(`/jobs/${earlier}`);
  });

  it('?datasource= chooses the datasource (the datasource page’s upload button) and links to its schema', async () => {
    navigate('/upload?datasource=returns');
    serveDatasources();
    const fake = fakeUploader();
    const user = userEvent.setup();
    renderWithClient(<UploadPage upload={fake.upload} />);
    await screen.findByRole('option', { name: 'sales' });
    expect(screen.getByLabelText('Datasource')).toHaveValue('returns');
    expect(screen.getByRole('link', { name: 'Schema of returns (v3)' })).toHaveAttribute('href', '/datasources/returns');
    await user.upload(screen.getByLabelText(/Choose a file/), new File(['a\n1\n'], 'r.csv', { type: 'text/csv' }));
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    expect(fake.calls[0]?.fields.datasource).toBe('returns');
  });

  it('?datasource= naming no live datasource: says so, and the list’s first is chosen', async () => {
    navigate('/upload?datasource=old_events');
    serveDatasources();
    renderWithClient(<UploadPage upload={fakeUploader().upload} />);
    expect(await screen.findByText(/“old_events” is not a datasource that takes uploads/)).toBeInTheDocument();
    expect(screen.getByLabelText('Datasource')).toHaveValue('sales');
  });
});
