/**
 * The new-datasource editor's state and its pure updates: a proposal from POST /datasources/infer becomes a draft
 * (one row per column of the sample), the person edits it, and `definitionOf` turns it into the body of
 * POST /datasources. A 422's problems name paths in that body (`columns[3].rules[0].regex`); `placeProblems` maps
 * them back to the draft's rows and fields, which is why `definitionOf` also answers which row each sent column is.
 */
import type { Problem } from '../../api/client';
import {
  DEFAULT_COMPATIBILITY,
  DEFAULT_GRANULARITY,
  type ColumnStats,
  type ColumnType,
  type CompatibilityMode,
  type DatasourceIn,
  type Granularity,
  type InferProposal,
  type Rule,
} from '../../api/models';
import { displayText } from '../../lib/display';

export interface RuleChoice {
  rule: Rule;
  /** Whether the rule goes into the definition (a suggestion can be left out). */
  keep: boolean;
}

export interface ColumnDraft {
  /** Stable key of the row: the column's position in the sample. */
  key: string;
  /** Whether the column goes into the definition. */
  include: boolean;
  name: string;
  /** The name in the file (the proposal renames a reserved name; see the warnings). */
  sourceName: string;
  type: ColumnType;
  required: boolean;
  rules: RuleChoice[];
  /** Timestamps: the forms the values are written in. */
  formats: string[];
  /** Null for a column the server could not read (a repeated header). */
  stats: ColumnStats | null;
}

export interface Draft {
  name: string;
  description: string;
  /** Empty: the same as the name. */
  druidDatasource: string;
  compatibility: CompatibilityMode;
  /** The key of the time column's row, or null when the sample has none. */
  timeColumn: string | null;
  granularity: Granularity;
  columns: ColumnDraft[];
}

/** The longest name the API takes (NAME_PATTERN: 1-128 letters, digits, `_`, `-`, starting with a letter or digit). */
export const NAME_MAX = 128;
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** A datasource name suggested by the sample's filename: "Web Events (March).csv" -> "web_events_march". */
export function nameFromFilename(filename: string | null | undefined): string {
  const stem = (filename ?? '').replace(/\.(gz|gzip)$/i, '').replace(/\.[^.]*$/, '');
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, NAME_MAX);
  return NAME_PATTERN.test(name) ? name : '';
}

/** The draft of a proposal: every column of the sample, those of the proposed definition included, as proposed. */
export function draftFromProposal(proposal: InferProposal): Draft {
  const { definition } = proposal;
  const columns = proposal.columns.map((column, index): ColumnDraft => {
    const declared = definition.columns.find((c) => c.name === column.name);
    const rules = declared?.rules ?? column.suggested_rules;
    return {
      key: `c${index}`,
      include: declared !== undefined,
      name: column.name,
      sourceName: column.source_name,
      type: declared?.type ?? column.type,
      required: declared?.required ?? column.required,
      rules: rules.map((rule) => ({ rule, keep: declared !== undefined })),
      formats: column.formats,
      stats: column.stats,
    };
  });
  const timeName = definition.time_column || proposal.time_column;
  return {
    name: nameFromFilename(proposal.filename),
    description: '',
    druidDatasource: '',
    compatibility: DEFAULT_COMPATIBILITY,
    timeColumn: columns.find((c) => c.name === timeName && c.include)?.key ?? null,
    granularity: definition.granularity ?? DEFAULT_GRANULARITY,
    columns,
  };
}

/**
 * What a row's controls are called ("Name of user_id", "Type of user_id"): the column's name in the file, which
 * stays put while the person edits the proposed name; with its position when the file repeats that header or
 * leaves it empty.
 */
export function rowLabels(columns: readonly ColumnDraft[]): Record<string, string> {
  const seen = new Map<string, number>();
  for (const c of columns) seen.set(c.sourceName, (seen.get(c.sourceName) ?? 0) + 1);
  return Object.fromEntries(
    columns.map((c, i) => {
      const source = displayText(c.sourceName);
      if (!c.sourceName.trim()) return [c.key, `column ${i + 1}`];
      return [c.key, (seen.get(c.sourceName) ?? 0) > 1 ? `${source} (column ${i + 1})` : source];
    }),
  );
}

