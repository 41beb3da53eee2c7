import { JOB_STATES, type JobCounts } from '../../api/models';
import { stateLook } from '../../components/StateBadge';
import { formatCount, plural } from '../../lib/format';

/**
 * A datasource's job counts in words, states in the order of a job's life and unknown states last:
 * "12 jobs: 10 succeeded, 2 rejected"; "no jobs yet".
 */
export function jobCountsText(jobs: JobCounts): string {
  if (jobs.total === 0) return 'no jobs yet';
  const known = JOB_STATES as readonly string[];
  const states = Object.keys(jobs.by_state)
    .filter((s) => (jobs.by_state[s] ?? 0) > 0)
    .sort((a, b) => (known.includes(a) ? known.indexOf(a) : known.length) - (known.includes(b) ? known.indexOf(b) : known.length));
  const parts = states.map((s) => `${formatCount(jobs.by_state[s])} ${stateLook(s).label.toLowerCase()}`);
  return `${plural(jobs.total, 'job')}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}
