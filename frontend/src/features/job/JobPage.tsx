import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import { jobPollInterval } from '../../api/polling';
import { isTerminal, kindLabel, type Job } from '../../api/models';
import { StateBadge } from '../../components/StateBadge';
import { displayFilename, displayText } from '../../lib/display';
import { formatBytes, formatCount, formatDateTime, formatDuration, humanizeKey, plural } from '../../lib/format';
import { datasourcePath, jobPath } from '../../lib/paths';
import { useNow } from '../../lib/useNow';
import { may, useCaller } from '../access/me';
import { Link } from '../../router';
import { druidCard } from './druid';
import { ErrorsTable, ERRORS_SECTION_ID } from './ErrorsTable';
import { operationFacts } from './operation';
import { RetractAction } from './RetractAction';
import { Receipt } from './Receipt';
import { Timeline } from './Timeline';
import { totalDurationMs } from './timeline';

function statValue(value: unknown): string {
  if (typeof value === 'number') return formatCount(value);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function hasErrorReport(job: Job): boolean {
  return (job.rows_invalid ?? 0) > 0 || job.code === 'validation_failed';
}

export function JobPage({ jobId }: { jobId: string }) {
  const caller = useCaller();
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: ({ signal }) => api.job(jobId, signal),
    refetchInterval: (query) => jobPollInterval(query.state.data, query.state.error),
  });
  const finished = job.data ? isTerminal(job.data.state) : false;
  const now = useNow(finished ? 60_000 : 1000);

  if (job.isPending) {
    return (
      <>
        <h1 tabIndex={-1}>Job</h1>
        <p role="status">Loading job {jobId}…</p>
      </>
    );
  }
  if (job.isError && !job.data) {
    const notFound = job.error instanceof ApiError && job.error.status === 404;
    return (
      <>
        <h1 tabIndex={-1}>{notFound ? 'Job not found' : 'Job'}</h1>
        <div className="notice notice-bad" role="alert">
          <p>{notFound ? `There is no job with id ${jobId}.` : `Could not load the job: ${job.error.message}`}</p>
          <p>
            <Link to="/jobs">See all jobs</Link>
          </p>
        </div>
      </>
    );
  }

  const j = job.data;
  const stats = j.druid_row_stats ? Object.entries(j.druid_row_stats) : [];
  const druid = druidCard(j);
  const title = displayFilename(j.filename);
  const errorsBelow = finished && hasErrorReport(j);
  const facts = operationFacts(j);
  const retractable =
    j.kind === 'ingest' && j.state === 'succeeded' && !j.retracted_by && may(caller, 'manage', j.datasource);
  return (
    <>
      <header className="job-header">
        <h1 tabIndex={-1}>
          {/* A long name is shortened in the middle (its end holds the extension); the tooltip has it whole. */}
          <span className="job-title" title={title.title}>
            {title.text}
          </span>
          <StateBadge state={j.state} />
        </h1>
        {j.kind === 'ingest' ? (
          <p className="muted small">
            Job <code>{j.job_id}</code> · <Link to={datasourcePath(j.datasource)}>{j.datasource}</Link>{' '}
            <span title={`Validated against version ${j.schema_version} of ${j.datasource}’s schema`}>v{j.schema_version}</span> ·{' '}
            {formatBytes(j.size_bytes)}
            {j.format && ` · ${j.format.toUpperCase()}`} · priority {j.priority.toLowerCase()} · on invalid rows:{' '}
            {j.options.on_invalid} · {j.options.mode}
            {j.attempt > 1 && ` · attempt ${j.attempt}`}
          </p>
        ) : (
          <p className="muted small">
            <span className="kind-tag">{kindLabel(j.kind)}</span> job <code>{j.job_id}</code> ·{' '}
            <Link to={datasourcePath(j.datasource)}>{j.datasource}</Link> · priority {j.priority.toLowerCase()}
            {j.attempt > 1 && ` · attempt ${j.attempt}`}
            {j.retraction_of && (
              <>
                {' '}
                · retracts job <Link to={jobPath(j.retraction_of)}>{j.retraction_of}</Link>
              </>
            )}
          </p>
        )}
        {j.retracted_by && (
          <div className="notice notice-warn" role="status">
            <p>
              <strong>Retracted.</strong> This upload’s rows were removed from Druid by job{' '}
              <Link to={jobPath(j.retracted_by)}>{j.retracted_by}</Link>.
            </p>
          </div>
        )}
        {j.state !== 'succeeded' && (j.code || j.message) && (
          <div className={`notice ${finished ? 'notice-bad' : 'notice-info'}`} role={finished ? 'alert' : undefined}>
            {j.code && (
              <p>
                <strong>
                  <code>{j.code}</code>
                </strong>
              </p>
            )}
            {j.message && <p className="notice-message">{displayText(j.message)}</p>}
            {errorsBelow && (
              <p>
                <a href={`#${ERRORS_SECTION_ID}`}>
                  See the row errors below
                  {j.rows_invalid ? ` (${plural(j.rows_invalid, 'invalid row')})` : ''}
                </a>
              </p>
            )}
          </div>
        )}
        {job.isError && (
          <p className="muted small" role="status">
            Refresh failed ({job.error.message}); retrying.
          </p>
        )}
      </header>

      {j.state === 'validating' && (
        <section className="panel" aria-labelledby="validating-title">
          <h2 id="validating-title">Validating rows: {j.progress}%</h2>
          <progress max={100} value={j.progress} aria-labelledby="validating-title" />
        </section>
      )}

      <div className="columns-2">
        {facts.length > 0 ? (
          <section className="panel" aria-labelledby="operation-title">
            <h2 id="operation-title">{kindLabel(j.kind)}</h2>
            <dl className="stats">
              {facts.map((fact) => (
                <div key={fact.label} className={fact.label === 'Interval' ? 'wide' : undefined}>
                  <dt>{fact.label}</dt>
                  <dd>{fact.value}</dd>
                </div>
              ))}
            </dl>
          </section>
        ) : (
          <section className="panel" aria-labelledby="rows-title">
            <h2 id="rows-title">Rows</h2>
            <dl className="stats">
              <div>
                <dt>Total</dt>
                <dd>{formatCount(j.rows_total)}</dd>
              </div>
              <div>
                <dt>Valid</dt>
                <dd>{formatCount(j.rows_valid)}</dd>
              </div>
              <div>
                <dt>Invalid</dt>
                <dd>{formatCount(j.rows_invalid)}</dd>
              </div>
            </dl>
            <h3>Receipt</h3>
            <Receipt job={j} />
          </section>
        )}

        <section className="panel" aria-labelledby="druid-title">
          <h2 id="druid-title">Druid</h2>
          {druid.sent && (
            <dl className="stats">
              <div className="wide">
                <dt>Task id</dt>
                <dd>
                  <code className="wrap">{j.druid_task_id}</code>
                </dd>
              </div>
              {stats.map(([key, value]) => (
                <div key={key}>
                  <dt title={key}>{humanizeKey(key)}</dt>
                  <dd>{statValue(value)}</dd>
                </div>
              ))}
            </dl>
          )}
          {druid.note && <p className="muted small druid-note">{druid.note}</p>}
        </section>
      </div>

      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p className="muted small">
          Created {formatDateTime(j.created_at)}
          {j.finished_at
            ? ` · finished ${formatDateTime(j.finished_at)} · total ${formatDuration(totalDurationMs(j.created_at, j.finished_at, now))}`
            : ` · running for ${formatDuration(totalDurationMs(j.created_at, null, now))}`}
        </p>
        <Timeline events={j.events} finished={finished} now={now} />
      </section>

      {retractable && <RetractAction job={j} />}

      {errorsBelow && <ErrorsTable jobId={j.job_id} rowsInvalid={j.rows_invalid} />}
    </>
  );
}
