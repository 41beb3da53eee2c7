import { useEffect, useRef } from 'react';
import { DatasourcePage } from './features/datasource/DatasourcePage';
import { DatasourcesPage } from './features/datasources/DatasourcesPage';
import { JobPage } from './features/job/JobPage';
import { JobsPage } from './features/jobs/JobsPage';
import { NewDatasourcePage } from './features/new-datasource/NewDatasourcePage';
import { UploadPage } from './features/upload/UploadPage';
import { useQueryClient } from '@tanstack/react-query';
import { accessApi } from './api/access';
import { AuditPage } from './features/access/AuditPage';
import { KeysPage } from './features/access/KeysPage';
import { CallerContext, mayAnywhere, useMe } from './features/access/me';
import { SignInPage } from './features/access/SignInPage';
import { UsersPage } from './features/access/UsersPage';
import { Link, matchPath, navigate, useLocation } from './router';

function Page({ pathname, canUpload, isAdmin }: { pathname: string; canUpload: boolean; isAdmin: boolean }) {
  if (pathname === '/' || pathname === '/upload') return canUpload ? <UploadPage /> : <JobsPage />;
  if (pathname === '/keys') return <KeysPage />;
  if (isAdmin && pathname === '/users') return <UsersPage />;
  if (isAdmin && pathname === '/audit') return <AuditPage />;
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
  if (pathname === '/keys') return 'API keys';
  if (pathname === '/users') return 'Users';
  if (pathname === '/audit') return 'Audit log';
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
  const me = useMe();
  const queryClient = useQueryClient();
  if (me.isPending) return <p className="loading">Loading…</p>;
  // Signed out (401): only the sign-in. With access control off the server answers as an admin, so it never shows.
  if (me.data === null) return <SignInPage />;
  // Who the caller is could not be asked (an outage): offer everything, the server refuses what it must.
  const canUpload = me.data ? mayAnywhere(me.data, 'upload') : true;
  const isAdmin = me.data?.is_admin ?? false;
  const signedIn = me.data !== undefined && me.data.via !== 'none';
  const signOut = async () => {
    await accessApi.logout();
    queryClient.clear();
    navigate('/');
    await queryClient.invalidateQueries({ queryKey: ['me'] });
  };
  return (
    <CallerContext.Provider value={me.data}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            druid-ingest
          </Link>
          <nav aria-label="Main">
            {canUpload && (
              <Link
                to="/"
                className={navClass(pathname === '/' || pathname === '/upload')}
                aria-current={pathname === '/' || pathname === '/upload' ? 'page' : undefined}
              >
                Upload
              </Link>
            )}
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
            {signedIn && (
              <Link to="/keys" className={navClass(pathname === '/keys')}>
                API keys
              </Link>
            )}
            {signedIn && isAdmin && (
              <>
                <Link to="/users" className={navClass(pathname === '/users')}>
                  Users
                </Link>
                <Link to="/audit" className={navClass(pathname === '/audit')}>
                  Audit
                </Link>
              </>
            )}
          </nav>
          {signedIn && me.data && (
            <div className="who">
              <span aria-label="Signed in as">{me.data.username}</span>{' '}
              <button type="button" className="button-link" onClick={() => void signOut()}>
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      <main id="main" ref={main}>
        <Page pathname={pathname} canUpload={canUpload} isAdmin={isAdmin} />
      </main>
    </CallerContext.Provider>
  );
}
