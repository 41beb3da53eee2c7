import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import {
  COMPATIBILITY_MODES,
  compatibilityHelp,
  type CompatibilityMode,
  type DatasourceDetail,
} from '../../api/models';
import { Icon } from '../../components/Icon';

/** Writes a changed datasource into the cache (its page) and marks the lists stale. */
function useStore(name: string) {
  const queryClient = useQueryClient();
  return (detail: DatasourceDetail) => {
    queryClient.setQueryData(['datasource', name], detail);
    void queryClient.invalidateQueries({ queryKey: ['datasources'] });
  };
}

/** The compatibility mode, changed with PATCH. */
export function CompatibilitySetting({ datasource }: { datasource: DatasourceDetail }) {
  const store = useStore(datasource.name);
  const [mode, setMode] = useState<CompatibilityMode>(datasource.compatibility);
  const patch = useMutation({
    mutationFn: (compatibility: CompatibilityMode) => api.updateDatasource(datasource.name, { compatibility }),
    onSuccess: store,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    patch.mutate(mode);
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <div className="field">
        <label htmlFor="compatibility">Compatibility mode</label>
        <select
          id="compatibility"
          value={mode}
          onChange={(e) => {
            setMode(e.target.value as CompatibilityMode);
            patch.reset();
          }}
          disabled={datasource.deleted}
          aria-describedby="compatibility-help"
        >
          {COMPATIBILITY_MODES.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <p id="compatibility-help" className="muted small">
          {compatibilityHelp(mode)}
        </p>
      </div>
      {!datasource.deleted && (
        <button type="submit" disabled={patch.isPending || mode === datasource.compatibility}>
          {patch.isPending ? 'Changing…' : 'Change mode'}
        </button>
      )}
      <div aria-live="polite" className="inline-status">
        {patch.isSuccess && (
          <p role="status">
            <Icon name="check" /> The mode is now {patch.data.compatibility}.
          </p>
        )}
      </div>
      {patch.isError && (
        <p className="field-error" role="alert">
          Not changed: {patch.error.message}
        </p>
      )}
    </form>
  );
}

/** Delete, after a confirmation that says what deleting does and does not do. */
export function DeleteDatasource({ datasource }: { datasource: DatasourceDetail }) {
  const store = useStore(datasource.name);
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => api.deleteDatasource(datasource.name),
    onSuccess: (detail) => {
      setConfirming(false);
      store(detail);
    },
  });
  if (!confirming) {
    return (
      <button type="button" className="button-danger" onClick={() => setConfirming(true)}>
        <Icon name="trash" /> Delete datasource…
      </button>
    );
  }
  return (
    <div className="notice notice-warn confirm" role="group" aria-labelledby="delete-title">
      <h3 id="delete-title">Delete {datasource.name}?</h3>
      <p>
        It will take no more uploads or schema versions. Its jobs, its versions and the rows already in Druid stay, and
        the name stays taken.
      </p>
      <div className="form-actions">
        <button type="button" className="button-danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
          {remove.isPending ? 'Deleting…' : `Yes, delete ${datasource.name}`}
        </button>
        <button type="button" onClick={() => setConfirming(false)} disabled={remove.isPending} autoFocus>
          Keep it
        </button>
      </div>
      {remove.isError && (
        <p className="field-error" role="alert">
          Not deleted: {remove.error.message}
        </p>
      )}
    </div>
  );
}
