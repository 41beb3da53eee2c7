import { Fragment } from 'react';
import type { Problem } from '../../api/client';
import { COLUMN_TYPES, columnTypeWords, type ColumnType } from '../../api/models';
import { displayText } from '../../lib/display';
import { formatCount } from '../../lib/format';
import { listSome, ruleKey, ruleText, valueText } from '../../lib/schemaText';
import { rowLabels, type ColumnDraft } from './draft';

interface ColumnsEditorProps {
  columns: ColumnDraft[];
  timeColumn: string | null;
  problems: Record<string, Problem[]>;
  onChange: (key: string, patch: Partial<Omit<ColumnDraft, 'key'>>) => void;
  onToggleRule: (key: string, index: number) => void;
}

/** Examples of a column shown in its row; the rest are in the sample rows below the table. */
const EXAMPLES_SHOWN = 3;

/** A column's statistics from the rows read, and a few of its values. */
function Sample({ column }: { column: ColumnDraft }) {
  const { stats } = column;
  if (!stats) return <span className="muted">not read</span>;
  const present = (v: unknown) => v !== undefined && v !== null;
  return (
    <dl className="mini-stats">
      <div>
        <dt>nulls</dt>
        <dd>{formatCount(stats.nulls)}</dd>
      </div>
      <div>
        <dt>distinct</dt>
        <dd>{formatCount(stats.distinct)}</dd>
      </div>
      {present(stats.min) && (
        <div>
          <dt>min</dt>
          <dd>{valueText(stats.min)}</dd>
        </div>
      )}
      {present(stats.max) && (
        <div>
          <dt>max</dt>
          <dd>{valueText(stats.max)}</dd>
        </div>
      )}
      {stats.examples.length > 0 && (
        <div>
          <dt>values</dt>
          <dd>{listSome(stats.examples.map(valueText), EXAMPLES_SHOWN)}</dd>
        </div>
      )}
    </dl>
  );
}

/** The sample's columns as editable rows: include, name, type, required, the suggested rules, statistics. */
export function ColumnsEditor({ columns, timeColumn, problems, onChange, onToggleRule }: ColumnsEditorProps) {
  const labels = rowLabels(columns);
  return (
    <div className="table-wrap">
      <table className="data-table columns-editor">
        <caption className="visually-hidden">Columns of the sample, as they will be declared</caption>
        <thead>
          <tr>
            <th scope="col" className="col-include">Include</th>
            <th scope="col" className="col-name">Column</th>
            <th scope="col" className="col-type">Type</th>
            <th scope="col" className="col-required">Required</th>
            <th scope="col" className="col-rules">Suggested rules</th>
            <th scope="col" className="col-sample">In the sample</th>
          </tr>
        </thead>
        <tbody>
          {columns.map((c) => {
            const source = labels[c.key] ?? c.key;
            const isTime = c.key === timeColumn;
            const rowProblems = problems[c.key] ?? [];
            const problemsId = `${c.key}-problems`;
            return (
              <Fragment key={c.key}>
                <tr className={`${c.include ? '' : 'row-left-out'}${rowProblems.length ? ' row-invalid' : ''}`}>
                  <td>
                    <input
                      type="checkbox"
                      checked={c.include}
                      disabled={isTime}
                      aria-label={`Include ${source}`}
                      onChange={(e) => onChange(c.key, { include: e.target.checked })}
                    />
                  </td>
                  <td>
                    <input
                      type="text"
                      className="input-name"
                      value={c.name}
                      aria-label={`Name of ${source}`}
                      aria-invalid={rowProblems.length > 0 || undefined}
                      aria-describedby={rowProblems.length ? problemsId : undefined}
                      disabled={!c.include}
                      onChange={(e) => onChange(c.key, { name: e.target.value })}
                      spellCheck={false}
                    />
                    {c.name !== c.sourceName && (
                      <p className="muted small">in the file: {c.sourceName ? displayText(c.sourceName) : '(no name)'}</p>
                    )}
                    {isTime && <p className="tag">time column</p>}
                    {c.formats.length > 0 && <p className="muted small">formats: {c.formats.join(', ')}</p>}
                  </td>
                  <td>
                    <select
                      value={c.type}
                      aria-label={`Type of ${source}`}
                      disabled={!c.include}
                      onChange={(e) => onChange(c.key, { type: e.target.value as ColumnType })}
                      className="select-narrow"
                    >
                      {COLUMN_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {t}
                        </option>
                      ))}
                    </select>
                    <p className="muted small">{columnTypeWords(c.type)}</p>
                  </td>
                  <td>
                    <label className="choice">
                      <input
                        type="checkbox"
                        checked={c.required}
                        disabled={!c.include || isTime}
                        onChange={(e) => onChange(c.key, { required: e.target.checked })}
                      />
                      <span>
                        required <span className="visually-hidden">({source})</span>
                      </span>
                    </label>
                  </td>
                  <td>
                    {c.rules.length === 0 ? (
                      <span className="muted small">none suggested</span>
                    ) : (
                      <ul className="chips" aria-label={`Suggested rules for ${source}`}>
                        {c.rules.map((r, i) => (
                          <li key={ruleKey(r.rule)}>
                            <label className={`chip${r.keep ? '' : ' chip-off'}`}>
                              <input
                                type="checkbox"
                                checked={r.keep}
                                disabled={!c.include}
                                onChange={() => onToggleRule(c.key, i)}
                              />
                              <span>
                                <span className="visually-hidden">{source}:</span> {ruleText(r.rule)}
                              </span>
                            </label>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    <Sample column={c} />
                  </td>
                </tr>
                {rowProblems.length > 0 && (
                  <tr className="row-problems">
                    <td colSpan={6}>
                      <div id={problemsId}>
                      <ul className="field-error">
                        {rowProblems.map((p, i) => (
                          <li key={i}>
                            <code>{p.path}</code> {p.message}
                          </li>
                        ))}
                      </ul>
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
