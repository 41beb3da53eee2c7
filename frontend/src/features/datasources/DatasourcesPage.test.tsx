import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeDatasource } from '../../test/datasources';
import { callsTo, json, mockFetch, renderWithClient } from '../../test/utils';
import { DatasourcesPage } from './DatasourcesPage';

const NOW = Date.parse('2026-01-10T12:00:00Z');

function serve() {
  const live = [
    makeDatasource(),
    makeDatasource({
      name: 'sales',
      description: '',
      compatibility: 'FULL',
      jobs: { total: 0, by_state: {} },
      last_ingest_at: null,
    }),
  ];
  const deleted = makeDatasource({ name: 'old_events', deleted: true, deleted_at: '2026-01-09T00:00:00Z' });
  return mockFetch({
    '/api/v1/datasources': (url) =>
      json({ items: url.searchParams.get('include_deleted') === 'true' ? [...live, deleted] : live }),
  });
}

describe('<DatasourcesPage>', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists each datasource: name, description, version, compatibility, jobs and last ingest', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    serve();
    renderWithClient(<DatasourcesPage />);
    const rows = within((await screen.findAllByRole('rowgroup'))[1] as HTMLElement).getAllByRole('row');
    expect(within(rows[0] as HTMLElement).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'web_events',
      'Page views',
      'v1',
      'BACKWARD',
      '3 jobs: 2 succeeded, 1 rejected',
      '1 h ago',
    ]);
    expect(within(rows[1] as HTMLElement).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'sales',
      '—',
      'v1',
      'FULL',
      'no jobs yet',
      'never',
    ]);
    expect(screen.getByRole('link', { name: 'web_events' })).toHaveAttribute('href', '/datasources/web_events');
    expect(screen.getByRole('link', { name: '3 jobs: 2 succeeded, 1 rejected' })).toHaveAttribute(
      'href',
      '/jobs?datasource=web_events',
    );
    expect(screen.getByRole('link', { name: 'New datasource' })).toHaveAttribute('href', '/datasources/new');
  });

  it('shows deleted datasources when asked, marked as deleted, and keeps the choice in the URL', async () => {
    const fetch = serve();
    const user = userEvent.setup();
    renderWithClient(<DatasourcesPage />);
    await screen.findByRole('link', { name: 'web_events' });
    expect(screen.queryByRole('link', { name: 'old_events' })).not.toBeInTheDocument();

    await user.click(screen.getByRole('checkbox', { name: 'Show deleted datasources' }));
    const link = await screen.findByRole('link', { name: 'old_events' });
    expect(within(link.closest('tr') as HTMLElement).getByText('Deleted')).toBeInTheDocument();
    expect(window.location.search).toBe('?deleted=1');
    expect(callsTo(fetch, '/api/v1/datasources').map((u) => u.search)).toEqual(['', '?include_deleted=true']);
  });

  it('no datasources yet: says so and links to the form', async () => {
    mockFetch({ '/api/v1/datasources': () => json({ items: [] }) });
    renderWithClient(<DatasourcesPage />);
    expect(await screen.findByText(/No datasources yet/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Create one from a sample file' })).toHaveAttribute('href', '/datasources/new');
  });
});
