import { isTerminal, type JobSummary } from '../../api/models';

/** What the Druid card says about the job's task and row stats. */
export interface DruidCard {
  /** A Druid task was started for the job (its id is recorded). */
  sent: boolean;
  /** A sentence under the task, or null when the row stats are there to speak for themselves. */
  note: string | null;
}

const NOTHING_SENT: Partial<Record<JobSummary['state'], string>> = {
  rejected: 'Nothing was sent to Druid: the data was rejected, so no Druid task was started.',
  failed: 'Nothing was sent to Druid: the job failed before a Druid task was started.',
  cancelled: 'Nothing was sent to Druid: the job was cancelled before a Druid task was started.',
  succeeded: 'No Druid task was recorded for this job.',
};

/**
 * A job that ended without a Druid task never will have one, nor row stats: say so instead of promising them.
 * A job still running says when they come.
 */
export function druidCard(job: JobSummary): DruidCard {
  const ended = isTerminal(job.state);
  const hasStats = job.druid_row_stats !== null && Object.keys(job.druid_row_stats).length > 0;
  if (!job.druid_task_id) {
    if (ended) return { sent: false, note: NOTHING_SENT[job.state] ?? null };
    // An operation (compaction, retraction) has nothing to validate: it only waits for a Druid slot.
    const waitsFor = job.kind === 'ingest' ? 'the rows are validated and staged' : 'a Druid slot is free';
    return { sent: false, note: `A Druid task starts once ${waitsFor}.` };
  }
  if (hasStats) return { sent: true, note: null };
  if (job.kind !== 'ingest') {
    return { sent: true, note: 'An operation reads segments, not a file: its figures, beside, are counted with Druid SQL.' };
  }
  return {
    sent: true,
    note: ended ? 'Druid’s task reported no row stats.' : 'Row stats appear when Druid’s task reports them.',
  };
}
