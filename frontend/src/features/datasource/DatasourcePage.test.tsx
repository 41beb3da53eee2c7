import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { DatasourceDetail, SchemaChange } from '../../api/models';
import { ADD_REFERRER, makeDatasource, makeSchemaVersion, TWO_VERSIONS, WEB_EVENTS_V2 } from '../../test/datasources';
import { callsTo, json, makeJob, mockFetch, renderWithClient } from '../../test/utils';
import type { Me } from '../../api/models';
import { CallerContext } from '../access/me';
import { DatasourcePage } from './DatasourcePage';

const BASE = '/api/v1/datasources/web_events';
const chunk = (day: string, segments: number, rows: number, verdict: string) => ({
  start: `2025-03-${day}T00:00:00.000Z`,
  end: `2025-03-${day}T23:59:59.999Z`,
  segments,
  rows,
  bytes: rows * 100,
  average_rows_per_segment: rows / segments,
  shard_types: ['numbered'],
  verdict,
});
const SEGMENTS = {
  datasource: 'web_events',
  druid_datasource: 'web_events',
  target_rows_per_segment: 5_000_000,
  totals: { chunks: 2, segments: 21, rows: 3_000, bytes: 300_000, fragmented: 1, oversized: 0 },
  chunks: [chunk('01', 1, 1_000, 'ok'), chunk('02', 20, 2_000, 'fragmented')],
};
const RETYPE: SchemaChange = {
  kind: 'CHANGE_TYPE',
  column: 'duration_ms',
  column_id: 4,
  description: 'changed the type of `duration_ms` from long to double',
  before: 'long',
  after: 'double',
};

/** The API of one datasource at version 2; `answers` replaces any route. Records the bodies sent. */
function serve(answers: Record<string, (request: Request) => Response | Promise<Response>> = {}) {
  let detail: DatasourceDetail = makeDatasource({
    schema: makeSchemaVersion({ version: 2, definition: WEB_EVENTS_V2, changes: [ADD_REFERRER], summary: 'added column `referrer`' }),
  });
  const sent: { method: string; path: string; body: unknown }[] = [];
  const record = async (path: string, request: Request | undefined) => {
    const text = request ? await request.clone().text() : '';
    sent.push({ method: request?.method ?? 'GET', path, body: text ? JSON.parse(text) : null });
  };
  const route = (path: string, fallback: (request: Request | undefined) => Response | Promise<Response>) => ({
    [path]: async (_: URL, request: Request | undefined) => {
      await record(path, request);
      const answer = answers[`${request?.method ?? 'GET'} ${path}`];
      return answer && request ? answer(request) : fallback(request);
    },
  });
  const fetch = mockFetch({
    ...route(BASE, async (request) => {
      if (request?.method === 'PATCH') detail = { ...detail, ...((await request.clone().json()) as Partial<DatasourceDetail>) };
      if (request?.method === 'DELETE') detail = { ...detail, deleted: true, deleted_at: '2026-01-10T12:00:00Z' };
      return json(detail);
    }),
    ...route(`${BASE}/schemas`, () => json(TWO_VERSIONS)),
    ...route(`${BASE}/grants`, () => json({ items: [{ datasource: 'web_events', username: 'ana', role: 'upload' }] })),
    ...route(`${BASE}/grants/bo`, () => json({ datasource: 'web_events', username: 'bo', role: 'read' })),
    ...route(`${BASE}/grants/ana`, () => new Response(null, { status: 204 })),
    ...route(`${BASE}/segments`, () => json(SEGMENTS)),
    ...route(`${BASE}/compact`, () =>
      json(makeJob({ job_id: 'c0ffee00-0000-4000-8000-000000000001', kind: 'compaction', state: 'submitting' }), 202),
    ),
    ...route(`${BASE}/auto-compaction`, async (request) => {
      const enabled = request?.method === 'PUT' ? ((await request.clone().json()) as { enabled: boolean }).enabled : false;
      return json({
        datasource: 'web_events',
        druid_datasource: 'web_events',
        enabled,
        skip_offset_from_latest: enabled ? 'PT24H' : null,
        partitions_spec: enabled ? { type: 'dynamic', maxRowsPerSegment: 5_000_000 } : null,
        coordinator_config: enabled ? { dataSource: 'web_events' } : null,
      });
    }),
    ...route(`${BASE}/schemas/1/diff/2`, () =>
      json({ datasource: 'web_events', from_version: 1, to_version: 2, changes: [ADD_REFERRER] }),
    ),
    ...route(`${BASE}/schemas/2/diff/1`, () =>
      json({ datasource: 'web_events', from_version: 2, to_version: 1, changes: [{ ...ADD_REFERRER, kind: 'DROP_COLUMN', before: ADD_REFERRER.after, after: null }] }),
    ),
    ...route(`${BASE}/schemas/check`, () =>
      json({
        compatible: true,
        compatibility: 'BACKWARD',
        current_version: 2,
        changes: [{ ...ADD_REFERRER, column: 'campaign', after: { name: 'campaign', type: 'string', required: false, rules: [] } }],
        violations: [],
        druid: { dimensions_added: [{ name: 'campaign', type: 'string' }], dimensions_removed: [], dimensions_retyped: [] },
      }),
    ),
    ...route(`${BASE}/schemas/1/restore`, () =>
      json({ ...makeSchemaVersion({ version: 3, restored_from: 1, summary: 'dropped column `referrer`' }), created: true }, 201),
    ),
    ...route('/api/v1/jobs', () =>
      json({ total: 1, items: [{ ...makeJob({ job_id: 'j1', datasource: 'web_events', schema_version: 2, filename: 'events.csv' }), events: undefined }] }),
    ),
  });
  return { fetch, sent };
}

