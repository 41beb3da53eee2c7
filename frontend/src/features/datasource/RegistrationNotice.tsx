import { Icon } from '../../components/Icon';
import { displayText } from '../../lib/display';
import { ChangeList, ViolationList } from './ChangeList';
import type { Refusal } from './editor';

/** A registration refused (409 violations, 422 problems, a deleted datasource), said in full. */
export function RegistrationRefusal({ refusal }: { refusal: Refusal }) {
  return (
    <div className="notice notice-bad" role="alert">
      <h3>
        <Icon name="warning" /> {refusal.title}
      </h3>
      <p className="notice-message">{displayText(refusal.message)}</p>
      {refusal.violations.length > 0 && (
        <>
          <h4>What the compatibility mode forbids</h4>
          <ViolationList violations={refusal.violations} />
        </>
      )}
      {refusal.problems.length > 0 && (
        <>
          <h4>Problems</h4>
          <ul className="problems">
            {refusal.problems.map((p, i) => (
              <li key={i}>
                <code>{p.path || '(definition)'}</code>: {p.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {refusal.changes.length > 0 && (
        <>
          <h4>The changes it would make</h4>
          <ChangeList changes={refusal.changes} label="Changes refused" />
        </>
      )}
    </div>
  );
}
