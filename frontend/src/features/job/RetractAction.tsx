import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { Job } from '../../api/models';
import { formatCount } from '../../lib/format';
import { jobPath } from '../../lib/paths';
import { navigate } from '../../router';

/**
 * Undo one upload: asks once more (removing rows from Druid is not undone by a click), then starts the retraction
 * job and goes to its page, where its progress and figures show.
 */
export function RetractAction({ job }: { job: Job }) {
  const [asking, setAsking] = useState(false);
  const retract = useMutation({
    mutationFn: () => api.retractJob(job.job_id),
    onSuccess: (started) => navigate(jobPath(started.job_id)),
  });
  return (
    <section className="panel" aria-labelledby="retract-title">
      <h2 id="retract-title">Undo this upload</h2>
      {!asking ? (
        <>
          <p className="muted small">
            Removes exactly this job’s {formatCount(job.druid_rows)} rows from Druid and keeps every other row of the
            days they are in.
          </p>
          <button type="button" className="button-secondary" onClick={() => setAsking(true)}>
            Retract…
          </button>
        </>
      ) : (
        <div className="operation-steps" role="group" aria-label="Confirm the retraction">
          <span>
            Retract this job’s {formatCount(job.druid_rows)} rows from <strong>{job.datasource}</strong>?
          </span>
          <button type="button" disabled={retract.isPending} onClick={() => retract.mutate()}>
            {retract.isPending ? 'Starting…' : 'Retract the rows'}
          </button>
          <button type="button" className="button-secondary" onClick={() => setAsking(false)}>
            Keep them
          </button>
        </div>
      )}
      {retract.isError && (
        <div className="notice notice-bad" role="alert">
          {retract.error.message}
        </div>
      )}
    </section>
  );
}
