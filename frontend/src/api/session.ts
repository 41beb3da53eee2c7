/**
 * The page's cookie session (backend/api/access/cookies.py): the session token itself is HttpOnly, out of the
 * page's reach; the anti-forgery token is a readable cookie the page echoes in the X-CSRF-Token header of every
 * state-changing request, which another site can neither read nor send.
 */
export const CSRF_COOKIE = 'ingest_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The anti-forgery token of the current session, or '' when signed out. */
export function csrfToken(cookies: string = document.cookie): string {
  for (const part of cookies.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('='));
  }
  return '';
}

/** The request with the anti-forgery header added when it changes state and a session exists. */
export function withCsrf(request: Request): Request {
  const token = csrfToken();
  if (SAFE_METHODS.has(request.method.toUpperCase()) || !token) return request;
  request.headers.set(CSRF_HEADER, token);
  return request;
}
