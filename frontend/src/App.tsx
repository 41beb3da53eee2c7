import { useEffect, useRef } from 'react';
import { DatasourcePage } from './features/datasource/DatasourcePage';
import { DatasourcesPage } from './features/datasources/DatasourcesPage';
import { JobPage } from './features/job/JobPage';
import { JobsPage } from './features/jobs/JobsPage';
import { NewDatasourcePage } from './features/new-datasource/NewDatasourcePage';
import { UploadPage } from './features/upload/UploadPage';
import { Link, matchPath, useLocation } from './router';

function Page({ pathname }: { pathname: string }) {
  if (pathname === '/' || pathname === '/upload') return <UploadPage />;
  if (pathname === '/jobs') return <JobsPage />;
  const job = matchPath('/jobs/:id', pathname);
  if (job?.id) return <JobPage key={job.id} jobId={job.id} />;
  if (pathname === '/datasources') return <DatasourcesPage />;
  // The form; a datasource named "new" has its page at /datasources/%6Eew (lib/paths.ts).
  if (pathname === '/datasources/new') return <NewDatasourcePage />;
  const datasource = matchPath('/datasources/:name', pathname);
  if (datasource?.name) return <DatasourcePage key={datasource.name} name={datasource.name} />;
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        Nothing lives at <code>{pathname}</code>. <Link to="/">Upload a file</Link> or{' '}
        <Link to="/jobs">see the jobs</Link>.
      </p>
    </>
  );
}

function title(pathname: string): string {
  if (pathname === '/jobs') return 'Jobs';
  if (pathname.startsWith('/jobs/')) return 'Job';
  if (pathname === '/datasources') return 'Datasources';
  if (pathname === '/datasources/new') return 'New datasource';
  if (pathname.startsWith('/datasources/')) return 'Datasource';
  return 'Upload';
}

export function App() {
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After client-side navigation, move focus to the new page's heading so screen readers announce it.
  useEffect(() => {
    document.title = `${title(pathname)} · druid-ingest`;
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [pathname]);

  const navClass = (active: boolean) => (active ? 'nav-link active' : 'nav-link');
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            druid-ingest
          </Link>
          <nav aria-label="Main">
            <Link
              to="/"
              className={navClass(pathname === '/' || pathname === '/upload')}
              aria-current={pathname === '/' || pathname === '/upload' ? 'page' : undefined}
            >
              Upload
            </Link>
            <Link
              to="/jobs"
              className={navClass(pathname.startsWith('/jobs'))}
              aria-current={pathname === '/jobs' ? 'page' : undefined}
            >
              Jobs
            </Link>
            <Link
              to="/datasources"
              className={navClass(pathname.startsWith('/datasources'))}
              aria-current={pathname === '/datasources' ? 'page' : undefined}
            >
              Datasources
            </Link>
          </nav>
        </div>
      </header>
      <main id="main" ref={main}>
        <Page pathname={pathname} />
      </main>
    </>
  );
}
