import { describe, expect, it } from 'vitest';
import type { SchemaChange } from '../../api/models';
import { ADD_REFERRER } from '../../test/datasources';
import { changeCounts, describeChange, druidChangeLines } from './changes';

function change(kind: string, overrides: Partial<SchemaChange> = {}): SchemaChange {
  return { kind, column: 'duration_ms', column_id: 4, description: `${kind} said by the server`, ...overrides };
}

describe('describeChange', () => {
  it('columns added and dropped, with their type, required flag and rules', () => {
    expect(describeChange(ADD_REFERRER)).toEqual({ tone: 'added', what: 'column referrer', after: 'string, optional' });
    expect(
      describeChange(
        change('DROP_COLUMN', {
          column: 'country',
          before: { id: 6, name: 'country', type: 'string', required: true, rules: [{ kind: 'not_blank' }] },
        }),
      ),
    ).toEqual({ tone: 'removed', what: 'column country', before: 'string, required; rules: not blank' });
  });

  it('type and required flag: from and to', () => {
    expect(describeChange(change('CHANGE_TYPE', { before: 'long', after: 'double' }))).toEqual({
      tone: 'changed',
      what: 'type of duration_ms',
      before: 'long',
      after: 'double',
    });
    expect(describeChange(change('MAKE_OPTIONAL', { before: true, after: false }))).toMatchObject({
      tone: 'changed',
      before: 'required',
      after: 'optional',
    });
    expect(describeChange(change('MAKE_REQUIRED', { before: false, after: true }))).toMatchObject({
      before: 'optional',
      after: 'required',
    });
  });

  it('rules added, removed and changed, said in words', () => {
    const min0 = { kind: 'min', bound: 0, inclusive: true };
    const min10 = { kind: 'min', bound: 10, inclusive: true };
    expect(describeChange(change('ADD_RULE', { after: min0, rule: 'min' }))).toEqual({
      tone: 'added',
      what: 'rule on duration_ms',
      after: 'at least 0',
    });
    expect(describeChange(change('REMOVE_RULE', { before: min0, rule: 'min' }))).toEqual({
      tone: 'removed',
      what: 'rule on duration_ms',
      before: 'at least 0',
    });
    expect(describeChange(change('CHANGE_RULE', { before: min0, after: min10, rule: 'min' }))).toEqual({
      tone: 'changed',
      what: 'rule min on duration_ms',
      before: 'at least 0',
      after: 'at least 10',
    });
  });

  it('row checks, the time column and the granularity', () => {
    const check = { kind: 'product_equals', rule: 'revenue', column: 'Revenue', factors: ['Quantity', 'UnitPrice'], discounts: ['Discount'], tolerance: 0.01 };
    expect(describeChange(change('ADD_ROW_CHECK', { column: 'Revenue', after: check, rule: 'revenue' }))).toEqual({
      tone: 'added',
      what: 'row check revenue',
      after: 'Revenue = Quantity × UnitPrice, less Discount (± 0.01)',
    });
    expect(describeChange(change('REMOVE_ROW_CHECK', { before: check, rule: 'revenue' })).tone).toBe('removed');
    expect(describeChange(change('CHANGE_TIME_COLUMN', { before: 'event_time', after: 'received_at' }))).toEqual({
      tone: 'changed',
      what: 'time column',
      before: 'event_time',
      after: 'received_at',
    });
    expect(
      describeChange(
        change('CHANGE_GRANULARITY', { column: null, before: { segment: 'DAY', query: 'NONE' }, after: { segment: 'HOUR', query: 'NONE' } }),
      ),
    ).toEqual({ tone: 'changed', what: 'granularity', before: 'segment DAY, query NONE', after: 'segment HOUR, query NONE' });
  });

  it('a kind it does not know, or a value it cannot read, still says something', () => {
    expect(describeChange(change('RENAME_COLUMN'))).toEqual({ tone: 'changed', what: 'RENAME_COLUMN said by the server' });
    expect(describeChange(change('ADD_RULE', { after: 42 })).after).toBe('42');
    expect(describeChange(change('ADD_COLUMN', { after: null })).after).toBeUndefined();
  });
});

describe('changeCounts and druidChangeLines', () => {
  it('counts by tone', () => {
    expect(changeCounts([])).toBe('no changes');
    expect(
      changeCounts([ADD_REFERRER, change('CHANGE_TYPE', { before: 'long', after: 'double' }), change('DROP_COLUMN')]),
    ).toBe('1 added, 1 removed, 1 changed');
  });

  it('Druid dimensions added, removed and retyped', () => {
    expect(
      druidChangeLines({
        dimensions_added: [{ name: 'referrer', type: 'string' }],
        dimensions_removed: [{ name: 'country', type: 'string' }],
        dimensions_retyped: [{ name: 'duration_ms', from: 'long', to: 'double' }],
      }),
    ).toEqual([
      { tone: 'added', text: 'dimension referrer (string)' },
      { tone: 'removed', text: 'dimension country (string)' },
      { tone: 'changed', text: 'dimension duration_ms from long to double' },
    ]);
  });
});
