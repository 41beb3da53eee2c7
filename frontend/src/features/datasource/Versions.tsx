import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { RegisteredVersion, SchemaVersionList } from '../../api/models';
import { displayText } from '../../lib/display';
import { formatAge, formatDateTime } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { describeRegistrationError } from './editor';
import { RegistrationRefusal } from './RegistrationNotice';

interface VersionsProps {
  name: string;
  versions: SchemaVersionList;
  /** A deleted datasource takes no new versions: no restore buttons. */
  readOnly: boolean;
}

function restoredText(result: RegisteredVersion, from: number): string {
  return result.created
    ? `Version ${result.version} registered: it restores version ${from}.`
    : `Version ${from} is identical to the current version ${result.version}: nothing was registered.`;
}

/** The versions, newest first: who registered each, when, what changed, and a Restore button for each old one. */
export function Versions({ name, versions, readOnly }: VersionsProps) {
  const queryClient = useQueryClient();
  const now = useNow(60_000);
  const restore = useMutation({
    mutationFn: (version: number) => api.restoreSchema(name, version),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['datasource', name] });
      void queryClient.invalidateQueries({ queryKey: ['datasources'] });
    },
  });

  return (
    <>
      <div className="table-wrap">
        <table className="data-table versions-table">
          <caption className="visually-hidden">Schema versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Registered</th>
              <th scope="col">By</th>
              <th scope="col">What changed</th>
              {!readOnly && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {versions.items.map((v) => {
              const current = v.version === versions.current_version;
              return (
                <tr key={v.version}>
                  <th scope="row">
                    v{v.version}
                    {current && <span className="tag">current</span>}
                  </th>
                  <td>
                    <time dateTime={v.created_at} title={formatDateTime(v.created_at)}>
                      {formatAge(v.created_at, now)}
                    </time>
                  </td>
                  <td>{displayText(v.created_by)}</td>
                  <td>
                    {displayText(v.summary)}
                    {v.restored_from !== null && <span className="tag tag-info">restored from v{v.restored_from}</span>}
                  </td>
                  {!readOnly && (
                    <td>
                      {!current && (
                        <button
                          type="button"
                          className="button-small"
                          disabled={restore.isPending}
                          onClick={() => restore.mutate(v.version)}
                          aria-label={`Restore version ${v.version}`}
                        >
                          Restore
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div aria-live="polite">
        {restore.isPending && <p role="status">Restoring version {restore.variables}…</p>}
        {restore.isSuccess && (
          <p className="notice notice-good" role="status">
            {restoredText(restore.data, restore.variables)}
          </p>
        )}
      </div>
      {restore.isError && <RegistrationRefusal refusal={describeRegistrationError(restore.error, 'restored')} />}
    </>
  );
}
