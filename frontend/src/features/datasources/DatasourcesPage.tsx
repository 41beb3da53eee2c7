import { useDatasources } from '../../api/queries';
import { displayText } from '../../lib/display';
import { formatAge, formatDateTime } from '../../lib/format';
import { datasourceJobsPath, datasourcePath } from '../../lib/paths';
import { useNow } from '../../lib/useNow';
import { Link, useSearchParams } from '../../router';
import { useCaller } from '../access/me';
import { jobCountsText } from './counts';

export function DatasourcesPage() {
  const [params, setParams] = useSearchParams();
  const showDeleted = params.get('deleted') === '1';
  const datasources = useDatasources(showDeleted);
  const now = useNow(60_000);
  const items = datasources.data?.items ?? [];
  // Creating a datasource is an admin's (the server refuses others); undefined: `me` could not be asked.
  const me = useCaller();
  const mayCreate = me === undefined || me?.is_admin === true;

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Datasources</h1>
        {mayCreate && (
          <Link to="/datasources/new" className="button-primary">
            New datasource
          </Link>
        )}
      </div>
      <p className="lead">
        Each datasource declares the columns, types and rules its files must follow. A change to its schema is a new
        version, checked against the datasource’s compatibility mode.
      </p>
      <div className="filters">
        <label className="choice">
          <input
            type="checkbox"
            checked={showDeleted}
            onChange={(e) => setParams({ deleted: e.target.checked ? '1' : null })}
          />
          <span>Show deleted datasources</span>
        </label>
      </div>

      {datasources.isError && (
        <div className="notice notice-bad" role="alert">
          Could not load the datasources: {datasources.error.message}{' '}
          <button type="button" className="button-link" onClick={() => void datasources.refetch()}>
            Try again
          </button>
        </div>
      )}
      {datasources.isPending && <p role="status">Loading datasources…</p>}
      {datasources.isSuccess && items.length === 0 && (
        <p className="empty">
          No datasources yet.{' '}
          {mayCreate ? <Link to="/datasources/new">Create one from a sample file</Link> : 'An admin can create one.'}
        </p>
      )}

      {items.length > 0 && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Datasources</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Version</th>
                <th scope="col">Compatibility</th>
                <th scope="col">Jobs</th>
                <th scope="col">Last ingest</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.name} className={d.deleted ? 'row-deleted' : undefined}>
                  <td className="file-cell">
                    <Link to={datasourcePath(d.name)}>{d.name}</Link>
                    {d.deleted && (
                      <>
                        {' '}
                        <span className="badge badge-warn">Deleted</span>
                      </>
                    )}
                  </td>
                  <td>{d.description ? displayText(d.description) : <span className="muted">—</span>}</td>
                  <td>v{d.schema_version}</td>
                  <td>
                    <code>{d.compatibility}</code>
                  </td>
                  <td>
                    {d.jobs.total > 0 ? (
                      <Link to={datasourceJobsPath(d.name)}>{jobCountsText(d.jobs)}</Link>
                    ) : (
                      jobCountsText(d.jobs)
                    )}
                  </td>
                  <td>
                    {d.last_ingest_at ? (
                      <time dateTime={d.last_ingest_at} title={formatDateTime(d.last_ingest_at)}>
                        {formatAge(d.last_ingest_at, now)}
                      </time>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
