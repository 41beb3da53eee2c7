import type { JobEvent } from '../../api/models';
import { StateBadge } from '../../components/StateBadge';
import { formatDateTime, formatDuration, formatTime } from '../../lib/format';
import { timelineSteps } from './timeline';

function detailsText(details: Record<string, unknown>): string | null {
  const entries = Object.entries(details);
  if (entries.length === 0) return null;
  return entries
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

export function Timeline({ events, finished, now }: { events: JobEvent[]; finished: boolean; now: number }) {
  const steps = timelineSteps(events, finished, now);
  if (steps.length === 0) return <p className="muted">No events recorded yet.</p>;
  return (
    <ol className="timeline">
      {steps.map(({ event, durationMs, ongoing }, i) => {
        const extra = detailsText(event.details);
        return (
          <li key={`${event.at}-${i}`} className={ongoing ? 'timeline-ongoing' : undefined}>
            <div className="timeline-head">
              <StateBadge state={event.state} settled={!ongoing} />
              <time dateTime={event.at} title={formatDateTime(event.at)}>
                {formatTime(event.at)}
              </time>
              <span className="timeline-duration">
                {durationMs === null
                  ? 'end'
                  : ongoing
                    ? `${formatDuration(durationMs)} so far`
                    : `took ${formatDuration(durationMs)}`}
              </span>
            </div>
            {event.message && <p className="timeline-message">{event.message}</p>}
            {extra && <p className="timeline-details muted small">{extra}</p>}
          </li>
        );
      })}
    </ol>
  );
}
