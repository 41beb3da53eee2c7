import { act, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callsTo, json, mockFetch, renderWithClient } from '../../test/utils';
import { JobsPage } from './JobsPage';
import { QueuePanel } from './QueuePanel';
import type { QueueProgress } from './queue';

const BUSY: QueueProgress = {
  waiting_validation: { jobs: 3, oldest_wait_s: 12.2 },
  validating: { jobs: 1, oldest_wait_s: 0.4 },
  waiting_druid: { jobs: 0, oldest_wait_s: null },
  in_druid: { jobs: 4, druid_tasks: 2, oldest_wait_s: 185 },
};

const EMPTY: QueueProgress = {
  waiting_validation: { jobs: 0, oldest_wait_s: null },
  validating: { jobs: 0, oldest_wait_s: null },
  waiting_druid: { jobs: 0, oldest_wait_s: null },
  in_druid: { jobs: 0, druid_tasks: 0, oldest_wait_s: null },
};

function serveHealth(queue: () => QueueProgress | null) {
  return mockFetch({
    '/health': () => json({ status: 'ok', active_jobs: 0, queue_depth: { HIGH: 0, MEDIUM: 0, LOW: 0 }, queue: queue() }),
  });
}

function stageItems() {
  const list = screen.getByRole('list');
  return within(list)
    .getAllByRole('listitem')
    .map((item) => item.textContent);
}

describe('<QueuePanel>', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes each stage’s count and oldest wait, and the Druid tasks the jobs in Druid share', async () => {
    serveHealth(() => BUSY);
    const { container } = renderWithClient(<QueuePanel polling={false} />);
    expect(await screen.findByRole('heading', { name: 'Queue' })).toBeInTheDocument();
    await screen.findByText('4 jobs in 2 Druid tasks.');
    expect(stageItems()).toEqual([
      'Waiting for validation 3oldest 12 s',
      'Validating 1oldest under 1 s',
      'Waiting for Druid 0',
      'In Druid 4oldest 3 min 5 s',
    ]);
    // The bar repeats the words for sighted readers: hidden from screen readers, one part per non-empty stage.
    const bar = container.querySelector('.queue-bar');
    expect(bar).toHaveAttribute('aria-hidden', 'true');
    const parts = Array.from(bar?.children ?? []).map((p) => [p.className, (p as HTMLElement).style.width]);
    expect(parts).toEqual([
      ['queue-bar-part queue-waiting_validation', '37.5%'],
      ['queue-bar-part queue-validating', '12.5%'],
      ['queue-bar-part queue-in_druid', '50%'],
    ]);
  });

  it('says so when nothing waits, and when the server could not read its database', async () => {
    let queue: QueueProgress | null = EMPTY;
    serveHealth(() => queue);
    const { client } = renderWithClient(<QueuePanel polling={false} />);
    await screen.findByText('No job is waiting or running.');
    expect(stageItems()).toEqual([
      'Waiting for validation 0',
      'Validating 0',
      'Waiting for Druid 0',
      'In Druid 0',
    ]);

    queue = null;
    await act(() => client.refetchQueries({ queryKey: ['health'] }));
    expect(await screen.findByText('The queue is unknown: the server could not read its database.')).toBeInTheDocument();
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });

  it('tells when /health cannot be read', async () => {
    mockFetch({});
    renderWithClient(<QueuePanel polling={false} />);
    expect(await screen.findByText('The queue could not be read: the server answered 404')).toBeInTheDocument();
  });

  it('refreshes every 2 s with the jobs list, or while it holds jobs, and stops when both are idle', async () => {
    vi.useFakeTimers();
    let queue = BUSY;
    const fetchMock = serveHealth(() => queue);
    const calls = () => callsTo(fetchMock, '/health').length;
    renderWithClient(<QueuePanel polling={false} />);
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(calls()).toBe(1);

    await act(() => vi.advanceTimersByTimeAsync(2100));
    expect(calls()).toBe(2);

    queue = EMPTY;
    await act(() => vi.advanceTimersByTimeAsync(2100));
    expect(calls()).toBe(3);
    expect(screen.getByText('No job is waiting or running.')).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(calls()).toBe(3);
  });

  it('keeps refreshing an empty queue while the jobs list polls', async () => {
    vi.useFakeTimers();
    const fetchMock = serveHealth(() => EMPTY);
    renderWithClient(<QueuePanel polling />);
    await act(() => vi.advanceTimersByTimeAsync(4100));
    expect(callsTo(fetchMock, '/health')).toHaveLength(3);
  });

  it('sits on the jobs page', async () => {
    mockFetch({
      '/api/v1/datasources': () => json({ items: [] }),
      '/api/v1/jobs': () => json({ total: 0, items: [] }),
      '/health': () => json({ status: 'ok', active_jobs: 1, queue_depth: { HIGH: 0, MEDIUM: 3, LOW: 0 }, queue: BUSY }),
    });
    renderWithClient(<JobsPage />);
    const panel = await screen.findByRole('region', { name: 'Queue' });
    expect(await within(panel).findByText('4 jobs in 2 Druid tasks.')).toBeInTheDocument();
  });
});
