import { ApiError } from '../../api/client';
import { useDatasource, useSchemaVersions } from '../../api/queries';
import { Icon } from '../../components/Icon';
import { displayText } from '../../lib/display';
import { formatAge, formatDateTime } from '../../lib/format';
import { datasourceJobsPath, uploadPath } from '../../lib/paths';
import { useNow } from '../../lib/useNow';
import { Link } from '../../router';
import { may, useCaller } from '../access/me';
import { jobCountsText } from '../datasources/counts';
import { Grants } from './Grants';
import { RecentJobs } from './RecentJobs';
import { SchemaEditor } from './SchemaEditor';
import { SchemaTable } from './SchemaTable';
import { AutoCompaction } from './AutoCompaction';
import { Segments } from './SegmentsChart';
import { CompatibilitySetting, DeleteDatasource } from './Settings';
import { VersionDiff } from './VersionDiff';
import { Versions } from './Versions';

export function DatasourcePage({ name }: { name: string }) {
  const datasource = useDatasource(name);
  const versions = useSchemaVersions(name);
  const now = useNow(60_000);
  const me = useCaller();

  if (datasource.isPending) {
    return (
      <>
        <h1 tabIndex={-1}>{name}</h1>
        <p role="status">Loading the datasource…</p>
      </>
    );
  }
  if (datasource.isError) {
    const notFound = datasource.error instanceof ApiError && datasource.error.status === 404;
    return (
      <>
        <h1 tabIndex={-1}>{notFound ? 'Datasource not found' : name}</h1>
        <div className="notice notice-bad" role="alert">
          <p>{notFound ? `There is no datasource named ${name}.` : `Could not load it: ${datasource.error.message}`}</p>
          <p>
            <Link to="/datasources">See all datasources</Link>
          </p>
        </div>
      </>
    );
  }

  const d = datasource.data;
  // Only what the caller may do is offered (the server refuses the rest anyway). `me` undefined: it could not be
  // asked, so everything is offered and the server decides.
  const mayUpload = me === undefined || may(me, 'upload', d.name);
  const mayManage = me === undefined || may(me, 'manage', d.name);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/datasources">Datasources</Link> /
      </p>
      <header className="page-head">
        <h1 tabIndex={-1}>
          {d.name} <span className="tag tag-version">v{d.schema_version}</span>
        </h1>
        {!d.deleted && mayUpload && (
          <Link to={uploadPath(d.name)} className="button-primary">
            <Icon name="upload" /> Upload to this datasource
          </Link>
        )}
      </header>
      {d.description && <p className="lead">{displayText(d.description)}</p>}
      <p className="muted small">
        Druid datasource <code>{d.druid_datasource}</code> · created {formatDateTime(d.created_at)} ·{' '}
        {d.jobs.total > 0 ? (
          <Link to={datasourceJobsPath(d.name)}>{jobCountsText(d.jobs)}</Link>
        ) : (
          jobCountsText(d.jobs)
        )}{' '}
        · last ingest{' '}
        {d.last_ingest_at ? (
          <time dateTime={d.last_ingest_at} title={formatDateTime(d.last_ingest_at)}>
            {formatAge(d.last_ingest_at, now)}
          </time>
        ) : (
          'never'
        )}
      </p>
      {d.deleted && (
        <div className="notice notice-warn" role="status">
          <h2>
            <Icon name="slash" /> This datasource was deleted
            {d.deleted_at && ` on ${formatDateTime(d.deleted_at)}`}
          </h2>
          <p>It takes no uploads and no new schema versions. Its jobs, its versions and the rows in Druid stay readable.</p>
        </div>
      )}

      <section className="panel" aria-labelledby="schema-title">
        <h2 id="schema-title">Schema, version {d.schema.version}</h2>
        <SchemaTable definition={d.schema.definition} caption={`Columns of ${d.name}, version ${d.schema.version}`} />
      </section>

      <section className="panel" aria-labelledby="segments-title">
        <h2 id="segments-title">Segments in Druid</h2>
        <Segments name={d.name} mayCompact={!d.deleted && mayManage} />
        <AutoCompaction name={d.name} mayChange={!d.deleted && mayManage} />
      </section>

      <section className="panel" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        {versions.isPending && <p role="status">Loading versions…</p>}
        {versions.isError && (
          <div className="notice notice-bad" role="alert">
            Could not load the versions: {versions.error.message}
          </div>
        )}
        {versions.isSuccess && (
          <Versions name={d.name} versions={versions.data} readOnly={d.deleted || !mayManage} />
        )}
        <h3 id="diff-title">Compare versions</h3>
        {versions.isSuccess && <VersionDiff name={d.name} versions={versions.data} />}
      </section>

      {!d.deleted && mayManage && (
        <section className="panel" aria-labelledby="edit-title">
          <h2 id="edit-title">Change the schema</h2>
          <p className="muted small">
            Edit the definition, check what it would change, then save it as version {d.schema_version + 1}. A version
            the compatibility mode ({d.compatibility}) forbids is refused with its reasons.
          </p>
          <SchemaEditor name={d.name} current={d.schema} />
        </section>
      )}

      <section className="panel" aria-labelledby="jobs-title">
        <h2 id="jobs-title">Recent jobs</h2>
        <RecentJobs name={d.name} />
      </section>

      {mayManage && (
        <section className="panel" aria-labelledby="access-title">
          <h2 id="access-title">Who may use it</h2>
          <Grants datasource={d.name} readOnly={d.deleted} />
        </section>
      )}

      {mayManage && (
        <section className="panel" aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <CompatibilitySetting datasource={d} />
          {!d.deleted && (
            <>
              <h3>Delete</h3>
              <DeleteDatasource datasource={d} />
            </>
          )}
        </section>
      )}
    </>
  );
}
