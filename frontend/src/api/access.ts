import { ApiError, answer, http, parseErrorBody } from './client';
import type { Role } from './models';

/** A 204 answer has nothing to read; anything else not ok is the API's refusal, as an ApiError. */
function refuseUnlessOk(response: Response, error: unknown): void {
  if (!response.ok) throw new ApiError(response.status, parseErrorBody(response.status, response.statusText, error));
}

/** Sign-in, users, API keys and the audit log (backend/api/auth.py, users.py, keys.py, audit.py). */
export const accessApi = {
  me: (signal?: AbortSignal) => answer(http.GET('/api/v1/auth/me', { signal })),
  login: (username: string, password: string) =>
    answer(http.POST('/api/v1/auth/login', { body: { username, password } })),
  /** 204: nothing to read back. */
  logout: async () => {
    await http.POST('/api/v1/auth/logout');
  },
  users: (signal?: AbortSignal) => answer(http.GET('/api/v1/users', { signal })),
  createUser: (username: string, password: string, isAdmin: boolean) =>
    answer(http.POST('/api/v1/users', { body: { username, password, is_admin: isAdmin, display_name: '' } })),
  updateUser: (username: string, change: { active?: boolean; password?: string; is_admin?: boolean }) =>
    answer(http.PATCH('/api/v1/users/{username}', { params: { path: { username } }, body: change })),
  keys: (signal?: AbortSignal) => answer(http.GET('/api/v1/keys', { signal })),
  createKey: (name: string, scopes: string[]) =>
    answer(http.POST('/api/v1/keys', { body: { name, scopes, expires_at: null } })),
  revokeKey: async (keyId: string) => {
    const { response, error } = await http.DELETE('/api/v1/keys/{key_id}', { params: { path: { key_id: keyId } } });
    refuseUnlessOk(response, error);
  },
  grants: (datasource: string, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/datasources/{name}/grants', { params: { path: { name: datasource } }, signal })),
  putGrant: (datasource: string, username: string, role: Role) =>
    answer(
      http.PUT('/api/v1/datasources/{name}/grants/{username}', {
        params: { path: { name: datasource, username } },
        body: { role },
      }),
    ),
  deleteGrant: async (datasource: string, username: string) => {
    const { response, error } = await http.DELETE('/api/v1/datasources/{name}/grants/{username}', {
      params: { path: { name: datasource, username } },
    });
    refuseUnlessOk(response, error);
  },
  audit: (query: { actor?: string; action?: string; outcome?: 'ok' | 'refused' | 'failed' }, signal?: AbortSignal) =>
    answer(http.GET('/api/v1/audit', { params: { query: { ...query, limit: 200 } }, signal })),
};