export function updateColumn(draft: Draft, key: string, patch: Partial<Omit<ColumnDraft, 'key'>>): Draft {
  const columns = draft.columns.map((c) => (c.key === key ? { ...c, ...patch } : c));
  // A column left out cannot be the time column.
  const timeColumn = patch.include === false && draft.timeColumn === key ? null : draft.timeColumn;
  return { ...draft, columns, timeColumn };
}

export function toggleRule(draft: Draft, key: string, index: number): Draft {
  return {
    ...draft,
    columns: draft.columns.map((c) =>
      c.key === key ? { ...c, rules: c.rules.map((r, i) => (i === index ? { ...r, keep: !r.keep } : r)) } : c,
    ),
  };
}

/** The time column is in the definition and required: Druid needs a time in every row. */
export function setTimeColumn(draft: Draft, key: string | null): Draft {
  const columns = draft.columns.map((c) => (c.key === key ? { ...c, include: true, required: true } : c));
  return { ...draft, columns, timeColumn: key };
}

/** Rows that can be the time column: included timestamps, and the current one whatever its type. */
export function timeColumnChoices(draft: Draft): ColumnDraft[] {
  return draft.columns.filter((c) => (c.include && c.type === 'timestamp') || c.key === draft.timeColumn);
}

/** The body of POST /datasources, and for each of its `columns` the key of the row it came from. */
export function definitionOf(draft: Draft): { body: DatasourceIn; rowKeys: string[] } {
  const included = draft.columns.filter((c) => c.include);
  const time = draft.columns.find((c) => c.key === draft.timeColumn);
  const druid = draft.druidDatasource.trim();
  return {
    body: {
      name: draft.name.trim(),
      description: draft.description.trim(),
      ...(druid ? { druid_datasource: druid } : {}),
      compatibility: draft.compatibility,
      time_column: time ? time.name.trim() : '',
      columns: included.map((c) => ({
        name: c.name.trim(),
        type: c.type,
        required: c.required,
        rules: c.rules.filter((r) => r.keep).map((r) => r.rule),
      })),
      row_checks: [],
      granularity: draft.granularity,
    },
    rowKeys: included.map((c) => c.key),
  };
}

/** The form's own fields a problem can name (the first segment of its path). */
export type DraftField = 'name' | 'description' | 'druid_datasource' | 'compatibility' | 'time_column' | 'granularity';

const FIELDS: readonly string[] = ['name', 'description', 'druid_datasource', 'compatibility', 'time_column', 'granularity'];

export interface PlacedProblems {
  /** By row key: problems of one column (`columns[3]`, `columns[3].rules[0].regex`). */
  rows: Record<string, Problem[]>;
  /** By form field. */
  fields: Partial<Record<DraftField, Problem[]>>;
}

const COLUMN_PATH = /^columns\[(\d+)\]/;

/** Each problem next to the row or field its path names; a path naming neither is only in the full list. */
export function placeProblems(problems: readonly Problem[], rowKeys: readonly string[]): PlacedProblems {
  const placed: PlacedProblems = { rows: {}, fields: {} };
  for (const problem of problems) {
    const column = COLUMN_PATH.exec(problem.path);
    const key = column ? rowKeys[Number(column[1])] : undefined;
    if (key !== undefined) {
      (placed.rows[key] ??= []).push(problem);
      continue;
    }
    const field = problem.path.split(/[.[]/)[0] ?? '';
    if (FIELDS.includes(field)) (placed.fields[field as DraftField] ??= []).push(problem);
  }
  return placed;
}

/**
 * Where a problem is, said for a person with the draft's names: `columns[3].rules[0].regex` -> "column
 * “duration_ms”, rule 1, regex" (rules numbered among those sent); `name` -> "name"; `` -> "the definition".
 */
export function problemPlace(path: string, draft: Draft, rowKeys: readonly string[]): string {
  if (!path) return 'the definition';
  const column = COLUMN_PATH.exec(path);
  if (!column) return path.replace(/_/g, ' ');
  const row = draft.columns.find((c) => c.key === rowKeys[Number(column[1])]);
  if (!row) return path;
  let place = `column “${displayText(row.name)}”`;
  const rest = path.slice(column[0].length);
  const rule = /^\.rules\[(\d+)\]/.exec(rest);
  if (rule) {
    place += `, rule ${Number(rule[1]) + 1}`;
    const tail = rest.slice(rule[0].length).replace(/^\./, '');
    return tail ? `${place}, ${tail}` : place;
  }
  const tail = rest.replace(/^\./, '');
  return tail ? `${place}, ${tail}` : place;
}
