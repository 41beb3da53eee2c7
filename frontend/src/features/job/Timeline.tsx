import type { JobEvent } from '../../api/models';
import { StateBadge } from '../../components/StateBadge';
import { displayText } from '../../lib/display';
import { formatDateTime, formatDuration, formatTime } from '../../lib/format';
import { timelineSteps } from './timeline';

function detailValue(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * An event's details (object keys, checksums, worker ids, Druid's answers) are for operators: they sit behind a
 * "Details" toggle under the message, each value wrapping anywhere, so a 64-character sha256 never widens the page.
 */
function EventDetails({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (entries.length === 0) return null;
  return (
    <details className="timeline-details small">
      <summary>Details</summary>
      <dl>
        {entries.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>
              <code>{displayText(detailValue(value))}</code>
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

export function Timeline({ events, finished, now }: { events: JobEvent[]; finished: boolean; now: number }) {
  const steps = timelineSteps(events, finished, now);
  if (steps.length === 0) return <p className="muted">No events recorded yet.</p>;
  return (
    <ol className="timeline">
      {steps.map(({ event, durationMs, ongoing }, i) => (
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
          {event.message && <p className="timeline-message">{displayText(event.message)}</p>}
          <EventDetails details={event.details} />
        </li>
      ))}
    </ol>
  );
}
