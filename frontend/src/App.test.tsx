import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { navigate } from './router';
import { callsTo, json, mockFetch, renderWithClient } from './test/utils';

describe('<App> routes', () => {
  it('the datasources pages, under "Datasources" in the navigation', async () => {
    mockFetch({ '/api/v1/datasources': () => json({ items: [] }) });
    navigate('/datasources');
    renderWithClient(<App />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Datasources' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Datasources', current: 'page' })).toHaveClass('active');
    expect(document.title).toBe('Datasources · druid-ingest');

    navigate('/datasources/new');
    expect(await screen.findByRole('heading', { level: 1, name: 'New datasource' })).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Datasources' })).toHaveClass('active');
  });

  it('a datasource named "new" has a page of its own', async () => {
    const fetch = mockFetch({
      '/api/v1/datasources/new': () => json({ code: 'unknown_datasource', message: 'Unknown.', details: {} }, 404),
    });
    navigate('/datasources/%6Eew');
    renderWithClient(<App />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Datasource not found' })).toBeInTheDocument();
    expect(callsTo(fetch, '/api/v1/datasources/new')).toHaveLength(1);
  });
});
