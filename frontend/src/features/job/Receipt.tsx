import type { JobSummary } from '../../api/models';
import { Icon } from '../../components/Icon';
import { formatCount } from '../../lib/format';
import { checkReceipt } from './receipt';

export function Receipt({ job }: { job: JobSummary }) {
  const r = checkReceipt(job);
  switch (r.kind) {
    case 'match':
      if (job.retracted_by) {
        return (
          <div className="receipt" data-receipt="retracted">
            <p className="receipt-count">
              Druid returned <strong>{formatCount(r.druidRows)}</strong> rows for this job when it succeeded.
            </p>
            <p>
              <Icon name="info" /> They have since been retracted: Druid holds none of them now.
            </p>
          </div>
        );
      }
      return (
        <div className="receipt receipt-good" data-receipt="match">
          <p className="receipt-count">
            Druid returned <strong>{formatCount(r.druidRows)}</strong> rows for this job.
          </p>
          <p>
            <Icon name="check" /> Matches the {formatCount(r.rowsValid)} valid rows: everything validated is in Druid.
          </p>
        </div>
      );
    case 'mismatch':
      return (
        <div className="receipt receipt-bad" data-receipt="mismatch">
          <p className="receipt-count">
            Druid returned <strong>{formatCount(r.druidRows)}</strong> rows for this job.
          </p>
          <p>
            <Icon name="warning" /> Does not match the {formatCount(r.rowsValid)} valid rows
            {r.rowsValid !== null && ` (${r.druidRows > r.rowsValid ? 'more' : 'fewer'} than expected)`}.
          </p>
        </div>
      );
    case 'missing':
      return (
        <div className="receipt receipt-warn" data-receipt="missing">
          <p>
            <Icon name="warning" /> The job succeeded but Druid’s row count was not recorded.
          </p>
        </div>
      );
    case 'none':
      return (
        <div className="receipt" data-receipt="none">
          <p>
            <Icon name="info" /> No receipt: the job ended before Druid returned a row count.
          </p>
        </div>
      );
    case 'pending':
      return (
        <div className="receipt" data-receipt="pending">
          <p>
            <Icon name="clock" /> The receipt appears once Druid has indexed the rows and answered a count.
          </p>
        </div>
      );
  }
}
