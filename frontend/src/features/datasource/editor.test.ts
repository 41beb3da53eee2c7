import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { ADD_REFERRER, WEB_EVENTS_V1 } from '../../test/datasources';
import { describeRegistrationError, editableDefinition, parseDefinition } from './editor';

describe('the schema editor text', () => {
  it('is the definition without column ids, and reads back to the same definition', () => {
    const text = editableDefinition(WEB_EVENTS_V1);
    expect(text).not.toContain('"id"');
    expect(text.startsWith('{\n  "time_column": "event_time",\n  "columns": [')).toBe(true);
    const parsed = parseDefinition(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.definition.columns.map((c) => c.name)).toEqual(WEB_EVENTS_V1.columns.map((c) => c.name));
      expect(parsed.definition.granularity).toEqual({ segment: 'DAY', query: 'NONE' });
    }
  });

  it('keeps the rollup and partitioning, so a version saved from the editor does not reset them', () => {
    const laidOut = {
      ...WEB_EVENTS_V1,
      rollup: { enabled: true, metrics: [{ column: 'duration_ms', aggregator: 'longSum' as const }], count_metric: 'count' },
      partitioning: { type: 'hashed' as const, dimensions: ['country'], num_shards: 4 },
    };
    const parsed = parseDefinition(editableDefinition(laidOut));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.definition.rollup).toEqual(laidOut.rollup);
      expect(parsed.definition.partitioning).toEqual({ type: 'hashed', dimensions: ['country'], num_shards: 4 });
    }
    const dynamic = parseDefinition(editableDefinition(WEB_EVENTS_V1));
    expect(dynamic.ok && dynamic.definition.partitioning).toEqual({ type: 'dynamic', target_rows_per_segment: 5_000_000 });
  });

  it('says what is wrong with text that is not a JSON object', () => {
    const broken = parseDefinition('{"time_column": ');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.message).toMatch(/^This is not valid JSON: /);
    expect(parseDefinition('[1, 2]')).toEqual({
      ok: false,
      message: 'The definition must be a JSON object with time_column and columns.',
    });
  });
});

describe('describeRegistrationError', () => {
  it('409 incompatible_schema: the mode, every violation and the changes', () => {
    const violation = { kind: 'CHANGE_TYPE', column: 'duration_ms', reason: 'BACKWARD: two types', against_version: 1 };
    const error = new ApiError(409, {
      code: 'incompatible_schema',
      message: 'This schema is not compatible.',
      details: { compatibility: 'BACKWARD', violations: [violation], changes: [ADD_REFERRER] },
    });
    expect(describeRegistrationError(error)).toEqual({
      title: 'Not saved: incompatible under BACKWARD',
      message: 'This schema is not compatible.',
      violations: [violation],
      changes: [ADD_REFERRER],
      problems: [],
    });
  });

  it('422 invalid_schema: the problems at their paths', () => {
    const problems = [{ path: 'columns[3].rules[0].regex', message: 'is not a valid regex' }];
    const error = new ApiError(422, { code: 'invalid_schema', message: 'The schema definition has 1 problem(s)', details: { problems } });
    expect(describeRegistrationError(error, 'checked')).toMatchObject({ title: 'Not checked: the definition has problems', problems });
  });

  it('a deleted datasource, a server error, no answer', () => {
    const deleted = new ApiError(409, { code: 'datasource_deleted', message: 'Deleted.', details: {} });
    expect(describeRegistrationError(deleted, 'restored').title).toBe('Not restored: the datasource was deleted');
    expect(describeRegistrationError(new ApiError(500, { code: 'internal_error', message: 'Oops', details: {} })).title).toBe(
      'Not saved (500)',
    );
    expect(describeRegistrationError(new ApiError(0, { code: 'network_error', message: 'No answer', details: {} })).title).toBe(
      'Not saved (no answer)',
    );
  });
});
