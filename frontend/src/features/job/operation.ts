import type { Job } from '../../api/models';
import { formatCount } from '../../lib/format';

/** One figure of an operation, as a before -> after pair when it has both. */
export interface OperationFact {
  label: string;
  value: string;
}

function count(operation: Record<string, unknown>, key: string): number | null {
  const value = operation[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function beforeAfter(before: number | null, after: number | null): string {
  if (before === null) return '—';
  return after === null ? `${formatCount(before)} → …` : `${formatCount(before)} → ${formatCount(after)}`;
}

/** What a compaction or retraction did, in words: its interval and its figures before and after (after: once it
 * succeeded). Nothing for an upload. */
export function operationFacts(job: Job): OperationFact[] {
  const op = job.operation;
  if (!op || job.kind === 'ingest') return [];
  const interval = typeof op.interval === 'string' ? op.interval.replace('/', ' → ') : '—';
  if (job.kind === 'compaction') {
    const target = count(op, 'target_rows_per_segment');
    return [
      { label: 'Interval', value: interval },
      { label: 'Segments', value: beforeAfter(count(op, 'segments_before'), count(op, 'segments_after')) },
      { label: 'Rows', value: beforeAfter(count(op, 'rows_before'), count(op, 'rows_after')) },
      { label: 'Target rows per segment', value: target === null ? 'as the schema declares' : formatCount(target) },
    ];
  }
  return [
    { label: 'Interval', value: interval },
    { label: 'Rows of the retracted job', value: beforeAfter(count(op, 'target_rows_before'), count(op, 'target_rows_after')) },
    { label: 'Other rows (kept)', value: beforeAfter(count(op, 'other_rows_before'), count(op, 'other_rows_after')) },
  ];
}
