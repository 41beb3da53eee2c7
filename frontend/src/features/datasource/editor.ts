/**
 * The schema editor's text: a version's definition as the JSON a person edits (column ids left out: the registry
 * assigns them), and that text read back into the body of POST .../schemas and .../schemas/check. Pure.
 */
import { ApiError, type Problem } from '../../api/client';
import type { SchemaChange, SchemaDefinition, SchemaDefinitionIn, Violation } from '../../api/models';

/** The definition as editable JSON, two-space indented, in the order a person reads it. */
export function editableDefinition(definition: SchemaDefinition): string {
  const editable: SchemaDefinitionIn = {
    time_column: definition.time_column,
    columns: definition.columns.map(({ name, type, required, rules }) => ({ name, type, required, rules })),
    row_checks: definition.row_checks,
    granularity: definition.granularity,
    // Kept as they are: a version saved from the editor must not reset how Druid lays the rows out.
    rollup: definition.rollup,
    partitioning: partitioningIn(definition.partitioning),
  };
  return `${JSON.stringify(editable, null, 2)}\n`;
}

/** The partitioning as a request takes it: only the fields its type uses. */
function partitioningIn(p: SchemaDefinition['partitioning']): SchemaDefinitionIn['partitioning'] {
  return {
    type: p.type,
    ...(p.dimensions ? { dimensions: p.dimensions } : {}),
    ...(p.num_shards != null ? { num_shards: p.num_shards } : { target_rows_per_segment: p.target_rows_per_segment }),
  };
}

export type ParsedDefinition = { ok: true; definition: SchemaDefinitionIn } | { ok: false; message: string };

/**
 * The editor's text as a definition to send. Only the JSON itself and its outer shape are checked here; whatever is
 * wrong inside (a type, a rule) the server names at its path (422 invalid_schema), so the page has one judge.
 */
export function parseDefinition(text: string): ParsedDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `This is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, message: 'The definition must be a JSON object with time_column and columns.' };
  }
  return { ok: true, definition: parsed as SchemaDefinitionIn };
}

/** A refused registration (POST .../schemas, a restore) in the shape the page shows it. */
export interface Refusal {
  title: string;
  message: string;
  violations: Violation[];
  changes: SchemaChange[];
  problems: Problem[];
}

export function describeRegistrationError(error: unknown, action = 'saved'): Refusal {
  if (!(error instanceof ApiError)) {
    return { title: `Not ${action}`, message: String(error), violations: [], changes: [], problems: [] };
  }
  const base = { message: error.message, violations: [], changes: [], problems: [] };
  switch (error.code) {
    case 'incompatible_schema': {
      const mode = error.details.compatibility;
      return {
        ...base,
        title: `Not ${action}: incompatible${mode ? ` under ${mode}` : ''}`,
        violations: error.details.violations ?? [],
        changes: error.details.changes ?? [],
      };
    }
    case 'invalid_schema':
    case 'invalid_field':
      return { ...base, title: `Not ${action}: the definition has problems`, problems: error.details.problems ?? [] };
    case 'datasource_deleted':
      return { ...base, title: `Not ${action}: the datasource was deleted` };
    default:
      return { ...base, title: `Not ${action} (${error.status || 'no answer'})` };
  }
}
