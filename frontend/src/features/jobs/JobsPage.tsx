import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useDatasources } from '../../api/queries';
import { jobsPollInterval } from '../../api/polling';
import { isJobKind, isJobState, JOB_KINDS, JOB_STATES, kindLabel } from '../../api/models';
import { StateBadge, stateLook } from '../../components/StateBadge';
import { displayFilename } from '../../lib/display';
import { formatAge, formatBytes, formatCount, formatDateTime } from '../../lib/format';
import { datasourcePath } from '../../lib/paths';
import { useNow } from '../../lib/useNow';
import { Link, useSearchParams } from '../../router';
import { QueuePanel } from './QueuePanel';

const PAGE_SIZE = 50;

function parseOffset(raw: string | null): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export function JobsPage() {
  const [params, setParams] = useSearchParams();
  const rawState = params.get('state') ?? '';
  const state = isJobState(rawState) ? rawState : '';
  const rawKind = params.get('kind') ?? '';
  const kind = isJobKind(rawKind) ? rawKind : '';
  const datasource = params.get('datasource') ?? '';
  const offset = parseOffset(params.get('offset'));
  const now = useNow(15_000);

  const datasources = useDatasources();
  const jobs = useQuery({
    queryKey: ['jobs', { state, kind, datasource, offset }],
    queryFn: ({ signal }) => api.jobs({ state, kind, datasource, limit: PAGE_SIZE, offset }, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => jobsPollInterval(query.state.data),
  });

  const names = datasources.data?.items.map((d) => d.name) ?? [];
  if (datasource && !names.includes(datasource)) names.push(datasource);
  const total = jobs.data?.total ?? 0;
  const items = jobs.data?.items ?? [];
  const polling = jobsPollInterval(jobs.data) !== false;

  return (
    <>
      <h1 tabIndex={-1}>Jobs</h1>
      <QueuePanel polling={polling} />
      <form className="filters" role="search" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-state">State</label>
          <select
            id="filter-state"
            value={state}
            onChange={(e) => setParams({ state: e.target.value, offset: null })}
          >
            <option value="">All states</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {stateLook(s).label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-kind">Kind</label>
          <select id="filter-kind" value={kind} onChange={(e) => setParams({ kind: e.target.value, offset: null })}>
            <option value="">All kinds</option>
            {JOB_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-datasource">Datasource</label>
          <select
            id="filter-datasource"
            value={datasource}
            onChange={(e) => setParams({ datasource: e.target.value, offset: null })}
          >
            <option value="">All datasources</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <p className="muted small filters-status" role="status">
          {jobs.isFetching ? 'Refreshing…' : polling ? 'Refreshing every 2 s while jobs are running.' : 'Up to date.'}
        </p>
      </form>

      {jobs.isError && (
        <div className="notice notice-bad" role="alert">
          Could not load the jobs: {jobs.error.message}{' '}
          <button type="button" className="button-link" onClick={() => void jobs.refetch()}>
            Try again
          </button>
        </div>
      )}
      {jobs.isPending && <p role="status">Loading jobs…</p>}
      {jobs.isSuccess && items.length === 0 && (
        <p className="empty">
          {state || kind || datasource ? 'No jobs match these filters.' : 'No jobs yet.'}{' '}
          <Link to="/">Upload a file</Link>
        </p>
      )}

      {items.length > 0 && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">File</th>
                <th scope="col">Datasource</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Rows valid / total
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((job) => (
                <tr key={job.job_id}>
                  <td>
                    <StateBadge state={job.state} />
                  </td>
                  <td className="file-cell">
                    {job.kind !== 'ingest' && <span className="kind-tag">{kindLabel(job.kind)}</span>}
                    <Link to={`/jobs/${encodeURIComponent(job.job_id)}`} title={displayFilename(job.filename).title}>
                      {displayFilename(job.filename, 60).text}
                    </Link>
                    {job.retracted_by && <span className="muted small"> (retracted)</span>}
                  </td>
                  <td>
                    <Link to={datasourcePath(job.datasource)}>{job.datasource}</Link>{' '}
                    <span className="muted">v{job.schema_version}</span>
                  </td>
                  <td className="num">{job.kind === 'ingest' ? formatBytes(job.size_bytes) : '—'}</td>
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
      )}

      {total > PAGE_SIZE && (
        <nav className="pager" aria-label="Job pages">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => setParams({ offset: offset - PAGE_SIZE > 0 ? String(offset - PAGE_SIZE) : null })}
          >
            Newer
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE_SIZE, total)} of {formatCount(total)}
          </span>
          <button
            type="button"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => setParams({ offset: String(offset + PAGE_SIZE) })}
          >
            Older
          </button>
        </nav>
      )}
    </>
  );
}
