import { Icon } from '../../components/Icon';
import { Link } from '../../router';
import type { Refusal } from './refusal';

export function RefusalNotice({ refusal }: { refusal: Refusal }) {
  const cancelled = refusal.cancelled === true;
  return (
    <div className={`notice ${cancelled ? 'notice-warn' : 'notice-bad'}`} role={cancelled ? 'status' : 'alert'}>
      <h2>
        <Icon name={cancelled ? 'slash' : 'warning'} /> {refusal.title}
      </h2>
      {!cancelled && <p className="notice-message">{refusal.message}</p>}
      {refusal.limit && (
        <p>
          Size limit: <strong>{refusal.limit}</strong>
        </p>
      )}
      <p>{refusal.hint}</p>
      {refusal.earlierJobId && (
        <p>
          <Link to={`/jobs/${refusal.earlierJobId}`}>Open the earlier job ({refusal.earlierJobId})</Link>
        </p>
      )}
    </div>
  );
}
