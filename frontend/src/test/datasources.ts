/** Datasource, schema version and inference answers for tests: web events, as the backend's tests use them. */
import type {
  DatasourceDetail,
  InferProposal,
  SchemaChange,
  SchemaDefinition,
  SchemaVersion,
  SchemaVersionList,
} from '../api/models';

export const WEB_EVENTS_V1: SchemaDefinition = {
  time_column: 'event_time',
  columns: [
    { id: 1, name: 'event_time', type: 'timestamp', required: true, rules: [{ kind: 'not_in_future' }] },
    { id: 2, name: 'user_id', type: 'string', required: true, rules: [{ kind: 'not_blank' }, { kind: 'unique' }] },
    { id: 3, name: 'page', type: 'string', required: true, rules: [{ kind: 'one_of', values: ['/', '/docs', '/pricing'] }] },
    { id: 4, name: 'duration_ms', type: 'long', required: true, rules: [{ kind: 'min', bound: 0, inclusive: true }] },
    { id: 5, name: 'score', type: 'double', required: false, rules: [] },
    {
      id: 6,
      name: 'country',
      type: 'string',
      required: true,
      rules: [{ kind: 'pattern', regex: '[A-Z]{2}', meaning: 'two upper-case letters' }],
    },
  ],
  row_checks: [],
  granularity: { segment: 'DAY', query: 'NONE' },
  rollup: { enabled: false, metrics: [], count_metric: 'count' },
  partitioning: { type: 'dynamic', target_rows_per_segment: 5_000_000 },
};

export const ADD_REFERRER: SchemaChange = {
  kind: 'ADD_COLUMN',
  column: 'referrer',
  column_id: 7,
  description: 'added optional column `referrer` (string)',
  before: null,
  after: { id: 7, name: 'referrer', type: 'string', required: false, rules: [] },
  rule: null,
};

export const WEB_EVENTS_V2: SchemaDefinition = {
  ...WEB_EVENTS_V1,
  columns: [...WEB_EVENTS_V1.columns, { id: 7, name: 'referrer', type: 'string', required: false, rules: [] }],
};

export function makeSchemaVersion(overrides: Partial<SchemaVersion> = {}): SchemaVersion {
  return {
    datasource: 'web_events',
    version: 1,
    created_at: '2026-01-10T09:00:00Z',
    created_by: 'anonymous',
    summary: 'first version',
    restored_from: null,
    changes: [],
    definition: WEB_EVENTS_V1,
    ...overrides,
  };
}

export function makeDatasource(overrides: Partial<DatasourceDetail> = {}): DatasourceDetail {
  const schema = overrides.schema ?? makeSchemaVersion();
  return {
    name: 'web_events',
    description: 'Page views',
    druid_datasource: 'web_events',
    schema_version: schema.version,
    version: schema.version,
    compatibility: 'BACKWARD',
    time_column: schema.definition.time_column,
    columns: schema.definition.columns.map(({ name, type, required }) => ({ name, type, required })),
    jobs: { total: 3, by_state: { succeeded: 2, rejected: 1 } },
    last_ingest_at: '2026-01-10T11:00:00Z',
    created_at: '2026-01-10T09:00:00Z',
    updated_at: '2026-01-10T09:00:00Z',
    deleted: false,
    deleted_at: null,
    ...overrides,
    schema,
  };
}

/** Two versions: v2 added the optional column `referrer`. */
export const TWO_VERSIONS: SchemaVersionList = {
  datasource: 'web_events',
  current_version: 2,
  items: [
    {
      version: 2,
      created_at: '2026-01-10T10:00:00Z',
      created_by: 'anonymous',
      summary: 'added column `referrer`',
      restored_from: null,
    },
    { version: 1, created_at: '2026-01-10T09:00:00Z', created_by: 'anonymous', summary: 'first version', restored_from: null },
  ],
};

/** What POST /datasources/infer answers for a small web-events CSV. */
export function makeProposal(overrides: Partial<InferProposal> = {}): InferProposal {
  const stats = (min: unknown, max: unknown, examples: unknown[], nulls = 0, distinct = 3) => ({
    count: 3 - nulls,
    nulls,
    distinct,
    min,
    max,
    examples,
  });
  return {
    filename: 'Web Events.csv',
    format: 'csv',
    rows_read: 3,
    truncated: false,
    time_column: 'event_time',
    warnings: [{ column: 'score', message: 'One value in three is empty: proposed as optional.' }],
    sample_rows: [
      { event_time: '2025-03-01T00:00:00Z', user_id: 'u1', page: '/', duration_ms: 10, score: 1.5, country: 'US' },
    ],
    columns: [
      {
        name: 'event_time',
        source_name: 'event_time',
        type: 'timestamp',
        formats: ['%Y-%m-%dT%H:%M:%SZ'],
        required: true,
        suggested_rules: [{ kind: 'not_in_future' }],
        stats: stats('2025-03-01T00:00:00Z', '2025-03-01T02:00:00Z', ['2025-03-01T00:00:00Z']),
      },
      {
        name: 'user_id',
        source_name: 'user_id',
        type: 'string',
        formats: [],
        required: true,
        suggested_rules: [{ kind: 'not_blank' }, { kind: 'unique' }],
        stats: stats('u1', 'u3', ['u1', 'u2', 'u3']),
      },
      {
        name: 'duration_ms',
        source_name: 'duration_ms',
        type: 'long',
        formats: [],
        required: true,
        suggested_rules: [{ kind: 'min', bound: 0, inclusive: true }],
        stats: stats(10, 3000, [10, 250, 3000]),
      },
      {
        name: 'score',
        source_name: 'score',
        type: 'double',
        formats: [],
        required: false,
        suggested_rules: [{ kind: 'min', bound: 0, inclusive: true }],
        stats: stats(1.5, 2.25, [1.5, 2.25], 1, 2),
      },
    ],
    definition: {
      time_column: 'event_time',
      columns: [
        { name: 'event_time', type: 'timestamp', required: true, rules: [{ kind: 'not_in_future' }] },
        { name: 'user_id', type: 'string', required: true, rules: [{ kind: 'not_blank' }, { kind: 'unique' }] },
        { name: 'duration_ms', type: 'long', required: true, rules: [{ kind: 'min', bound: 0, inclusive: true }] },
        { name: 'score', type: 'double', required: false, rules: [{ kind: 'min', bound: 0, inclusive: true }] },
      ],
      row_checks: [],
      granularity: { segment: 'DAY', query: 'NONE' },
    },
    ...overrides,
  };
}
