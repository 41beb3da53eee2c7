import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobSummary } from '../../api/models';
import { navigate } from '../../router';
import { callsTo, json, makeJob, mockFetch, renderWithClient } from '../../test/utils';
import { JobsPage } from './JobsPage';

function summary(overrides: Partial<JobSummary>): JobSummary {
  const { events: _events, ...job } = makeJob(overrides);
  return job;
}

const NOW = Date.parse('2026-01-10T12:00:00Z');

function serveJobs(items: JobSummary[]) {
  return mockFetch({
    '/api/v1/datasources': () => json({ items: [{ name: 'sales', columns: [] }, { name: 'returns', columns: [] }] }),
    '/api/v1/jobs': () => json({ total: items.length, items }),
  });
}

describe('<JobsPage>', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists jobs with state, file, datasource, size, rows and age', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    serveJobs([
      summary({
      job_id: 'j1',
      filename: 'big.csv',
      size_bytes: 3 * 1024 * 1024,
      schema_version: 2,
      created_at: '2026-01-10T11:57:00Z',
    }),
      summary({ job_id: 'j2', state: 'rejected', rows_valid: 7, rows_total: 10, created_at: '2026-01-10T09:00:00Z' }),
    ]);
    renderWithClient(<JobsPage />);
    const rows = within((await screen.findAllByRole('rowgroup'))[1] as HTMLElement).getAllByRole('row');
    const cells = within(rows[0] as HTMLElement).getAllByRole('cell').map((c) => c.textContent);
    expect(cells).toEqual(['Succeeded', 'big.csv', 'sales v2', '3.00 MiB', '3,000 / 3,000', '3 min ago']);
    expect(within(rows[0] as HTMLElement).getByRole('link', { name: 'sales' })).toHaveAttribute('href', '/datasources/sales');
    expect(within(rows[1] as HTMLElement).getByText('Rejected')).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText('7 / 10')).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText('3 h ago')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'big.csv' })).toHaveAttribute('href', '/jobs/j1');
  });

  it('shows a hostile or long filename escaped and shortened, whole in the tooltip', async () => {
    const filename = `\x1b]0;owned\x07${'x'.repeat(100)}.csv`;
    serveJobs([summary({ job_id: 'j1', filename })]);
    renderWithClient(<JobsPage />);
    const shown = `\\x1b]0;owned\\x07${'x'.repeat(100)}.csv`;
    const link = await screen.findByTitle(shown);
    expect(link).toHaveAttribute('href', '/jobs/j1');
    expect(Array.from(link.textContent ?? '')).toHaveLength(60);
    expect(link.textContent).toMatch(/^\\x1b\]0;owned\\x07x+…x+\.csv$/);
  });

  it('keeps the filters in the URL and sends them to the API', async () => {
    navigate('/jobs?datasource=sales');
    const fetchMock = serveJobs([summary({})]);
    const user = userEvent.setup();
    renderWithClient(<JobsPage />);
    await screen.findByRole('option', { name: 'returns' });
    expect(screen.getByLabelText('Datasource')).toHaveValue('sales');

    await user.selectOptions(screen.getByLabelText('State'), 'failed');
    expect(window.location.search).toBe('?datasource=sales&state=failed');
    await screen.findByText('sales_sample.csv');
    const last = callsTo(fetchMock, '/api/v1/jobs').at(-1);
    expect(last?.searchParams.get('state')).toBe('failed');
    expect(last?.searchParams.get('datasource')).toBe('sales');

    await user.selectOptions(screen.getByLabelText('Datasource'), '');
    expect(window.location.search).toBe('?state=failed');
  });

  it('refetches every 2 s while a listed job is running, and not when all are finished', async () => {
    vi.useFakeTimers({ now: NOW });
    let items = [summary({ state: 'indexing', druid_rows: null })];
    const fetchMock = mockFetch({
      '/api/v1/datasources': () => json({ items: [] }),
      '/api/v1/jobs': () => json({ total: items.length, items }),
    });
    const listCalls = () => callsTo(fetchMock, '/api/v1/jobs').length;
    renderWithClient(<JobsPage />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(listCalls()).toBe(1);
    expect(screen.getByText('Refreshing every 2 s while jobs are running.')).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(2100));
    expect(listCalls()).toBe(2);

    items = [summary({ state: 'succeeded' })];
    await act(() => vi.advanceTimersByTimeAsync(2100));
    expect(listCalls()).toBe(3);
    expect(screen.getByText('Succeeded', { selector: 'td .badge' })).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(listCalls()).toBe(3);
    expect(screen.getByText('Up to date.')).toBeInTheDocument();
  });
});
