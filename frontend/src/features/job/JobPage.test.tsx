import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job, Me } from '../../api/models';
import { callsTo, event, json, makeJob, mockFetch, renderWithClient } from '../../test/utils';
import { CallerContext } from '../access/me';
import { JobPage } from './JobPage';

const ID = '3f1c2a9e-0b7d-4c55-9a1e-2d6f8b7c4e10';
const T0 = Date.parse('2026-01-10T10:00:00Z');

const validating = makeJob({
  state: 'validating',
  progress: 40,
  rows_total: null,
  rows_valid: null,
  rows_invalid: null,
  druid_task_id: null,
  druid_row_stats: null,
  druid_rows: null,
  finished_at: null,
  events: [event('queued', '2026-01-10T10:00:00Z', 'File stored'), event('validating', '2026-01-10T10:00:01Z')],
});
const indexing = makeJob({
  ...validating,
  state: 'indexing',
  progress: 100,
  rows_total: 3000,
  rows_valid: 3000,
  rows_invalid: 0,
  druid_task_id: 'index_parallel_sales_x',
  events: [...validating.events, event('indexing', '2026-01-10T10:00:02Z')],
});
const succeeded = makeJob();

/** Serves the given job states one per request; the last one repeats. */
function serveSequence(states: Job[]) {
  let i = 0;
  return mockFetch({
    [`/api/v1/jobs/${ID}`]: () => json(states[Math.min(i++, states.length - 1)]),
    [`/api/v1/jobs/${ID}/errors`]: () => json({ total: 0, items: [] }),
  });
}

/** Moves the fake clock and lets the mocked fetches and React settle. */
async function tick(ms: number) {
  await act(() => vi.advanceTimersByTimeAsync(ms));
}

