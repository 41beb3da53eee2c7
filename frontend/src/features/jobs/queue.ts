/** The queue's stages as /health reports them, put into words and bar widths. Pure, so tests pin the output. */
import type { components } from '../../api/generated/openapi';
import { formatDuration, plural } from '../../lib/format';

/** /health's `queue`: unfinished jobs by stage, each with its oldest wait. */
export type QueueProgress = components['schemas']['QueueProgressOut'];
export type QueueStageName = keyof QueueProgress;

/** The stages in the order a job goes through them, with what the page calls them. */
export const QUEUE_STAGES: readonly { name: QueueStageName; label: string }[] = [
  { name: 'waiting_validation', label: 'Waiting for validation' },
  { name: 'validating', label: 'Validating' },
  { name: 'waiting_druid', label: 'Waiting for Druid' },
  { name: 'in_druid', label: 'In Druid' },
];

/** 12.4 -> "oldest 12 s", 185 -> "oldest 3 min 5 s", 0.3 -> "oldest under 1 s"; null (an empty stage) -> "". */
export function formatOldestWait(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 1) return 'oldest under 1 s';
  if (seconds < 60) return `oldest ${Math.round(seconds)} s`;
  return `oldest ${formatDuration(Math.round(seconds) * 1000)}`;
}

export function totalJobs(queue: QueueProgress): number {
  return QUEUE_STAGES.reduce((sum, { name }) => sum + queue[name].jobs, 0);
}

/** Each stage's share of the bar, in percent of all the jobs in the queue (all 0 when it is empty). */
export function stageShares(queue: QueueProgress): Record<QueueStageName, number> {
  const total = totalJobs(queue);
  const share = (name: QueueStageName) => (total === 0 ? 0 : (queue[name].jobs / total) * 100);
  return {
    waiting_validation: share('waiting_validation'),
    validating: share('validating'),
    waiting_druid: share('waiting_druid'),
    in_druid: share('in_druid'),
  };
}

/** "3 jobs in 1 Druid task": coalesced jobs share one task, so the two numbers differ. */
export function druidTasksText(queue: QueueProgress): string {
  return `${plural(queue.in_druid.jobs, 'job')} in ${plural(queue.in_druid.druid_tasks, 'Druid task')}`;
}
