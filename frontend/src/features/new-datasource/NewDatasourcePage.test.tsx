import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { DatasourceIn } from '../../api/models';
import { makeDatasource, makeProposal } from '../../test/datasources';
import { callsTo, json, mockFetch, renderWithClient } from '../../test/utils';
import { NewDatasourcePage } from './NewDatasourcePage';

const SAMPLE = new File(['event_time,user_id,duration_ms,score\n2025-03-01T00:00:00Z,u1,10,1.5\n'], 'Web Events.csv', {
  type: 'text/csv',
});

/** Serves infer and create; `create` answers the POST. Records what was sent. */
function serve(create: (body: DatasourceIn) => Response = (body) => json(makeDatasource({ name: body.name }), 201)) {
  const sent: { infer: { method: string; contentType: string | null }[]; create: DatasourceIn[] } = { infer: [], create: [] };
  const fetch = mockFetch({
    '/api/v1/datasources/infer': (_, request) => {
      sent.infer.push({ method: request?.method ?? '', contentType: request?.headers.get('Content-Type') ?? null });
      return json(makeProposal());
    },
    '/api/v1/datasources': async (_, request) => {
      if (request?.method !== 'POST') return json({ items: [] });
      const body = (await request.json()) as DatasourceIn;
      sent.create.push(body);
      return create(body);
    },
  });
  return { fetch, sent };
}

async function inferSample() {
  const user = userEvent.setup();
  renderWithClient(<NewDatasourcePage />);
  await user.upload(screen.getByLabelText(/Choose a file/), SAMPLE);
  await screen.findByRole('table', { name: /Columns of the sample/ });
  return user;
}

