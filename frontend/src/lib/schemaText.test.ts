import { describe, expect, it } from 'vitest';
import { granularityText, listSome, partitioningText, requiredText, rollupText, ruleText, typeText, valueText } from './schemaText';

describe('ruleText', () => {
  it('says every rule kind for a person', () => {
    expect(ruleText({ kind: 'not_blank' })).toBe('not blank');
    expect(ruleText({ kind: 'unique' })).toBe('unique');
    expect(ruleText({ kind: 'one_of', values: ['DE', 'FR', 'US'] })).toBe('one of DE, FR, US');
    expect(ruleText({ kind: 'pattern', regex: '[A-Z]{2}', meaning: 'two upper-case letters' })).toBe(
      'two upper-case letters (pattern [A-Z]{2})',
    );
    expect(ruleText({ kind: 'pattern', regex: 'TX-[0-9]+' })).toBe('matches the pattern TX-[0-9]+');
    expect(ruleText({ kind: 'min', bound: 0, inclusive: true })).toBe('at least 0');
    expect(ruleText({ kind: 'min', bound: 0, inclusive: false })).toBe('more than 0');
    expect(ruleText({ kind: 'max', bound: 1_000_000, inclusive: true })).toBe('at most 1,000,000');
    expect(ruleText({ kind: 'max', bound: 0.5, inclusive: false })).toBe('less than 0.5');
    expect(ruleText({ kind: 'not_in_future' })).toBe('not in the future');
    expect(ruleText({ kind: 'too_old', earliest: '2020-01-01T00:00:00Z' })).toBe('not before 2020-01-01T00:00:00Z');
  });

  it('lists at most eight allowed values and counts the rest', () => {
    const values = Array.from({ length: 11 }, (_, i) => `v${i}`);
    expect(ruleText({ kind: 'one_of', values })).toBe('one of v0, v1, v2, v3, v4, v5, v6, v7 and 3 more');
  });

  it('escapes control characters a file put into a value', () => {
    expect(ruleText({ kind: 'one_of', values: ['a\u202Eb'] })).toBe('one of a\\u202eb');
  });
});

describe('schema words', () => {
  it('types, required, granularity, lists', () => {
    expect(typeText('long')).toBe('long (whole number)');
    expect(typeText('timestamp')).toBe('timestamp (date and time)');
    expect(typeText('json')).toBe('json');
    expect(requiredText(true)).toBe('required');
    expect(requiredText(false)).toBe('optional');
    expect(granularityText({ segment: 'HOUR', query: 'MINUTE' })).toBe('segment HOUR, query MINUTE');
    expect(listSome(['a', 'b', 'c'], 3)).toBe('a, b, c');
    expect(listSome(['a', 'b', 'c'], 2)).toBe('a, b and 1 more');
  });

  it('values from a sample', () => {
    expect(valueText(null)).toBe('—');
    expect(valueText(undefined)).toBe('—');
    expect(valueText(1234.5)).toBe('1,234.5');
    expect(valueText('line\nbreak')).toBe('line\\nbreak');
    expect(valueText(true)).toBe('true');
    expect(valueText({ a: 1 })).toBe('{"a":1}');
  });
});

describe('Druid layout text', () => {
  it('says rollup off, or its metrics and count metric', () => {
    expect(rollupText({ enabled: false, metrics: [], count_metric: 'count' })).toBe('off');
    expect(
      rollupText({
        enabled: true,
        metrics: [
          { column: 'units', aggregator: 'longSum' },
          { column: 'amount', aggregator: 'doubleMax' },
        ],
        count_metric: 'count',
      }),
    ).toBe('on: longSum(units), doubleMax(amount); rows counted in count');
  });

  it('says each partitioning type with its size', () => {
    expect(partitioningText({ type: 'dynamic', target_rows_per_segment: 5_000_000 })).toBe(
      'dynamic, 5,000,000 rows per segment',
    );
    expect(partitioningText({ type: 'hashed', dimensions: ['store'], num_shards: 3 })).toBe('hashed by store, 3 shards');
    expect(partitioningText({ type: 'range', dimensions: ['country', 'store'], target_rows_per_segment: 1000 })).toBe(
      'range by country, store, 1,000 rows per segment',
    );
  });
});
