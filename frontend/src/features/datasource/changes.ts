/**
 * A schema change (from a diff, a dry run or a 409) as the page shows it: a tone with its own word (Added, Removed,
 * Changed; the colour only repeats the word), what changed, and the values before and after in words. The server's
 * `before` / `after` are free-form JSON in the document, so each is read through a guard; a change of a kind this
 * page does not know is shown with the server's own sentence.
 */
import type { DruidChanges, Granularity, Rule, SchemaChange } from '../../api/models';
import { displayText } from '../../lib/display';
import { granularityText, requiredText, ruleText } from '../../lib/schemaText';

export type ChangeTone = 'added' | 'removed' | 'changed';

export const TONE_WORDS: Record<ChangeTone, string> = { added: 'Added', removed: 'Removed', changed: 'Changed' };

export interface ChangeView {
  tone: ChangeTone;
  /** What changed: "column referrer", "type of duration_ms", "rule on page", "time column". */
  what: string;
  /** The value before, in words (changes and removals). */
  before?: string;
  /** The value after, in words (changes and additions). */
  after?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRule(value: unknown): value is Rule {
  return isRecord(value) && typeof value.kind === 'string';
}

function isGranularity(value: unknown): value is Granularity {
  return isRecord(value) && typeof value.segment === 'string' && typeof value.query === 'string';
}

/** A column as ADD_COLUMN / DROP_COLUMN carry it: "string, optional; rules: not blank, unique". */
export function columnText(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  const required = typeof value.required === 'boolean' ? `, ${requiredText(value.required)}` : '';
  const rules = Array.isArray(value.rules) ? value.rules.filter(isRule).map(ruleText) : [];
  return `${value.type}${required}${rules.length ? `; rules: ${rules.join(', ')}` : ''}`;
}

/** A row check as ADD_ROW_CHECK / REMOVE_ROW_CHECK carry it: "Revenue = Quantity × UnitPrice, less Discount". */
export function rowCheckText(value: unknown): string | undefined {
  if (!isRecord(value) || typeof value.column !== 'string' || !Array.isArray(value.factors)) return undefined;
  const factors = value.factors.map((f) => displayText(String(f))).join(' × ');
  const discounts = Array.isArray(value.discounts) && value.discounts.length ? `, less ${value.discounts.join(', ')}` : '';
  const tolerance = typeof value.tolerance === 'number' && value.tolerance > 0 ? ` (± ${value.tolerance})` : '';
  return `${displayText(value.column)} = ${factors}${discounts}${tolerance}`;
}

function said(value: unknown, read: (v: unknown) => string | undefined): string | undefined {
  return value === null || value === undefined ? undefined : (read(value) ?? displayText(JSON.stringify(value)));
}

const asText = (v: unknown) => (typeof v === 'string' ? displayText(v) : undefined);
const asRequired = (v: unknown) => (typeof v === 'boolean' ? requiredText(v) : undefined);
const asRule = (v: unknown) => (isRule(v) ? ruleText(v) : undefined);
const asGranularity = (v: unknown) => (isGranularity(v) ? granularityText(v) : undefined);

export function describeChange(change: SchemaChange): ChangeView {
  const column = displayText(change.column ?? '');
  const rule = change.rule ? displayText(change.rule) : '';
  const { before, after } = change;
  switch (change.kind) {
    case 'ADD_COLUMN':
      return { tone: 'added', what: `column ${column}`, after: said(after, columnText) };
    case 'DROP_COLUMN':
      return { tone: 'removed', what: `column ${column}`, before: said(before, columnText) };
    case 'CHANGE_TYPE':
      return { tone: 'changed', what: `type of ${column}`, before: said(before, asText), after: said(after, asText) };
    case 'MAKE_REQUIRED':
    case 'MAKE_OPTIONAL':
      return { tone: 'changed', what: `${column}`, before: said(before, asRequired), after: said(after, asRequired) };
    case 'ADD_RULE':
      return { tone: 'added', what: `rule on ${column}`, after: said(after, asRule) };
    case 'REMOVE_RULE':
      return { tone: 'removed', what: `rule on ${column}`, before: said(before, asRule) };
    case 'CHANGE_RULE':
      return { tone: 'changed', what: `rule ${rule} on ${column}`, before: said(before, asRule), after: said(after, asRule) };
    case 'ADD_ROW_CHECK':
      return { tone: 'added', what: `row check ${rule}`, after: said(after, rowCheckText) };
    case 'REMOVE_ROW_CHECK':
      return { tone: 'removed', what: `row check ${rule}`, before: said(before, rowCheckText) };
    case 'CHANGE_TIME_COLUMN':
      return { tone: 'changed', what: 'time column', before: said(before, asText), after: said(after, asText) };
    case 'CHANGE_GRANULARITY':
      return { tone: 'changed', what: 'granularity', before: said(before, asGranularity), after: said(after, asGranularity) };
    default:
      return { tone: 'changed', what: displayText(change.description) };
  }
}

/** "2 added, 1 removed, 1 changed"; "no changes". */
export function changeCounts(changes: readonly SchemaChange[]): string {
  if (changes.length === 0) return 'no changes';
  const counts: Record<ChangeTone, number> = { added: 0, removed: 0, changed: 0 };
  for (const change of changes) counts[describeChange(change).tone] += 1;
  return (Object.keys(counts) as ChangeTone[])
    .filter((tone) => counts[tone] > 0)
    .map((tone) => `${counts[tone]} ${tone}`)
    .join(', ');
}

/** Druid's dimension changes in words, one line each; empty when Druid's columns stay as they are. */
export function druidChangeLines(druid: DruidChanges): { tone: ChangeTone; text: string }[] {
  return [
    ...druid.dimensions_added.map((d) => ({ tone: 'added' as const, text: `dimension ${displayText(d.name)} (${d.type})` })),
    ...druid.dimensions_removed.map((d) => ({ tone: 'removed' as const, text: `dimension ${displayText(d.name)} (${d.type})` })),
    ...druid.dimensions_retyped.map((d) => ({
      tone: 'changed' as const,
      text: `dimension ${displayText(d.name)} from ${d.from} to ${d.to}`,
    })),
  ];
}
