import { describe, expect, it } from 'vitest';
import { makeProposal } from '../../test/datasources';
import {
  definitionOf,
  draftFromProposal,
  nameFromFilename,
  placeProblems,
  problemPlace,
  rowLabels,
  setTimeColumn,
  timeColumnChoices,
  toggleRule,
  updateColumn,
  type ColumnDraft,
} from './draft';

describe('nameFromFilename', () => {
  it('suggests a valid datasource name from the sample’s filename', () => {
    expect(nameFromFilename('Web Events (March).csv')).toBe('web_events_march');
    expect(nameFromFilename('events.ndjson.gz')).toBe('events');
    expect(nameFromFilename('__x__.csv')).toBe('x');
    expect(nameFromFilename('Überblick.xlsx')).toBe('berblick');
    expect(nameFromFilename('….csv')).toBe('');
    expect(nameFromFilename(null)).toBe('');
    expect(nameFromFilename(`${'a'.repeat(200)}.csv`)).toHaveLength(128);
  });
});

describe('a draft from a proposal', () => {
  it('has every column of the sample, as proposed, and the proposed time column and granularity', () => {
    const draft = draftFromProposal(makeProposal());
    expect(draft.name).toBe('web_events');
    expect(draft.compatibility).toBe('BACKWARD');
    expect(draft.granularity).toEqual({ segment: 'DAY', query: 'NONE' });
    expect(draft.columns.map((c) => [c.name, c.type, c.required, c.include, c.rules.length])).toEqual([
      ['event_time', 'timestamp', true, true, 1],
      ['user_id', 'string', true, true, 2],
      ['duration_ms', 'long', true, true, 1],
      ['score', 'double', false, true, 1],
    ]);
    expect(draft.columns.find((c) => c.key === draft.timeColumn)?.name).toBe('event_time');
    expect(draft.columns[0]?.stats?.examples).toEqual(['2025-03-01T00:00:00Z']);
  });

  it('sends back exactly the proposed definition when nothing is edited', () => {
    const proposal = makeProposal();
    const { body, rowKeys } = definitionOf({ ...draftFromProposal(proposal), name: 'web_events_1' });
    expect(body).toEqual({
      name: 'web_events_1',
      description: '',
      compatibility: 'BACKWARD',
      ...proposal.definition,
    });
    expect(rowKeys).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('a column the proposal left out (over the column limit) is in the draft, not included', () => {
    const proposal = makeProposal();
    const draft = draftFromProposal({
      ...proposal,
      definition: { ...proposal.definition, columns: proposal.definition.columns.slice(0, 3) },
    });
    expect(draft.columns.map((c) => c.include)).toEqual([true, true, true, false]);
    expect(definitionOf(draft).body.columns.map((c) => c.name)).toEqual(['event_time', 'user_id', 'duration_ms']);
  });

  it('no time column found: none chosen, and the body says so with an empty name for the server to refuse', () => {
    const proposal = makeProposal({ time_column: null });
    const draft = draftFromProposal({ ...proposal, definition: { ...proposal.definition, time_column: '' } });
    expect(draft.timeColumn).toBeNull();
    expect(definitionOf(draft).body.time_column).toBe('');
  });
});

describe('editing a draft', () => {
  const draft = draftFromProposal(makeProposal());

  it('renames, retypes, makes optional, drops a suggested rule, leaves a column out', () => {
    let next = updateColumn(draft, 'c1', { name: ' visitor ', required: false });
    next = updateColumn(next, 'c2', { type: 'double' });
    next = toggleRule(next, 'c1', 1); // unique
    next = updateColumn(next, 'c3', { include: false });
    const { body, rowKeys } = definitionOf({ ...next, description: '  Page views ', druidDatasource: ' web ' });
    expect(body.description).toBe('Page views');
    expect(body.druid_datasource).toBe('web');
    expect(body.columns).toEqual([
      { name: 'event_time', type: 'timestamp', required: true, rules: [{ kind: 'not_in_future' }] },
      { name: 'visitor', type: 'string', required: false, rules: [{ kind: 'not_blank' }] },
      { name: 'duration_ms', type: 'double', required: true, rules: [{ kind: 'min', bound: 0, inclusive: true }] },
    ]);
    expect(rowKeys).toEqual(['c0', 'c1', 'c2']);
    expect(toggleRule(toggleRule(draft, 'c1', 1), 'c1', 1)).toEqual(draft);
  });

  it('the time column is included and required; leaving it out unsets it', () => {
    const retimed = setTimeColumn(updateColumn(draft, 'c3', { type: 'timestamp', include: false, required: false }), 'c3');
    expect(retimed.timeColumn).toBe('c3');
    expect(retimed.columns[3]).toMatchObject({ include: true, required: true });
    expect(definitionOf(retimed).body.time_column).toBe('score');
    expect(timeColumnChoices(retimed).map((c) => c.name)).toEqual(['event_time', 'score']);
    expect(updateColumn(retimed, 'c3', { include: false }).timeColumn).toBeNull();
  });

  it('the time column’s new name is the one sent', () => {
    expect(definitionOf(updateColumn(draft, 'c0', { name: 'at' })).body.time_column).toBe('at');
  });
});

describe('rowLabels', () => {
  it('names each row by its header; a repeated or empty header with its position', () => {
    const [a, b] = draftFromProposal(makeProposal()).columns as [ColumnDraft, ColumnDraft];
    const columns = [a, { ...b, sourceName: 'x' }, { ...b, key: 'c9', sourceName: 'x' }, { ...b, key: 'c8', sourceName: ' ' }];
    expect(rowLabels(columns)).toEqual({ c0: 'event_time', c1: 'x (column 2)', c9: 'x (column 3)', c8: 'column 4' });
  });
});

describe('a 422’s problems', () => {
  const draft = updateColumn(draftFromProposal(makeProposal()), 'c1', { include: false });
  const { rowKeys } = definitionOf(draft); // c0, c2, c3: columns[1] is the draft's row c2

  it('go next to the row or field their path names', () => {
    const problems = [
      { path: 'columns[1].rules[0].bound', message: 'must be a number' },
      { path: 'columns[1]', message: 'duplicate name' },
      { path: 'columns[2].type', message: 'must be string, long, double or timestamp' },
      { path: 'name', message: 'must be 1-128 letters' },
      { path: 'granularity.segment', message: 'must be HOUR, DAY, WEEK, MONTH or YEAR' },
      { path: 'columns[9].name', message: 'no such column sent' },
      { path: '', message: 'is not a valid schema definition' },
    ];
    const placed = placeProblems(problems, rowKeys);
    expect(Object.keys(placed.rows)).toEqual(['c2', 'c3']);
    expect(placed.rows.c2?.map((p) => p.message)).toEqual(['must be a number', 'duplicate name']);
    expect(placed.fields.name?.[0]?.message).toBe('must be 1-128 letters');
    expect(placed.fields.granularity).toHaveLength(1);
    expect(placed.fields.time_column).toBeUndefined();
  });

  it('are said with the draft’s column names', () => {
    expect(problemPlace('columns[1].rules[0].bound', draft, rowKeys)).toBe('column “duration_ms”, rule 1, bound');
    expect(problemPlace('columns[2]', draft, rowKeys)).toBe('column “score”');
    expect(problemPlace('columns[2].type', draft, rowKeys)).toBe('column “score”, type');
    expect(problemPlace('time_column', draft, rowKeys)).toBe('time column');
    expect(problemPlace('columns[7].name', draft, rowKeys)).toBe('columns[7].name');
    expect(problemPlace('', draft, rowKeys)).toBe('the definition');
  });
});
