import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { jobsPollInterval } from '../../api/polling';
import { kindLabel } from '../../api/models';
import { StateBadge } from '../../components/StateBadge';
import { displayFilename } from '../../lib/display';
import { formatAge, formatCount, formatDateTime } from '../../lib/format';
import { datasourceJobsPath, jobPath } from '../../lib/paths';
import { useNow } from '../../lib/useNow';
import { Link } from '../../router';

export const RECENT_JOBS = 10;

/** The datasource's newest jobs, each with the schema version it validated against; refreshed while one runs. */
export function RecentJobs({ name }: { name: string }) {
  const now = useNow(15_000);
  const jobs = useQuery({
    queryKey: ['jobs', { datasource: name, recent: RECENT_JOBS }],
    queryFn: ({ signal }) => api.jobs({ datasource: name, limit: RECENT_JOBS, offset: 0 }, signal),
    refetchInterval: (query) => jobsPollInterval(query.state.data),
  });
  if (jobs.isPending) return <p role="status">Loading jobs…</p>;
  if (jobs.isError) {
    return (
      <div className="notice notice-bad" role="alert">
        Could not load the jobs: {jobs.error.message}
      </div>
    );
  }
  if (jobs.data.items.length === 0) return <p className="muted">No jobs yet.</p>;
  return (
    <>
      <div className="table-wrap">
        <table className="data-table">
          <caption className="visually-hidden">Recent jobs of {name}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">File</th>
              <th scope="col">Version</th>
              <th scope="col" className="num">
                Rows valid / total
              </th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.items.map((job) => (
              <tr key={job.job_id}>
                <td>
                  <StateBadge state={job.state} />
                </td>
                <td className="file-cell">
                  {job.kind !== 'ingest' && <span className="kind-tag">{kindLabel(job.kind)}</span>}
                  <Link to={jobPath(job.job_id)} title={displayFilename(job.filename).title}>
                    {displayFilename(job.filename, 60).text}
                  </Link>
                  {job.retracted_by && <span className="muted small"> (retracted)</span>}
                </td>
                <td>v{job.schema_version}</td>
                <td className="num">
                  {job.kind === 'ingest' ? `${formatCount(job.rows_valid)} / ${formatCount(job.rows_total)}` : '—'}
                </td>
                <td>
                  <time dateTime={job.created_at} title={formatDateTime(job.created_at)}>
                    {formatAge(job.created_at, now)}
                  </time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {jobs.data.total > RECENT_JOBS && (
        <p>
          <Link to={datasourceJobsPath(name)}>All {formatCount(jobs.data.total)} jobs of {name}</Link>
        </p>
      )}
    </>
  );
}
