import { useQuery } from '@tanstack/react-query';
import { http } from '../../api/client';
import { JOBS_POLL_MS } from '../../api/polling';
import { formatCount } from '../../lib/format';
import {
  druidTasksText,
  formatOldestWait,
  QUEUE_STAGES,
  stageShares,
  totalJobs,
  type QueueProgress,
} from './queue';

/** /health's queue; null when the server could not read PostgreSQL. */
async function fetchQueue(signal: AbortSignal): Promise<QueueProgress | null> {
  const { data, response } = await http.GET('/health', { signal });
  if (!data) throw new Error(`the server answered ${response.status}`);
  return data.queue ?? null;
}

/**
 * Where the unfinished jobs are: waiting for validation, validating, waiting for a Druid task, in Druid, each with
 * how long its oldest job has waited. Polled with the jobs list (`polling`), and on its own while the queue holds
 * jobs. The bar only repeats the words beside it, so it is hidden from screen readers.
 */
export function QueuePanel({ polling }: { polling: boolean }) {
  const queue = useQuery({
    queryKey: ['health', 'queue'],
    queryFn: ({ signal }) => fetchQueue(signal),
    refetchInterval: (query) => {
      const data = query.state.data;
      return polling || (data && totalJobs(data) > 0) ? JOBS_POLL_MS : false;
    },
  });

  return (
    <section className="panel queue-panel" aria-labelledby="queue-title">
      <h2 id="queue-title">Queue</h2>
      {queue.isPending && <p className="muted small">Loading the queue…</p>}
      {queue.isError && <p className="muted small">The queue could not be read: {queue.error.message}</p>}
      {queue.isSuccess && queue.data === null && (
        <p className="muted small">The queue is unknown: the server could not read its database.</p>
      )}
      {queue.isSuccess && queue.data !== null && <QueueFigures queue={queue.data} />}
    </section>
  );
}

function QueueFigures({ queue }: { queue: QueueProgress }) {
  const shares = stageShares(queue);
  const total = totalJobs(queue);
  return (
    <>
      <div className="queue-bar" aria-hidden="true" data-empty={total === 0}>
        {QUEUE_STAGES.filter(({ name }) => shares[name] > 0).map(({ name }) => (
          <span key={name} className={`queue-bar-part queue-${name}`} style={{ width: `${shares[name]}%` }} />
        ))}
      </div>
      <ul className="queue-stages">
        {QUEUE_STAGES.map(({ name, label }) => {
          const oldest = formatOldestWait(queue[name].oldest_wait_s);
          return (
            <li key={name} data-stage={name}>
              <span className={`queue-swatch queue-${name}`} aria-hidden="true" />
              <span className="queue-label">{label}</span> <strong>{formatCount(queue[name].jobs)}</strong>
              {oldest && <span className="queue-oldest muted small">{oldest}</span>}
            </li>
          );
        })}
      </ul>
      <p className="muted small queue-tasks">
        {total === 0 ? 'No job is waiting or running.' : `${druidTasksText(queue)}.`}
      </p>
    </>
  );
}
