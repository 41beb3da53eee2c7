import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Me } from '../../api/models';
import { App } from '../../App';
import { navigate } from '../../router';
import { callsTo, json, mockFetch, renderWithClient } from '../../test/utils';
import { CallerContext } from './me';
import { KeysPage } from './KeysPage';

const READER: Me = {
  username: 'rita',
  display_name: '',
  via: 'session',
  is_admin: false,
  grants: { sales: 'read' },
  scopes: null,
  csrf_token: 'token-1',
};
const NOT_SIGNED_IN = { code: 'not_authenticated', message: 'Sign in first.', details: {} };

describe('access control on the page', () => {
  it('signed out (401): only the sign-in; a refused password is said; signed in, the page', async () => {
    let signedIn = false;
    const fetch = mockFetch({
      '/api/v1/auth/me': () => (signedIn ? json(READER) : json(NOT_SIGNED_IN, 401)),
      '/api/v1/auth/login': async (_, request) => {
        const body = (await request?.clone().json()) as { password: string };
        if (body.password !== 'right-password-1') return json({ ...NOT_SIGNED_IN, message: 'Wrong username or password.' }, 401);
        signedIn = true;
        return json(READER);
      },
      '/api/v1/jobs': () => json({ total: 0, items: [] }),
    });
    navigate('/jobs');
    const user = userEvent.setup();
    renderWithClient(<App />);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByRole('navigation', { name: 'Main' })).not.toBeInTheDocument();

    await user.type(screen.getByLabelText('Username'), 'rita');
    await user.type(screen.getByLabelText('Password'), 'wrong-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong username or password.');

    await user.clear(screen.getByLabelText('Password'));
    await user.type(screen.getByLabelText('Password'), 'right-password-1');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByLabelText('Signed in as')).toHaveTextContent('rita');
    expect(callsTo(fetch, '/api/v1/auth/login')).toHaveLength(2);
  });

  it('a reader: no Upload, no admin pages; "/" shows the jobs', async () => {
    mockFetch({ '/api/v1/auth/me': () => json(READER), '/api/v1/jobs': () => json({ total: 0, items: [] }) });
    navigate('/');
    renderWithClient(<App />);
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('link', { name: 'Upload' })).not.toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
    expect(within(nav).queryByRole('link', { name: 'Audit' })).not.toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'API keys' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { level: 1, name: 'Jobs' })).toBeInTheDocument();
  });

  it('a state-changing request carries the anti-forgery token of the session', async () => {
    document.cookie = 'ingest_csrf=token-1; path=/';
    const fetch = mockFetch({
      '/api/v1/keys': (_, request) =>
        request?.method === 'POST'
          ? json(
              {
                key_id: 'k1', prefix: 'AbCdEfGhIj', name: 'etl', owner: 'rita', scopes: ['read'], created_at: '2026-12-05T10:00:00Z',
                expires_at: null, last_used_at: null, revoked_at: null, secret: 'dik_AbCdEfGhIj_s3cr3t',
              },
              201,
            )
          : json({ items: [] }),
    });
    const user = userEvent.setup();
    renderWithClient(
      <CallerContext.Provider value={READER}>
        <KeysPage />
      </CallerContext.Provider>,
    );
    await user.type(screen.getByLabelText('Name'), 'etl');
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByTestId('new-key-secret')).toHaveTextContent('dik_AbCdEfGhIj_s3cr3t');
    const posted = fetch.mock.calls.map(([input]) => input).find((input) => input instanceof Request && input.method === 'POST');
    expect((posted as Request).headers.get('X-CSRF-Token')).toBe('token-1');
    expect(screen.queryByRole('checkbox', { name: 'admin' })).not.toBeInTheDocument(); // not an admin: not offered
    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('new-key-secret')).not.toBeInTheDocument();
    document.cookie = 'ingest_csrf=; max-age=0; path=/';
  });
});
