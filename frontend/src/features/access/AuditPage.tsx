import { useQuery } from '@tanstack/react-query';
import { accessApi } from '../../api/access';
import { useSearchParams } from '../../router';

type Outcome = 'ok' | 'refused' | 'failed';
const OUTCOMES: Outcome[] = ['ok', 'refused', 'failed'];

/** Admins: every change and sign-in, newest first, filtered by actor, action and outcome (kept in the URL). */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const actor = params.get('actor') ?? '';
  const action = params.get('action') ?? '';
  const outcomeParam = params.get('outcome') ?? '';
  const outcome = OUTCOMES.find((o) => o === outcomeParam);
  const events = useQuery({
    queryKey: ['audit', actor, action, outcome],
    queryFn: ({ signal }) =>
      accessApi.audit({ actor: actor || undefined, action: action || undefined, outcome }, signal),
  });

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input id="audit-actor" value={actor} onChange={(e) => setParams({ actor: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            placeholder="job.upload"
            value={action}
            onChange={(e) => setParams({ action: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="audit-outcome">Outcome</label>
          <select id="audit-outcome" value={outcome ?? ''} onChange={(e) => setParams({ outcome: e.target.value })}>
            <option value="">All</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
      </form>
      <p>{events.data ? `${events.data.total} events` : 'Loading…'}</p>
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Via</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {(events.data?.items ?? []).map((event) => (
              <tr key={event.id}>
                <td>{new Date(event.at).toLocaleString()}</td>
                <td>{event.actor ?? 'anonymous'}</td>
                <td>{event.via ?? '—'}</td>
                <td>
                  <code>{event.action}</code>
                </td>
                <td>{event.target ?? '—'}</td>
                <td>
                  {event.outcome}
                  {event.status_code ? ` (${event.status_code})` : ''}
                </td>
                <td>{event.client_address ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
