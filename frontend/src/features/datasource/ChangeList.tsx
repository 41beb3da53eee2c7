import type { SchemaChange, Violation } from '../../api/models';
import { Icon, type IconName } from '../../components/Icon';
import { displayText } from '../../lib/display';
import { describeChange, druidChangeLines, TONE_WORDS, type ChangeTone } from './changes';

const TONE_ICONS: Record<ChangeTone, IconName> = { added: 'plus', removed: 'minus', changed: 'edit' };

/** A change's tone as an icon and its word; the colour of the row only repeats the word. */
export function ToneTag({ tone }: { tone: ChangeTone }) {
  return (
    <span className={`change-tag change-tag-${tone}`}>
      <Icon name={TONE_ICONS[tone]} />
      {TONE_WORDS[tone]}
    </span>
  );
}

/** Schema changes, one per line: Added / Removed / Changed, what, and the values before and after. */
export function ChangeList({ changes, label }: { changes: SchemaChange[]; label: string }) {
  if (changes.length === 0) return <p className="muted">No changes.</p>;
  return (
    <ul className="change-list" aria-label={label}>
      {changes.map((change, i) => {
        const view = describeChange(change);
        return (
          <li key={i} className={`change change-${view.tone}`} data-kind={change.kind}>
            <ToneTag tone={view.tone} /> <span className="change-what">{view.what}</span>
            {view.before !== undefined && view.after !== undefined ? (
              <span className="change-values">
                : from <del>{view.before}</del> to <ins>{view.after}</ins>
              </span>
            ) : view.after !== undefined ? (
              <span className="change-values">
                : <ins>{view.after}</ins>
              </span>
            ) : view.before !== undefined ? (
              <span className="change-values">
                : <del>{view.before}</del>
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/** What the compatibility mode forbids, each with its reason. */
export function ViolationList({ violations }: { violations: Violation[] }) {
  return (
    <ul className="violations">
      {violations.map((v, i) => (
        <li key={i}>
          <code>{v.kind}</code>
          {v.column && (
            <>
              {' '}
              on <code>{displayText(v.column)}</code>
            </>
          )}
          : {displayText(v.reason)}
          {v.against_version !== null && v.against_version !== undefined && (
            <span className="muted"> (against version {v.against_version})</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** How Druid's dimensions would change. */
export function DruidChangeList({ druid }: { druid: Parameters<typeof druidChangeLines>[0] }) {
  const lines = druidChangeLines(druid);
  if (lines.length === 0) return <p className="muted">Druid’s dimensions stay as they are.</p>;
  return (
    <ul className="change-list" aria-label="Druid dimension changes">
      {lines.map((line, i) => (
        <li key={i} className={`change change-${line.tone}`}>
          <ToneTag tone={line.tone} /> {line.text}
        </li>
      ))}
    </ul>
  );
}
