import type { JobState } from '../api/models';
import { Icon, type IconName } from './Icon';

interface StateLook {
  label: string;
  icon: IconName;
  tone: 'neutral' | 'busy' | 'good' | 'bad' | 'warn';
}

const LOOKS: Record<JobState, StateLook> = {
  queued: { label: 'Queued', icon: 'clock', tone: 'neutral' },
  validating: { label: 'Validating', icon: 'spinner', tone: 'busy' },
  staging: { label: 'Staging', icon: 'spinner', tone: 'busy' },
  submitting: { label: 'Submitting', icon: 'spinner', tone: 'busy' },
  indexing: { label: 'Indexing', icon: 'spinner', tone: 'busy' },
  succeeded: { label: 'Succeeded', icon: 'check', tone: 'good' },
  rejected: { label: 'Rejected', icon: 'cross', tone: 'bad' },
  failed: { label: 'Failed', icon: 'warning', tone: 'bad' },
  cancelled: { label: 'Cancelled', icon: 'slash', tone: 'warn' },
};

export function stateLook(state: string): StateLook {
  return LOOKS[state as JobState] ?? { label: state, icon: 'info', tone: 'neutral' };
}

/**
 * The job state as icon + word; the colour only repeats what the word says. `settled` is for a step that is over
 * (in the timeline): a busy state then shows a plain check instead of a spinner.
 */
export function StateBadge({ state, settled = false }: { state: string; settled?: boolean }) {
  const current = stateLook(state);
  const look: StateLook = settled && current.tone === 'busy' ? { ...current, icon: 'check', tone: 'neutral' } : current;
  return (
    <span className={`badge badge-${look.tone}`} data-state={state}>
      <Icon name={look.icon} />
      {look.label}
    </span>
  );
}
