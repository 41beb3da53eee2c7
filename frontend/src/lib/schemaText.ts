/**
 * A datasource's schema said for a person: rules, columns, granularity and values from a sample. Pure, so tests pin
 * the wording; the datasource pages and the new-datasource editor show schemas only through these.
 */
import { columnTypeWords, type ColumnType, type Granularity, type Partitioning, type Rollup, type Rule } from '../api/models';
import { displayText } from './display';

/** At most this many allowed values of a one_of rule are listed; the rest are counted. */
export const ONE_OF_SHOWN = 8;

function number(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** A list of words: "a, b and 3 more". */
export function listSome(items: readonly string[], shown: number): string {
  if (items.length <= shown) return items.join(', ');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

/**
 * One rule in words: "not blank", "unique", "one of DE, FR, US", "two upper-case letters (pattern [A-Z]{2})",
 * "at least 0", "more than 0", "at most 100", "less than 100", "not in the future", "not before 2020-01-01".
 */
export function ruleText(rule: Rule): string {
  switch (rule.kind) {
    case 'not_blank':
      return 'not blank';
    case 'unique':
      return 'unique';
    case 'one_of':
      return `one of ${listSome((rule.values ?? []).map(displayText), ONE_OF_SHOWN)}`;
    case 'pattern': {
      const regex = displayText(rule.regex ?? '');
      return rule.meaning ? `${displayText(rule.meaning)} (pattern ${regex})` : `matches the pattern ${regex}`;
    }
    case 'min':
      if (rule.bound === null || rule.bound === undefined) return 'has a minimum';
      return `${rule.inclusive ? 'at least' : 'more than'} ${number(rule.bound)}`;
    case 'max':
      if (rule.bound === null || rule.bound === undefined) return 'has a maximum';
      return `${rule.inclusive ? 'at most' : 'less than'} ${number(rule.bound)}`;
    case 'not_in_future':
      return 'not in the future';
    case 'too_old':
      return rule.earliest ? `not before ${displayText(rule.earliest)}` : 'not too old';
    default: {
      const kind: string = (rule as { kind: string }).kind;
      return kind.replace(/_/g, ' ');
    }
  }
}

/** A stable key for a rule in a list: its kind and parameters. */
export function ruleKey(rule: Rule): string {
  return JSON.stringify([rule.kind, rule.values, rule.regex, rule.bound, rule.inclusive, rule.earliest]);
}

/** "long (whole number)". */
export function typeText(type: ColumnType | string): string {
  const words = (['string', 'long', 'double', 'timestamp'] as string[]).includes(type)
    ? columnTypeWords(type as ColumnType)
    : null;
  return words ? `${type} (${words})` : type;
}

export function requiredText(required: boolean): string {
  return required ? 'required' : 'optional';
}

/** "segment DAY, query NONE". */
export function granularityText(g: Granularity): string {
  return `segment ${g.segment}, query ${g.query}`;
}

/** "off"; "on: longSum(units), doubleSum(amount); rows counted in `count`". */
export function rollupText(r: Rollup): string {
  if (!r.enabled) return 'off';
  const metrics = r.metrics.map((m) => `${m.aggregator}(${displayText(m.column)})`).join(', ');
  return `on: ${metrics}; rows counted in ${displayText(r.count_metric)}`;
}

/** "dynamic, 5,000,000 rows per segment"; "hashed by store, 3 shards"; "range by country, store, ...". */
export function partitioningText(p: Partitioning): string {
  const by = p.dimensions && p.dimensions.length > 0 ? ` by ${p.dimensions.map(displayText).join(', ')}` : '';
  const size =
    p.num_shards != null
      ? `${p.num_shards.toLocaleString('en-US')} shards`
      : `${(p.target_rows_per_segment ?? 5_000_000).toLocaleString('en-US')} rows per segment`;
  return `${p.type}${by}, ${size}`;
}

/**
 * A value from a sample (statistics, examples, rows as parsed): text escaped as display.ts does, numbers in
 * en-US digits, nothing as a dash, anything else as JSON.
 */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return displayText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? number(value) : String(value);
  if (typeof value === 'boolean') return String(value);
  return displayText(JSON.stringify(value));
}
