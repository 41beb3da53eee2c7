import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { RowError } from '../../api/models';
import { callsTo, json, mockFetch, renderWithClient } from '../../test/utils';
import { ErrorsTable } from './ErrorsTable';

const JOB = '3f1c2a9e-0b7d-4c55-9a1e-2d6f8b7c4e10';
const ALL: RowError[] = Array.from({ length: 60 }, (_, i) => ({
  row: i + 2,
  column: i % 2 ? 'Region' : 'Quantity',
  rule: i % 2 ? 'isin' : 'greater_than(0)',
  value: i % 2 ? 'XX' : '0',
  message: i % 2 ? 'Region must be one of the known regions' : 'Quantity must be greater than 0',
}));

function serveErrors() {
  return mockFetch({
    [`/api/v1/jobs/${JOB}/errors`]: (url) => {
      const limit = Number(url.searchParams.get('limit'));
      const offset = Number(url.searchParams.get('offset'));
      return json({ total: ALL.length, items: ALL.slice(offset, offset + limit) });
    },
  });
}

const bodyRows = () => within(screen.getAllByRole('rowgroup')[1] as HTMLElement).getAllByRole('row');

describe('<ErrorsTable>', () => {
  it('shows row, column, rule, value and message, a page at a time', async () => {
    const fetchMock = serveErrors();
    const user = userEvent.setup();
    renderWithClient(<ErrorsTable jobId={JOB} rowsInvalid={60} />);

    expect(await screen.findByText('60 problems recorded in 60 invalid rows. Showing 1–25.')).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(25);
    const first = within(bodyRows()[0] as HTMLElement).getAllByRole('cell').map((c) => c.textContent);
    expect(first).toEqual(['2', 'Quantity', 'greater_than(0)', '0', 'Quantity must be greater than 0']);
    expect(screen.getByText('Page 1 of 3')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Previous' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('Page 2 of 3')).toBeInTheDocument();
    expect(within(bodyRows()[0] as HTMLElement).getAllByRole('cell')[0]).toHaveTextContent('27');

    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('Page 3 of 3')).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(10);
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByText('Page 2 of 3')).toBeInTheDocument();

    const offsets = callsTo(fetchMock, `/api/v1/jobs/${JOB}/errors`).map((u) => [
      u.searchParams.get('limit'),
      u.searchParams.get('offset'),
    ]);
    // Page 2 is cached, so going back does not ask again.
    expect(offsets).toEqual([
      ['25', '0'],
      ['25', '25'],
      ['25', '50'],
    ]);
  });

  it('changing the page size starts again from the first page', async () => {
    serveErrors();
    const user = userEvent.setup();
    renderWithClient(<ErrorsTable jobId={JOB} rowsInvalid={60} />);
    await screen.findByText('Page 1 of 3');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText('Page 2 of 3');
    await user.selectOptions(screen.getByLabelText('Rows per page'), '100');
    expect(await screen.findByText('Page 1 of 1')).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(60);
  });

  it('links to the rejects CSV', async () => {
    serveErrors();
    renderWithClient(<ErrorsTable jobId={JOB} rowsInvalid={60} />);
    const link = screen.getByRole('link', { name: /Download rejected rows/ });
    expect(link).toHaveAttribute('href', `/api/v1/jobs/${JOB}/rejects`);
    expect(link).toHaveAttribute('download');
  });

  it('shows an empty value as (empty)', async () => {
    mockFetch({
      [`/api/v1/jobs/${JOB}/errors`]: () =>
        json({ total: 1, items: [{ row: 5, column: 'Region', rule: 'not_nullable', value: null, message: 'required' }] }),
    });
    renderWithClient(<ErrorsTable jobId={JOB} rowsInvalid={1} />);
    expect(await screen.findByText('(empty)')).toBeInTheDocument();
  });
});
