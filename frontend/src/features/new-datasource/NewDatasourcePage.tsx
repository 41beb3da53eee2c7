import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type Problem } from '../../api/client';
import {
  COMPATIBILITY_MODES,
  compatibilityHelp,
  QUERY_GRANULARITIES,
  SEGMENT_GRANULARITIES,
  type InferProposal,
  type QueryGranularity,
  type SegmentGranularity,
} from '../../api/models';
import { DropZone } from '../../components/DropZone';
import { Icon } from '../../components/Icon';
import { displayFilename, displayText } from '../../lib/display';
import { formatCount, plural } from '../../lib/format';
import { datasourcePath } from '../../lib/paths';
import { valueText } from '../../lib/schemaText';
import { Link, navigate } from '../../router';
import { RefusalNotice } from '../upload/RefusalNotice';
import { describeUploadError } from '../upload/refusal';
import { ColumnsEditor } from './ColumnsEditor';
import {
  definitionOf,
  draftFromProposal,
  NAME_MAX,
  placeProblems,
  problemPlace,
  setTimeColumn,
  timeColumnChoices,
  toggleRule,
  updateColumn,
  type Draft,
  type DraftField,
} from './draft';

/** Rows of the parsed sample shown under the columns. */
const SAMPLE_ROWS_SHOWN = 5;

interface Refused {
  message: string;
  /** Every problem of a 422, at its path in the body sent; `rowKeys` maps `columns[i]` back to a row. */
  problems: Problem[];
  rowKeys: string[];
  /** A 409's field (name or druid_datasource) */
  field?: string;
}

function refusedBy(error: unknown, rowKeys: string[]): Refused {
  if (!(error instanceof ApiError)) return { message: String(error), problems: [], rowKeys };
  return {
    message: error.message,
    problems: error.details.problems ?? [],
    rowKeys,
    field: error.status === 409 ? (error.details.field ?? 'name') : undefined,
  };
}

function FieldProblems({ id, problems }: { id: string; problems: Problem[] | undefined }) {
  if (!problems?.length) return null;
  return (
    <div id={id}>
      <ul className="field-error">
        {problems.map((p, i) => (
          <li key={i}>{p.message}</li>
        ))}
      </ul>
    </div>
  );
}

