import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { accessApi } from '../../api/access';
import { ApiError } from '../../api/client';
import type { ApiKeyCreated } from '../../api/models';
import { useCaller } from './me';

const SCOPES = ['read', 'upload', 'manage', 'metrics', 'admin'] as const;

/** API keys for programs: yours (an admin sees everyone's). A new key's secret is shown once, with a copy button. */
export function KeysPage() {
  const me = useCaller();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['keys'], queryFn: ({ signal }) => accessApi.keys(signal) });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read', 'upload']);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [copied, setCopied] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    try {
      setCreated(await accessApi.createKey(name, scopes));
      setCopied(false);
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['keys'] });
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : 'Creating the key failed.');
    }
  };
  const revoke = async (keyId: string) => {
    setProblem(null);
    try {
      await accessApi.revokeKey(keyId);
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : 'Revoking the key failed.');
    }
    await queryClient.invalidateQueries({ queryKey: ['keys'] });
  };
  const copy = async () => {
    if (!created) return;
    await navigator.clipboard.writeText(created.secret);
    setCopied(true);
  };
  const offered = SCOPES.filter((scope) => scope !== 'admin' || me?.is_admin);

  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <p>Programs and the CLI send a key as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
      {created && (
        <div className="notice notice-good" role="status" aria-label="New key">
          <p>
            Key <code>{created.prefix}</code> created. Copy its secret now: it is not shown again.
          </p>
          <p>
            <code className="secret" data-testid="new-key-secret">
              {created.secret}
            </code>{' '}
            <button type="button" className="button-secondary" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>{' '}
            <button type="button" className="button-link" onClick={() => setCreated(null)}>
              Done
            </button>
          </p>
        </div>
      )}
      <form className="filters" aria-label="Create a key" onSubmit={(e) => void create(e)}>
        <div className="field">
          <label htmlFor="key-name">Name</label>
          <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        </div>
        <fieldset className="field">
          <legend>Scopes</legend>
          <div className="choices-row">
            {offered.map((scope) => (
              <label key={scope} className="checkbox">
                <input
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  onChange={(e) =>
                    setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))
                  }
                />{' '}
                {scope}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" className="button-primary" disabled={scopes.length === 0}>
          Create key
        </button>
      </form>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Name</th>
              <th scope="col">Owner</th>
              <th scope="col">Scopes</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {(keys.data?.items ?? []).map((key) => (
              <tr key={key.key_id}>
                <td>
                  <code>{key.prefix}</code>
                </td>
                <td>{key.name}</td>
                <td>{key.owner}</td>
                <td>{key.scopes.join(', ')}</td>
                <td>{key.last_used_at ? new Date(key.last_used_at).toLocaleString() : 'never'}</td>
                <td>
                  {key.revoked_at ? (
                    'revoked'
                  ) : (
                    <button type="button" className="button-link" onClick={() => void revoke(key.key_id)}>
                      Revoke {key.prefix}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
