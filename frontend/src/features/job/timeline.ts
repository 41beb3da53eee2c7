import type { JobEvent } from '../../api/models';

export interface TimelineStep {
  event: JobEvent;
  /** Time from this event to the next; for the last event of a running job, time so far. */
  durationMs: number | null;
  /** The job is still in this step. */
  ongoing: boolean;
}

/**
 * Each event's step lasts until the next event. The last event of a finished job is the end (no duration);
 * of a running job, it has lasted until `now`.
 */
export function timelineSteps(events: readonly JobEvent[], finished: boolean, now: number): TimelineStep[] {
  const sorted = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return sorted.map((event, i) => {
    const start = Date.parse(event.at);
    const next = sorted[i + 1];
    if (next) return { event, durationMs: Math.max(0, Date.parse(next.at) - start), ongoing: false };
    if (finished) return { event, durationMs: null, ongoing: false };
    return { event, durationMs: Math.max(0, now - start), ongoing: true };
  });
}

/** Whole job, from the first event (or creation) to the end (or now). */
export function totalDurationMs(createdAt: string, finishedAt: string | null, now: number): number {
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return Math.max(0, end - Date.parse(createdAt));
}