async function open() {
  const user = userEvent.setup();
  renderWithClient(<DatasourcePage name="web_events" />);
  await screen.findByRole('heading', { name: /^Schema, version/ });
  return user;
}

function editor(): HTMLTextAreaElement {
  return screen.getByLabelText('Definition (JSON)');
}

describe('<DatasourcePage>', () => {
  it('shows the current schema with its rules in words, and an upload button for this datasource', async () => {
    serve();
    await open();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('web_events v2');
    const table = screen.getByRole('table', { name: 'Columns of web_events, version 2' });
    const rows = within(table).getAllByRole('row').slice(1);
    const said = rows.map((r) => [
      within(r).getByRole('rowheader').textContent,
      ...within(r).getAllByRole('cell').map((c) => c.textContent),
    ]);
    expect(said).toEqual([
      ['event_timetime column', 'timestamp (date and time)', 'required', 'not in the future'],
      ['user_id', 'string (text)', 'required', 'not blankunique'],
      ['page', 'string (text)', 'required', 'one of /, /docs, /pricing'],
      ['duration_ms', 'long (whole number)', 'required', 'at least 0'],
      ['score', 'double (decimal number)', 'optional', '—'],
      ['country', 'string (text)', 'required', 'two upper-case letters (pattern [A-Z]{2})'],
      ['referrer', 'string (text)', 'optional', '—'],
    ]);
    expect(screen.getByRole('link', { name: 'Upload to this datasource' })).toHaveAttribute(
      'href',
      '/upload?datasource=web_events',
    );
  });

  it('lists the versions newest first, with who, when, what changed and what a version restored', async () => {
    const versions = {
      ...TWO_VERSIONS,
      current_version: 3,
      items: [
        { version: 3, created_at: '2026-01-10T11:00:00Z', created_by: 'anonymous', summary: 'dropped column `referrer`', restored_from: 1 },
        ...TWO_VERSIONS.items,
      ],
    };
    serve({ [`GET ${BASE}/schemas`]: () => json(versions) });
    await open();
    const table = await screen.findByRole('table', { name: 'Schema versions, newest first' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual(['v3current', 'v2', 'v1']);
    expect(within(rows[0] as HTMLElement).getByText('restored from v1')).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText('added column `referrer`')).toBeInTheDocument();
    expect(within(rows[0] as HTMLElement).queryByRole('button', { name: /Restore/ })).not.toBeInTheDocument();
    expect(within(rows[2] as HTMLElement).getByRole('button', { name: 'Restore version 1' })).toBeInTheDocument();
  });

  it('compares the version before the current one with it, then any two chosen', async () => {
    const { fetch } = serve();
    const user = await open();
    const added = await screen.findByRole('list', { name: 'Changes from version 1 to version 2' });
    expect(within(added).getByRole('listitem')).toHaveTextContent('Added column referrer: string, optional');
    expect(within(added).getByRole('listitem')).toHaveClass('change-added');
    expect(screen.getByText('From v1 to v2: 1 added.')).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('From version'), '2');
    expect(screen.getByText('The same version: nothing to compare.')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('To version'), '1');
    const removed = await screen.findByRole('list', { name: 'Changes from version 2 to version 1' });
    expect(within(removed).getByRole('listitem')).toHaveTextContent('Removed column referrer: string, optional');
    expect(window.location.search).toBe('?from=2&to=1');
    expect(callsTo(fetch, `${BASE}/schemas/2/diff/1`)).toHaveLength(1);
  });

  it('checks an edited definition: compatible or not, the changes, and Druid’s', async () => {
    const { sent } = serve();
    const user = await open();
    const text = editor().value;
    expect(JSON.parse(text).columns).toHaveLength(7);
    expect(text).not.toContain('"id"');
    const edited = JSON.parse(text) as { columns: unknown[] };
    edited.columns.push({ name: 'campaign', type: 'string', required: false, rules: [] });
    fireEvent.change(editor(), { target: { value: JSON.stringify(edited) } });
    await user.click(screen.getByRole('button', { name: 'Check' }));

    const result = await screen.findByText('Compatible with version 2 under BACKWARD');
    const notice = result.closest('.notice') as HTMLElement;
    expect(within(notice).getByRole('list', { name: 'Changes from version 2' })).toHaveTextContent(
      'Added column campaign: string, optional',
    );
    expect(within(notice).getByRole('list', { name: 'Druid dimension changes' })).toHaveTextContent(
      'Added dimension campaign (string)',
    );
    expect(sent.find((s) => s.path === `${BASE}/schemas/check`)?.body).toEqual(edited);
  });

  it('says text that is not JSON before sending anything', async () => {
    const { fetch } = serve();
    const user = await open();
    fireEvent.change(editor(), { target: { value: '{"columns": [' } });
    await user.click(screen.getByRole('button', { name: 'Check' }));
    expect(screen.getByRole('alert')).toHaveTextContent(/^This is not valid JSON: /);
    expect(editor()).toHaveAttribute('aria-invalid', 'true');
    expect(callsTo(fetch, `${BASE}/schemas/check`)).toHaveLength(0);
  });

  it('save refused (409): every violation with its reason, and the changes', async () => {
    serve({
      [`POST ${BASE}/schemas`]: () =>
        json(
          {
            code: 'incompatible_schema',
            message: 'This schema is not compatible with `web_events` under BACKWARD.',
            details: {
              compatibility: 'BACKWARD',
              violations: [
                {
                  kind: 'CHANGE_TYPE',
                  column: 'duration_ms',
                  reason: 'BACKWARD: `duration_ms` is long in version 2 and double in version 3',
                  against_version: 2,
                },
              ],
              changes: [RETYPE],
            },
          },
          409,
        ),
    });
    const user = await open();
    await user.click(screen.getByRole('button', { name: 'Save as new version' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Not saved: incompatible under BACKWARD');
    expect(alert).toHaveTextContent(
      'CHANGE_TYPE on duration_ms: BACKWARD: `duration_ms` is long in version 2 and double in version 3 (against version 2)',
    );
    expect(within(alert).getByRole('list', { name: 'Changes refused' })).toHaveTextContent(
      'Changed type of duration_ms: from long to double',
    );
  });

  it('saves a new version, or says an identical one registered nothing', async () => {
    let created = true;
    const { fetch } = serve({
      [`POST ${BASE}/schemas`]: () =>
        json({ ...makeSchemaVersion({ version: created ? 3 : 2, definition: WEB_EVENTS_V2 }), created }, created ? 201 : 200),
    });
    const user = await open();
    const before = callsTo(fetch, BASE).length;
    await user.click(screen.getByRole('button', { name: 'Save as new version' }));
    expect(await screen.findByText('Version 3 registered.')).toBeInTheDocument();
    // The page reads the datasource again: its version changed.
    expect(callsTo(fetch, BASE).length).toBeGreaterThan(before);

    created = false;
    await user.click(screen.getByRole('button', { name: 'Save as new version' }));
    expect(await screen.findByText('Identical to the current version 2: nothing was registered.')).toBeInTheDocument();
  });

  it('restores an old version as a new one', async () => {
    const { sent } = serve();
    const user = await open();
    await user.click(await screen.findByRole('button', { name: 'Restore version 1' }));
    expect(await screen.findByText('Version 3 registered: it restores version 1.')).toBeInTheDocument();
    expect(sent.filter((s) => s.method === 'POST').map((s) => s.path)).toEqual([`${BASE}/schemas/1/restore`]);
  });

  it('changes the compatibility mode with PATCH', async () => {
    const { sent } = serve();
    const user = await open();
    await user.selectOptions(screen.getByLabelText('Compatibility mode'), 'FULL');
    expect(screen.getByText('Both BACKWARD and FORWARD: only changes every version accepts.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Change mode' }));
    expect(await screen.findByText('The mode is now FULL.')).toBeInTheDocument();
    expect(sent.filter((s) => s.method === 'PATCH')).toEqual([{ method: 'PATCH', path: BASE, body: { compatibility: 'FULL' } }]);
  });

  it('deletes after a confirmation; a deleted datasource shows a banner and no upload button', async () => {
    const { sent } = serve();
    const user = await open();
    await user.click(screen.getByRole('button', { name: /Delete datasource/ }));
    const confirm = screen.getByRole('group', { name: 'Delete web_events?' });
    await user.click(within(confirm).getByRole('button', { name: 'Keep it' }));
    expect(sent.some((s) => s.method === 'DELETE')).toBe(false);

    await user.click(screen.getByRole('button', { name: /Delete datasource/ }));
    await user.click(screen.getByRole('button', { name: 'Yes, delete web_events' }));
    expect(await screen.findByText(/This datasource was deleted/)).toBeInTheDocument();
    expect(sent.filter((s) => s.method === 'DELETE').map((s) => s.path)).toEqual([BASE]);
    expect(screen.queryByRole('link', { name: 'Upload to this datasource' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Definition (JSON)')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Restore/ })).not.toBeInTheDocument();
  });

  it('lists its recent jobs with their schema version, linking to each', async () => {
    const { fetch } = serve();
    await open();
    const link = await screen.findByRole('link', { name: 'events.csv' });
    expect(link).toHaveAttribute('href', '/jobs/j1');
    expect(within(link.closest('tr') as HTMLElement).getByText('v2')).toBeInTheDocument();
    expect(Object.fromEntries(callsTo(fetch, '/api/v1/jobs')[0]?.searchParams ?? [])).toEqual({
      datasource: 'web_events',
      limit: '10',
      offset: '0',
    });
  });

  it('who may use it: the grants listed, a role given with PUT and taken away with DELETE', async () => {
    const { sent } = serve();
    const user = await open();
    const panel = (await screen.findByRole('heading', { name: 'Who may use it' })).closest('section') as HTMLElement;
    expect(await within(panel).findByRole('cell', { name: 'ana' })).toBeInTheDocument();
    await user.type(within(panel).getByLabelText('Username'), 'bo');
    await user.selectOptions(within(panel).getByLabelText('Role'), 'read');
    await user.click(within(panel).getByRole('button', { name: 'Give the role' }));
    await user.click(within(panel).getByRole('button', { name: 'Remove ana' }));
    expect(sent.filter((s) => s.path.includes('/grants/'))).toEqual([
      { method: 'PUT', path: `${BASE}/grants/bo`, body: { role: 'read' } },
      { method: 'DELETE', path: `${BASE}/grants/ana`, body: null },
    ]);
    expect(within(panel).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('a reader is offered no upload, no schema change, no grants and no settings', async () => {
    serve();
    const reader: Me = {
      username: 'rita', display_name: '', via: 'session', is_admin: false, grants: { web_events: 'read' },
      scopes: null, csrf_token: 'x',
    };
    renderWithClient(
      <CallerContext.Provider value={reader}>
        <DatasourcePage name="web_events" />
      </CallerContext.Provider>,
    );
    await screen.findByRole('heading', { name: /^Schema, version/ });
    expect(screen.queryByRole('link', { name: /Upload to this datasource/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Change the schema' })).not.toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Who may use it' })).not.toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Settings' })).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Recent jobs' })).toBeInTheDocument();
  });

  it('turns automatic compaction on and says what the Coordinator holds', async () => {
    const { sent } = serve();
    await open();
    const box = await screen.findByRole('checkbox', { name: 'Compact automatically' });
    expect(box).not.toBeChecked();
    expect(screen.getByText('Druid does not compact this datasource automatically.')).toBeInTheDocument();
    await userEvent.click(box);
    expect(await screen.findByText(/Druid compacts this datasource automatically \(dynamic partitioning/)).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Compact automatically' })).toBeChecked();
    expect(sent.filter((s) => s.method === 'PUT' && s.path.endsWith('/auto-compaction')).map((s) => s.body)).toEqual([
      { enabled: true, skip_offset_hours: 24 },
    ]);
  });

  it('draws the segments per chunk, fragmented ones told apart, and lists the fragmented chunks', async () => {
    serve();
    await open();
    const chart = await screen.findByRole('img', { name: /2 time chunks, 21 segments, 3,000 rows/ });
    expect(chart.querySelectorAll('rect[data-verdict="fragmented"]')).toHaveLength(1);
    expect(chart.querySelectorAll('rect[data-verdict="ok"]')).toHaveLength(1);
    expect(chart.querySelectorAll('circle')).toHaveLength(2);
    expect(screen.getByText(/1 fragmented/)).toBeInTheDocument();
    const table = screen.getByRole('table', { name: /Fragmented time chunks of web_events/ });
    expect(within(table).getByRole('cell', { name: '2025-03-02' })).toBeInTheDocument();
  });

  it('compacts the fragmented chunks on request and goes to the compaction job', async () => {
    const { sent } = serve();
    await open();
    await userEvent.click(await screen.findByRole('button', { name: 'Compact the fragmented chunk' }));
    await waitFor(() => expect(window.location.pathname).toBe('/jobs/c0ffee00-0000-4000-8000-000000000001'));
    expect(sent.filter((s) => s.path.endsWith('/compact')).map((s) => [s.method, s.body])).toEqual([['POST', {}]]);
  });

  it('an unknown name: says so', async () => {
    mockFetch({
      [BASE]: () => json({ code: 'unknown_datasource', message: 'Unknown datasource `web_events`.', details: {} }, 404),
    });
    renderWithClient(<DatasourcePage name="web_events" />);
    expect(await screen.findByRole('heading', { name: 'Datasource not found' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'See all datasources' })).toHaveAttribute('href', '/datasources');
  });
});