function SampleRows({ proposal }: { proposal: InferProposal }) {
  const rows = proposal.sample_rows.slice(0, SAMPLE_ROWS_SHOWN);
  if (rows.length === 0) return null;
  const names = Object.keys(rows[0] ?? {});
  return (
    <details className="sample-rows">
      <summary>The first {plural(rows.length, 'row')} as read</summary>
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr>
              {names.map((n) => (
                <th key={n} scope="col">
                  {displayText(n)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                {names.map((n) => (
                  <td key={n}>{valueText(row[n])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

export function NewDatasourcePage() {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [proposal, setProposal] = useState<InferProposal | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [refused, setRefused] = useState<Refused | null>(null);
  const problemsRef = useRef<HTMLDivElement>(null);

  const infer = useMutation({
    mutationFn: (sample: File) => api.infer(sample),
    onSuccess: (answer) => {
      setProposal(answer);
      setDraft(draftFromProposal(answer));
      setRefused(null);
    },
  });

  const create = useMutation({
    mutationFn: ({ body }: ReturnType<typeof definitionOf>) => api.createDatasource(body),
    onSuccess: (created) => {
      queryClient.setQueryData(['datasource', created.name], created);
      void queryClient.invalidateQueries({ queryKey: ['datasources'] });
      navigate(datasourcePath(created.name));
    },
    onError: (error, sent) => setRefused(refusedBy(error, sent.rowKeys)),
  });

  useEffect(() => {
    if (refused) problemsRef.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  }, [refused]);

  const chooseFile = (chosen: File | null) => {
    setFile(chosen);
    setRefused(null);
    // A new sample is a new proposal: the edits of the last one do not carry over.
    setProposal(null);
    setDraft(null);
    if (chosen) infer.mutate(chosen);
  };

  const edit = (next: (d: Draft) => Draft) => setDraft((d) => (d ? next(d) : d));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draft || create.isPending) return;
    setRefused(null);
    create.mutate(definitionOf(draft));
  };

  const placed = refused && draft ? placeProblems(refused.problems, refused.rowKeys) : { rows: {}, fields: {} };
  const fieldProblems = (field: DraftField): Problem[] | undefined => {
    const own = placed.fields[field] ?? [];
    const conflict = refused?.field === field ? [{ path: field, message: refused.message }] : [];
    const all = [...own, ...conflict];
    return all.length ? all : undefined;
  };
  const invalid = (field: DraftField) => (fieldProblems(field) ? true : undefined);
  const describedBy = (field: DraftField, help?: string) =>
    [fieldProblems(field) ? `${field}-problems` : '', help ?? ''].filter(Boolean).join(' ') || undefined;
  const timeChoices = draft ? timeColumnChoices(draft) : [];
  const included = draft?.columns.filter((c) => c.include).length ?? 0;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/datasources">Datasources</Link> /
      </p>
      <h1 tabIndex={-1}>New datasource</h1>
      <p className="lead">
        Start from a sample of the data: its columns, types and rules are proposed from the file, and you decide what
        the datasource declares. Nothing is stored until you create it.
      </p>

      <section className="panel" aria-labelledby="sample-title">
        <h2 id="sample-title">1. A sample file</h2>
        <DropZone file={file} onFile={chooseFile} disabled={infer.isPending || create.isPending} invalid={infer.isError} />
        <div aria-live="polite">
          {infer.isPending && (
            <p role="status">
              <Icon name="spinner" /> Reading the sample…
            </p>
          )}
        </div>
        {infer.isError && <RefusalNotice refusal={describeUploadError(infer.error)} />}
      </section>

      {proposal && draft && (
        <form onSubmit={submit} noValidate aria-label="New datasource">
          <section className="panel" aria-labelledby="columns-title">
            <h2 id="columns-title">2. Columns</h2>
            <p className="muted small">
              Read {plural(proposal.rows_read, 'row')} of{' '}
              <span title={displayFilename(proposal.filename ?? '').title}>
                {displayFilename(proposal.filename ?? 'the sample', 60).text}
              </span>{' '}
              ({proposal.format.toUpperCase()}){proposal.truncated && ', the first rows only'}.{' '}
              {formatCount(included)} of {plural(draft.columns.length, 'column')} included. Statistics and sample values
              come from the rows read.
            </p>
            {proposal.warnings.length > 0 && (
              <div className="notice notice-warn">
                <h3>
                  <Icon name="warning" /> {plural(proposal.warnings.length, 'warning')} about the sample
                </h3>
                <ul>
                  {proposal.warnings.map((w, i) => (
                    <li key={i}>
                      {w.column && (
                        <>
                          <code>{displayText(w.column)}</code>:{' '}
                        </>
                      )}
                      {displayText(w.message)}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <ColumnsEditor
              columns={draft.columns}
              timeColumn={draft.timeColumn}
              problems={placed.rows}
              onChange={(key, patch) => edit((d) => updateColumn(d, key, patch))}
              onToggleRule={(key, index) => edit((d) => toggleRule(d, key, index))}
            />
            <SampleRows proposal={proposal} />
          </section>

          <section className="panel" aria-labelledby="time-title">
            <h2 id="time-title">3. Time and granularity</h2>
            <div className="field-grid field-grid-3">
              <div className="field">
                <label htmlFor="time-column">Time column</label>
                <select
                  id="time-column"
                  value={draft.timeColumn ?? ''}
                  onChange={(e) => edit((d) => setTimeColumn(d, e.target.value || null))}
                  aria-invalid={invalid('time_column')}
                  aria-describedby={describedBy('time_column', 'time-column-help')}
                >
                  {draft.timeColumn === null && <option value="">Choose a column</option>}
                  {timeChoices.map((c) => (
                    <option key={c.key} value={c.key}>
                      {c.name}
                    </option>
                  ))}
                </select>
                <p id="time-column-help" className="muted small">
                  {timeChoices.length === 0
                    ? 'No included column is a timestamp: set a column’s type to timestamp to choose it.'
                    : 'Druid partitions and replaces rows by this time; every row needs one.'}
                </p>
                <FieldProblems id="time_column-problems" problems={fieldProblems('time_column')} />
              </div>
              <div className="field">
                <label htmlFor="segment-granularity">Segment granularity</label>
                <select
                  id="segment-granularity"
                  value={draft.granularity.segment}
                  onChange={(e) =>
                    edit((d) => ({ ...d, granularity: { ...d.granularity, segment: e.target.value as SegmentGranularity } }))
                  }
                  aria-invalid={invalid('granularity')}
                  aria-describedby="segment-help"
                >
                  {SEGMENT_GRANULARITIES.map((g) => (
                    <option key={g} value={g}>
                      {g}
                    </option>
                  ))}
                </select>
                <p id="segment-help" className="muted small">
                  How much time each of Druid’s segments holds.
                </p>
              </div>
              <div className="field">
                <label htmlFor="query-granularity">Query granularity</label>
                <select
                  id="query-granularity"
                  value={draft.granularity.query}
                  onChange={(e) =>
                    edit((d) => ({ ...d, granularity: { ...d.granularity, query: e.target.value as QueryGranularity } }))
                  }
                  aria-invalid={invalid('granularity')}
                  aria-describedby={describedBy('granularity', 'query-help')}
                >
                  {QUERY_GRANULARITIES.map((g) => (
                    <option key={g} value={g}>
                      {g}
                    </option>
                  ))}
                </select>
                <p id="query-help" className="muted small">
                  Times are truncated to this when stored (NONE keeps them whole).
                </p>
                <FieldProblems id="granularity-problems" problems={fieldProblems('granularity')} />
              </div>
            </div>
          </section>

          <section className="panel" aria-labelledby="settings-title">
            <h2 id="settings-title">4. Name and settings</h2>
            <div className="field-grid">
              <div className="field">
                <label htmlFor="ds-name">Name</label>
                <input
                  id="ds-name"
                  type="text"
                  value={draft.name}
                  maxLength={NAME_MAX}
                  required
                  spellCheck={false}
                  autoComplete="off"
                  onChange={(e) => edit((d) => ({ ...d, name: e.target.value }))}
                  aria-invalid={invalid('name')}
                  aria-describedby={describedBy('name', 'ds-name-help')}
                />
                <p id="ds-name-help" className="muted small">
                  Letters, digits, <code>_</code> and <code>-</code>, starting with a letter or digit.
                </p>
                <FieldProblems id="name-problems" problems={fieldProblems('name')} />
              </div>
              <div className="field">
                <label htmlFor="ds-druid">
                  Druid datasource <span className="muted small">(optional)</span>
                </label>
                <input
                  id="ds-druid"
                  type="text"
                  value={draft.druidDatasource}
                  placeholder={draft.name || 'the name'}
                  spellCheck={false}
                  autoComplete="off"
                  onChange={(e) => edit((d) => ({ ...d, druidDatasource: e.target.value }))}
                  aria-invalid={invalid('druid_datasource')}
                  aria-describedby={describedBy('druid_datasource', 'ds-druid-help')}
                />
                <p id="ds-druid-help" className="muted small">
                  Where the rows go in Druid; the name when left empty.
                </p>
                <FieldProblems id="druid_datasource-problems" problems={fieldProblems('druid_datasource')} />
              </div>
              <div className="field field-wide">
                <label htmlFor="ds-description">
                  Description <span className="muted small">(optional)</span>
                </label>
                <textarea
                  id="ds-description"
                  rows={2}
                  maxLength={2000}
                  value={draft.description}
                  onChange={(e) => edit((d) => ({ ...d, description: e.target.value }))}
                  aria-invalid={invalid('description')}
                  aria-describedby={describedBy('description')}
                />
                <FieldProblems id="description-problems" problems={fieldProblems('description')} />
              </div>
              <fieldset className="field field-wide" aria-invalid={invalid('compatibility')}>
                <legend>Compatibility of later versions</legend>
                {COMPATIBILITY_MODES.map((mode) => (
                  <label key={mode} className="choice">
                    <input
                      type="radio"
                      name="compatibility"
                      value={mode}
                      checked={draft.compatibility === mode}
                      onChange={() => edit((d) => ({ ...d, compatibility: mode }))}
                    />
                    <span>
                      <code>{mode}</code> <span className="muted small">— {compatibilityHelp(mode)}</span>
                    </span>
                  </label>
                ))}
              </fieldset>
            </div>
          </section>

          <div ref={problemsRef}>
            {refused && (
              <div className="notice notice-bad" role="alert">
                <h2>
                  <Icon name="warning" /> The datasource was not created
                </h2>
                <p className="notice-message">{displayText(refused.message)}</p>
                {refused.problems.length > 0 && (
                  <ul className="problems">
                    {refused.problems.map((p, i) => {
                      const place = problemPlace(p.path, draft, refused.rowKeys);
                      return (
                        <li key={i}>
                          <strong>{place}</strong>
                          {place !== p.path && p.path && (
                            <>
                              {' '}
                              (<code>{p.path}</code>)
                            </>
                          )}
                          : {p.message}
                        </li>
                      );
                    })}
                  </ul>
                )}
              </div>
            )}
          </div>

          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={create.isPending}>
              {create.isPending ? 'Creating…' : 'Create datasource'}
            </button>
            <Link to="/datasources">Cancel</Link>
          </div>
        </form>
      )}
    </>
  );
}
