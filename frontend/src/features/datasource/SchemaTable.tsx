import type { SchemaDefinition } from '../../api/models';
import { displayText } from '../../lib/display';
import { granularityText, partitioningText, requiredText, rollupText, ruleKey, ruleText, typeText } from '../../lib/schemaText';
import { rowCheckText } from './changes';

/** A version's definition: its columns with type, required and rules in words, its row checks and granularity. */
export function SchemaTable({ definition, caption }: { definition: SchemaDefinition; caption: string }) {
  return (
    <>
      <div className="table-wrap">
        <table className="data-table schema-table">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Required</th>
              <th scope="col">Rules</th>
            </tr>
          </thead>
          <tbody>
            {definition.columns.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <code>{displayText(c.name)}</code>
                  {c.name === definition.time_column && <span className="tag">time column</span>}
                </th>
                <td>{typeText(c.type)}</td>
                <td>{requiredText(c.required)}</td>
                <td>
                  {c.rules.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <ul className="rule-list">
                      {c.rules.map((r) => (
                        <li key={ruleKey(r)}>{ruleText(r)}</li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        Time column <code>{displayText(definition.time_column)}</code> · granularity{' '}
        {granularityText(definition.granularity)}
      </p>
      <p className="muted small">
        In Druid: rollup {rollupText(definition.rollup)} · partitioning {partitioningText(definition.partitioning)}
      </p>
      {definition.row_checks.length > 0 && (
        <>
          <h3>Row checks</h3>
          <ul>
            {definition.row_checks.map((check) => (
              <li key={check.rule}>
                <code>{displayText(check.rule)}</code>: {rowCheckText(check)}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
