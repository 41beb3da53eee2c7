import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { SchemaVersionList } from '../../api/models';
import { useSearchParams } from '../../router';
import { ChangeList } from './ChangeList';
import { changeCounts } from './changes';

function versionParam(raw: string | null, known: number[]): number | null {
  const n = Number(raw);
  return raw !== null && known.includes(n) ? n : null;
}

/**
 * The changes between any two versions (two selects; in the URL as ?from=&to=, so a diff can be shared). By default
 * the version before the current one against the current one.
 */
export function VersionDiff({ name, versions }: { name: string; versions: SchemaVersionList }) {
  const [params, setParams] = useSearchParams();
  const known = versions.items.map((v) => v.version);
  const current = versions.current_version;
  const previous = known.filter((v) => v < current).sort((a, b) => b - a)[0] ?? current;
  const from = versionParam(params.get('from'), known) ?? previous;
  const to = versionParam(params.get('to'), known) ?? current;

  const diff = useQuery({
    queryKey: ['datasource', name, 'diff', from, to],
    queryFn: ({ signal }) => api.schemaDiff(name, from, to, signal),
    enabled: from !== to,
    placeholderData: keepPreviousData,
    staleTime: Infinity, // versions never change
  });

  if (known.length < 2) {
    return <p className="muted">Only one version so far: nothing to compare yet.</p>;
  }
  const options = versions.items.map((v) => (
    <option key={v.version} value={v.version}>
      v{v.version}
      {v.version === current ? ' (current)' : ''}
    </option>
  ));
  return (
    <>
      <form className="filters" aria-label="Versions to compare" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="diff-from">From version</label>
          <select id="diff-from" value={from} onChange={(e) => setParams({ from: e.target.value })}>
            {options}
          </select>
        </div>
        <div className="field">
          <label htmlFor="diff-to">To version</label>
          <select id="diff-to" value={to} onChange={(e) => setParams({ to: e.target.value })}>
            {options}
          </select>
        </div>
        <p className="muted small filters-status" role="status">
          {from === to
            ? 'The same version: nothing to compare.'
            : diff.isFetching
              ? 'Comparing…'
              : diff.data
                ? `From v${diff.data.from_version} to v${diff.data.to_version}: ${changeCounts(diff.data.changes)}.`
                : ''}
        </p>
      </form>
      {diff.isError && (
        <div className="notice notice-bad" role="alert">
          Could not compare the versions: {diff.error.message}
        </div>
      )}
      {from !== to && diff.data && (
        <ChangeList changes={diff.data.changes} label={`Changes from version ${diff.data.from_version} to version ${diff.data.to_version}`} />
      )}
    </>
  );
}
