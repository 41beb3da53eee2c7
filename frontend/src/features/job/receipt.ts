import type { JobSummary } from '../../api/models';

export type ReceiptCheck =
  | { kind: 'match'; druidRows: number; rowsValid: number }
  | { kind: 'mismatch'; druidRows: number; rowsValid: number | null }
  | { kind: 'pending' }
  | { kind: 'missing' }
  | { kind: 'none' };

/**
 * The receipt: after indexing, the backend counts this job's rows with Druid SQL. A job is only truly done
 * when that count equals the rows it validated.
 */
export function checkReceipt(job: Pick<JobSummary, 'state' | 'druid_rows' | 'rows_valid'>): ReceiptCheck {
  if (job.druid_rows !== null) {
    return job.rows_valid !== null && job.druid_rows === job.rows_valid
      ? { kind: 'match', druidRows: job.druid_rows, rowsValid: job.rows_valid }
      : { kind: 'mismatch', druidRows: job.druid_rows, rowsValid: job.rows_valid };
  }
  if (job.state === 'succeeded') return { kind: 'missing' };
  if (job.state === 'rejected' || job.state === 'failed' || job.state === 'cancelled') return { kind: 'none' };
  return { kind: 'pending' };
}
