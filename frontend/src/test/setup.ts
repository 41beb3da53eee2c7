import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// openapi-fetch builds a Request from a path such as '/api/v1/jobs' (baseUrl ''). A browser resolves it against the
// page; Node's Request, which jsdom tests use, needs an absolute URL, so resolve it against jsdom's page the same way.
class PageRequest extends Request {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === 'string' ? new URL(input, window.location.href) : input, init);
  }
}
globalThis.Request = PageRequest;

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
});