describe('<NewDatasourcePage>', () => {
  it('posts the sample to infer and shows each column with its type, rules and statistics', async () => {
    const { sent, fetch } = serve();
    await inferSample();
    expect(callsTo(fetch, '/api/v1/datasources/infer')).toHaveLength(1);
    expect(sent.infer[0]?.method).toBe('POST');
    expect(sent.infer[0]?.contentType).not.toBe('application/json');

    expect(screen.getByLabelText('Name of user_id')).toHaveValue('user_id');
    expect(screen.getByLabelText('Type of duration_ms')).toHaveValue('long');
    expect(screen.getByRole('checkbox', { name: 'user_id: unique' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'duration_ms: at least 0' })).toBeChecked();
    const scoreRow = screen.getByLabelText('Name of score').closest('tr') as HTMLElement;
    expect(within(scoreRow).getByRole('checkbox', { name: /required/ })).not.toBeChecked();
    expect(within(scoreRow).getByText('nulls').nextSibling).toHaveTextContent('1');
    expect(within(scoreRow).getByText('max').nextSibling).toHaveTextContent('2.25');
    expect(within(scoreRow).getByText('1.5, 2.25')).toBeInTheDocument();
    // The time column is required and cannot be left out.
    expect(screen.getByRole('checkbox', { name: 'Include event_time' })).toBeDisabled();
    expect(screen.getByLabelText('Time column')).toHaveDisplayValue('event_time');

    expect(screen.getByText(/One value in three is empty/)).toHaveTextContent('score: One value in three is empty: proposed as optional.');
    expect(screen.getByLabelText('Name')).toHaveValue('web_events');
    expect(screen.getByText(/Read 3 rows of/)).toHaveTextContent('Read 3 rows of Web Events.csv (CSV). 4 of 4 columns included.');
  });

  it('creates the datasource from the edited proposal and opens its page', async () => {
    const { sent } = serve();
    const user = await inferSample();
    await user.click(screen.getByRole('checkbox', { name: 'user_id: unique' }));
    await user.selectOptions(screen.getByLabelText('Type of duration_ms'), 'double');
    await user.click(screen.getByRole('checkbox', { name: 'Include score' }));
    await user.selectOptions(screen.getByLabelText('Segment granularity'), 'HOUR');
    await user.clear(screen.getByLabelText('Name'));
    await user.type(screen.getByLabelText('Name'), 'web_events_7');
    await user.type(screen.getByLabelText(/Description/), 'Page views');
    await user.click(screen.getByRole('radio', { name: /^FULL/ }));
    await user.click(screen.getByRole('button', { name: 'Create datasource' }));

    expect(sent.create).toEqual([
      {
        name: 'web_events_7',
        description: 'Page views',
        compatibility: 'FULL',
        time_column: 'event_time',
        columns: [
          { name: 'event_time', type: 'timestamp', required: true, rules: [{ kind: 'not_in_future' }] },
          { name: 'user_id', type: 'string', required: true, rules: [{ kind: 'not_blank' }] },
          { name: 'duration_ms', type: 'double', required: true, rules: [{ kind: 'min', bound: 0, inclusive: true }] },
        ],
        row_checks: [],
        granularity: { segment: 'HOUR', query: 'NONE' },
      },
    ]);
    expect(window.location.pathname).toBe('/datasources/web_events_7');
  });

  it('422: every problem in a list, and each next to its column or field', async () => {
    serve(() =>
      json(
        {
          code: 'invalid_schema',
          message: 'The schema definition has 3 problem(s).',
          details: {
            problems: [
              { path: 'columns[2].rules[0].bound', message: 'must be a number' },
              { path: 'name', message: 'must be 1-128 letters, digits, `_` or `-`' },
              { path: 'row_checks', message: 'must be a list' },
            ],
          },
        },
        422,
      ),
    );
    const user = await inferSample();
    await user.click(screen.getByRole('checkbox', { name: 'Include user_id' })); // columns[2] is now score
    await user.click(screen.getByRole('button', { name: 'Create datasource' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The datasource was not created');
    const items = within(alert).getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toEqual([
      'column “score”, rule 1, bound (columns[2].rules[0].bound): must be a number',
      'name: must be 1-128 letters, digits, `_` or `-`',
      'row checks (row_checks): must be a list',
    ]);
    const scoreName = screen.getByLabelText('Name of score');
    expect(scoreName).toHaveAttribute('aria-invalid', 'true');
    expect(scoreName).toHaveAccessibleDescription('columns[2].rules[0].bound must be a number');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription(
      'must be 1-128 letters, digits, `_` or `-` Letters, digits, _ and -, starting with a letter or digit.',
    );
  });

  it('409: a name already taken is said at the name field', async () => {
    serve(() =>
      json(
        {
          code: 'datasource_exists',
          message: 'A datasource named `web_events` already exists.',
          details: { field: 'name', datasource: 'web_events' },
        },
        409,
      ),
    );
    const user = await inferSample();
    await user.click(screen.getByRole('button', { name: 'Create datasource' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('A datasource named `web_events` already exists.');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(window.location.pathname).toBe('/');
  });

  it('a sample the server cannot read is refused with its message', async () => {
    mockFetch({
      '/api/v1/datasources/infer': () =>
        json({ code: 'unsupported_format', message: 'This looks like a PNG image, not a table.', details: {} }, 415),
    });
    const user = userEvent.setup();
    renderWithClient(<NewDatasourcePage />);
    await user.upload(screen.getByLabelText(/Choose a file/), SAMPLE);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Unsupported file format');
    expect(alert).toHaveTextContent('This looks like a PNG image, not a table.');
    expect(screen.queryByRole('button', { name: 'Create datasource' })).not.toBeInTheDocument();
  });

  it('a column the server could not read (a repeated header) is shown left out, without statistics', async () => {
    const proposal = makeProposal();
    const unread = { name: 'user_id_1', source_name: 'user_id', type: 'string' as const, formats: [], required: false, suggested_rules: [], stats: null };
    mockFetch({ '/api/v1/datasources/infer': () => json({ ...proposal, columns: [...proposal.columns, unread] }) });
    const user = userEvent.setup();
    renderWithClient(<NewDatasourcePage />);
    await user.upload(screen.getByLabelText(/Choose a file/), SAMPLE);
    const name = await screen.findByDisplayValue('user_id_1');
    const row = name.closest('tr') as HTMLElement;
    expect(within(row).getByText('not read')).toBeInTheDocument();
    expect(within(row).getByText('in the file: user_id')).toBeInTheDocument();
    expect(within(row).getByRole('checkbox', { name: 'Include user_id (column 5)' })).not.toBeChecked();
    expect(screen.getByLabelText('Name of user_id (column 2)')).toHaveValue('user_id');
    expect(name).toBeDisabled();
  });
});