describe('<JobPage> polling', () => {
  // Only the fake clock moves, so the number of requests depends on nothing but the code under test.
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 + 1500 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls every second while running and stops once the job is terminal', async () => {
    const fetchMock = serveSequence([validating, indexing, succeeded]);
    const jobCalls = () => callsTo(fetchMock, `/api/v1/jobs/${ID}`).length;
    renderWithClient(<JobPage jobId={ID} />);
    await tick(10);
    expect(screen.getByText('Validating rows: 40%')).toBeInTheDocument();
    expect(screen.getByRole('progressbar')).toHaveAttribute('value', '40');
    expect(jobCalls()).toBe(1);

    await tick(500);
    expect(jobCalls()).toBe(1); // not before a second has passed

    await tick(600);
    expect(screen.getByText('Indexing', { selector: 'h1 .badge' })).toBeInTheDocument();
    expect(jobCalls()).toBe(2);

    await tick(1100);
    expect(screen.getByText('Succeeded', { selector: 'h1 .badge' })).toBeInTheDocument();
    expect(jobCalls()).toBe(3);

    await tick(10_000);
    expect(jobCalls()).toBe(3);
  });

  it('does not poll a job that is already terminal', async () => {
    const fetchMock = serveSequence([succeeded]);
    renderWithClient(<JobPage jobId={ID} />);
    await tick(10);
    expect(screen.getByText('Succeeded', { selector: 'h1 .badge' })).toBeInTheDocument();
    await tick(5000);
    expect(callsTo(fetchMock, `/api/v1/jobs/${ID}`)).toHaveLength(1);
  });

  it('stops on 404 and says the job does not exist', async () => {
    const fetchMock = mockFetch({});
    renderWithClient(<JobPage jobId={ID} />);
    await tick(10);
    expect(screen.getByRole('heading', { name: 'Job not found' })).toBeInTheDocument();
    expect(screen.getByText(`There is no job with id ${ID}.`)).toBeInTheDocument();
    await tick(5000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe('<JobPage> content', () => {
  it('shows the Druid task, its row stats, the receipt and the timeline with step durations', async () => {
    serveSequence([succeeded]);
    renderWithClient(<JobPage jobId={ID} />);
    expect(await screen.findByText('index_parallel_sales_3f1c2a9e')).toBeInTheDocument();
    expect(screen.getByText('processed with error')).toBeInTheDocument();
    expect(screen.getByText(/Druid returned/)).toHaveTextContent('Druid returned 3,000 rows for this job.');
    expect(screen.getByText('took 1.0 s')).toBeInTheDocument(); // queued -> validating
    expect(screen.getByText('took 59 s')).toBeInTheDocument(); // validating -> succeeded
    expect(screen.getByText('end')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Row errors' })).not.toBeInTheDocument();
  });

  it('for a rejected job shows the code, the message and the row errors', async () => {
    const rejected = makeJob({
      state: 'rejected',
      code: 'validation_failed',
      message: '3 of 10 rows failed validation; nothing was loaded.',
      rows_total: 10,
      rows_valid: 7,
      rows_invalid: 3,
      druid_task_id: null,
      druid_row_stats: null,
      druid_rows: null,
    });
    mockFetch({
      [`/api/v1/jobs/${ID}`]: () => json(rejected),
      [`/api/v1/jobs/${ID}/errors`]: () =>
        json({
          total: 1,
          items: [{ row: 4, column: 'Quantity', rule: 'greater_than(0)', value: '0', message: 'must be > 0' }],
        }),
    });
    renderWithClient(<JobPage jobId={ID} />);
    expect(await screen.findByText('validation_failed')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('3 of 10 rows failed validation; nothing was loaded.');
    expect(await screen.findByRole('heading', { name: 'Row errors' })).toBeInTheDocument();
    expect(await screen.findByText('must be > 0')).toBeInTheDocument();
    expect(screen.getByText(/No receipt/)).toBeInTheDocument();
  });

  it('for a rejected job points to the row errors on the page and says nothing was sent to Druid', async () => {
    const rejected = makeJob({
      state: 'rejected',
      code: 'validation_failed',
      message: '3 of 10 rows failed validation (4 errors); policy is reject: nothing was ingested.',
      rows_total: 10,
      rows_valid: 7,
      rows_invalid: 3,
      druid_task_id: null,
      druid_row_stats: null,
      druid_rows: null,
    });
    mockFetch({
      [`/api/v1/jobs/${ID}`]: () => json(rejected),
      [`/api/v1/jobs/${ID}/errors`]: () => json({ total: 0, items: [] }),
    });
    renderWithClient(<JobPage jobId={ID} />);
    const link = await screen.findByRole('link', { name: 'See the row errors below (3 invalid rows)' });
    expect(link).toHaveAttribute('href', '#row-errors');
    const section = document.getElementById('row-errors');
    expect(section).not.toBeNull();
    expect(section).toContainElement(screen.getByRole('heading', { name: 'Row errors' }));
    expect(screen.getByRole('alert')).toContainElement(link);

    const druid = screen.getByRole('heading', { name: 'Druid' }).closest('section') as HTMLElement;
    expect(druid).toHaveTextContent('Nothing was sent to Druid: the data was rejected, so no Druid task was started.');
    expect(druid).not.toHaveTextContent(/Row stats appear/);
    expect(druid).not.toHaveTextContent(/Task id/);
  });

  it('shows a long filename shortened, whole in its tooltip, with control characters escaped', async () => {
    const filename = `\x1b[31m${'quarterly-sales-'.repeat(40)}final.csv`;
    serveSequence([makeJob({ filename })]);
    renderWithClient(<JobPage jobId={ID} />);
    const shown = `\\x1b[31m${'quarterly-sales-'.repeat(40)}final.csv`;
    const title = await screen.findByTitle(shown);
    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading).toContainElement(title);
    expect(title).toHaveClass('job-title');
    expect(Array.from(title.textContent ?? '')).toHaveLength(80);
    expect(title.textContent).toMatch(/^\\x1b\[31mquarterly-sales-.*….*sales-final\.csv$/);
    expect(heading.textContent).not.toContain('\x1b');
  });
});

describe('<JobPage> timeline', () => {
  it('keeps internals (object key, sha256, worker id) behind a Details toggle, out of the main text', async () => {
    const sha = 'ab'.repeat(32);
    const job = makeJob({
      events: [
        {
          state: 'queued',
          at: '2026-01-10T10:00:00Z',
          message: 'Upload stored (412345 bytes); waiting for a worker',
          details: { size_bytes: 412345, sha256: sha, raw_key: `raw/${ID}/sales.csv`, format: 'csv' },
        },
        {
          state: 'validating',
          at: '2026-01-10T10:00:01Z',
          message: 'Validation started',
          details: { worker: 'host:4242:9f1c2e' },
        },
        event('succeeded', '2026-01-10T10:01:00Z'),
      ],
    });
    serveSequence([job]);
    renderWithClient(<JobPage jobId={ID} />);
    const message = await screen.findByText('Upload stored (412345 bytes); waiting for a worker');
    const entry = message.closest('li') as HTMLElement;
    const toggles = screen.getAllByText('Details', { selector: 'summary' });
    expect(toggles).toHaveLength(2); // the events that have details; none for the last
    const details = entry.querySelector('details') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details).toHaveTextContent(sha);
    expect(details).toHaveTextContent(`raw/${ID}/sales.csv`);
    // The sha256 sits in a code element of the details list, which wraps anywhere (styles.css), not in the text.
    expect(screen.getByText(sha).tagName).toBe('CODE');
    expect(screen.getByText(sha).closest('.timeline-details')).toBe(details);
    for (const p of screen.getAllByText(/./, { selector: '.timeline-message' })) {
      expect(p.textContent).not.toMatch(/sha256|raw\/|host:4242/);
    }
    expect(screen.getByText('host:4242:9f1c2e').closest('details')).not.toBeNull();
  });
});


describe('<JobPage> undoing an upload', () => {
  const manager: Me = { username: 'mia', display_name: '', via: 'session', is_admin: false, grants: { sales: 'manage' }, scopes: null, csrf_token: null };
  const reader: Me = { ...manager, username: 'rita', grants: { sales: 'read' } };
  const RETRACTION = '7d0e4b1a-5c2f-4e8b-9a6d-1f3c5e7a9b20';

  function page(me: Me) {
    return renderWithClient(
      <CallerContext.Provider value={me}>
        <JobPage jobId={ID} />
      </CallerContext.Provider>,
    );
  }

  it('retracts after asking once more, then shows the retraction job', async () => {
    const fetchMock = mockFetch({
      [`/api/v1/jobs/${ID}`]: () => json(succeeded),
      [`/api/v1/jobs/${ID}/retract`]: () => json(makeJob({ job_id: RETRACTION, kind: 'retraction', state: 'submitting' }), 202),
    });
    const user = userEvent.setup();
    page(manager);
    await user.click(await screen.findByRole('button', { name: 'Retract…' }));
    expect(callsTo(fetchMock, `/api/v1/jobs/${ID}/retract`)).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Retract the rows' }));
    await waitFor(() => expect(window.location.pathname).toBe(`/jobs/${RETRACTION}`));
    expect(callsTo(fetchMock, `/api/v1/jobs/${ID}/retract`)).toHaveLength(1);
  });

  it('offers no retraction to a reader, nor for a job retracted already, which links to its retraction', async () => {
    mockFetch({ [`/api/v1/jobs/${ID}`]: () => json(succeeded) });
    const { unmount } = page(reader);
    await screen.findByRole('heading', { name: /sales_sample/ });
    expect(screen.queryByRole('button', { name: 'Retract…' })).not.toBeInTheDocument();
    unmount();

    mockFetch({ [`/api/v1/jobs/${ID}`]: () => json(makeJob({ retracted_by: RETRACTION })) });
    page(manager);
    expect(await screen.findByText('Retracted.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: RETRACTION })).toHaveAttribute('href', `/jobs/${RETRACTION}`);
    expect(screen.queryByRole('button', { name: 'Retract…' })).not.toBeInTheDocument();
  });

  it('shows a compaction with its figures instead of rows and a receipt', async () => {
    const compaction = makeJob({
      kind: 'compaction',
      filename: 'compaction of 2018-03-07T00:00:00.000Z/2018-03-08T00:00:00.000Z',
      operation: { interval: '2018-03-07T00:00:00.000Z/2018-03-08T00:00:00.000Z', segments_before: 20, segments_after: 1, rows_before: 1000, rows_after: 1000 },
    });
    mockFetch({ [`/api/v1/jobs/${ID}`]: () => json(compaction) });
    page(manager);
    expect(await screen.findByRole('heading', { name: 'Compaction' })).toBeInTheDocument();
    expect(screen.getByText('20 → 1')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Rows' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retract…' })).not.toBeInTheDocument();
  });
});
