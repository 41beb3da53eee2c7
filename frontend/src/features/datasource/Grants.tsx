import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { accessApi } from '../../api/access';
import { ApiError } from '../../api/client';
import type { Role } from '../../api/models';

const ROLES: Role[] = ['read', 'upload', 'manage'];
const ROLE_MEANS: Record<Role, string> = {
  read: 'its jobs, errors, rejects and schema',
  upload: 'read, plus uploads, records, cancel and retry',
  manage: 'upload, plus schema versions, settings, grants and delete',
};

/** Who may do what on one datasource; shown to admins and the datasource's managers, who may change it. */
export function Grants({ datasource, readOnly }: { datasource: string; readOnly: boolean }) {
  const queryClient = useQueryClient();
  const grants = useQuery({
    queryKey: ['grants', datasource],
    queryFn: ({ signal }) => accessApi.grants(datasource, signal),
  });
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('read');
  const [problem, setProblem] = useState<string | null>(null);

  const act = async (change: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await change();
      await queryClient.invalidateQueries({ queryKey: ['grants', datasource] });
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : 'The change failed; try again.');
    }
  };
  const give = async (event: FormEvent) => {
    event.preventDefault();
    await act(() => accessApi.putGrant(datasource, username.trim(), role));
    setUsername('');
  };

  if (grants.isPending) return <p role="status">Loading who may use it…</p>;
  if (grants.isError) {
    return (
      <div className="notice notice-bad" role="alert">
        Could not load the grants: {grants.error.message}
      </div>
    );
  }
  return (
    <>
      <ul className="muted small">
        {ROLES.map((r) => (
          <li key={r}>
            <strong>{r}</strong>: {ROLE_MEANS[r]}
          </li>
        ))}
      </ul>
      {grants.data.items.length === 0 ? (
        <p className="muted">Nobody but admins yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Users with a role on {datasource}</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                {!readOnly && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {grants.data.items.map((grant) => (
                <tr key={grant.username}>
                  <td>{grant.username}</td>
                  <td>{grant.role}</td>
                  {!readOnly && (
                    <td>
                      <button
                        type="button"
                        className="button-link"
                        onClick={() => void act(() => accessApi.deleteGrant(datasource, grant.username))}
                      >
                        Remove {grant.username}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!readOnly && (
        <form className="filters" aria-label="Give a role" onSubmit={(e) => void give(e)}>
          <div className="field">
            <label htmlFor="grant-user">Username</label>
            <input id="grant-user" value={username} onChange={(e) => setUsername(e.target.value)} required />
          </div>
          <div className="field">
            <label htmlFor="grant-role">Role</label>
            <select id="grant-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button-primary">
            Give the role
          </button>
        </form>
      )}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </>
  );
}
