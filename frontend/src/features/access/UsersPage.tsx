import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { accessApi } from '../../api/access';
import { ApiError } from '../../api/client';

/** Admins: the users, with their grants; create one, deactivate or reactivate, reset a password. */
export function UsersPage() {
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: ({ signal }) => accessApi.users(signal) });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const act = async (action: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await action();
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : 'The change failed.');
    }
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await accessApi.createUser(username, password, admin);
      setUsername('');
      setPassword('');
      setAdmin(false);
    });
  };
  const reset = (name: string) => {
    const fresh = window.prompt(`New password for ${name} (12 characters or more):`);
    if (fresh) void act(() => accessApi.updateUser(name, { password: fresh }));
  };

  return (
    <>
      <h1 tabIndex={-1}>Users</h1>
      <form className="filters" aria-label="Create a user" onSubmit={create}>
        <div className="field">
          <label htmlFor="user-name">Username</label>
          <input id="user-name" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="user-password">Password</label>
          <input
            id="user-password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> admin
        </label>
        <button type="submit" className="button-primary">
          Create user
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
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Grants</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.items ?? []).map((user) => (
              <tr key={user.username} className={user.active ? undefined : 'muted'}>
                <td>{user.username}</td>
                <td>{user.is_admin ? 'admin' : 'user'}</td>
                <td>
                  {Object.entries(user.grants)
                    .map(([datasource, role]) => `${role} ${datasource}`)
                    .join(', ') || '—'}
                </td>
                <td>{user.last_login_at ? new Date(user.last_login_at).toLocaleString() : 'never'}</td>
                <td>
                  <button
                    type="button"
                    className="button-link"
                    onClick={() => void act(() => accessApi.updateUser(user.username, { active: !user.active }))}
                  >
                    {user.active ? 'Deactivate' : 'Reactivate'}
                  </button>{' '}
                  <button type="button" className="button-link" onClick={() => reset(user.username)}>
                    Reset password
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
