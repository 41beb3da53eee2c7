// @ts-check
/**
 * Access control in a real browser against the running stack (`make e2e`): signing in and out of the page, what a
 * reader is offered, an API key's secret shown once, the admin pages. Screenshots go where support.mjs says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  apiFetch,
  BASE_URL,
  JOB_TIMEOUT_MS,
  launchBrowser,
  runTag,
  salesRows,
  screenshotPath,
  signedInContext,
  toCsv,
  uploadThroughPage,
  waitForBackend,
  waitForTerminalState,
} from './support.mjs';

/** @type {import('playwright-core').Browser} */
let browser;
const tag = runTag();
const reader = { username: `e2e-reader-${tag}`, password: `reader-password-${tag}` };

before(async () => {
  await waitForBackend();
  browser = await launchBrowser();
  // A user who may read `sales` and nothing else, made by the admin through the API.
  const made = await apiFetch('/api/v1/users', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...reader, display_name: 'E2E reader', is_admin: false }),
  });
  assert.equal(made.status, 201, await made.text());
  const granted = await apiFetch(`/api/v1/datasources/sales/grants/${reader.username}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ role: 'read' }),
  });
  assert.equal(granted.status, 200, await granted.text());
});

after(async () => {
  await browser?.close();
  // The run's reader goes with the run (the audit log keeps what it did).
  await apiFetch(`/api/v1/users/${reader.username}`, { method: 'DELETE' });
});

describe('access control in a browser', () => {
  test('signed out, the page asks to sign in; signed in, a file is uploaded; signed out, the session is gone', { timeout: JOB_TIMEOUT_MS + 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    try {
      const page = await context.newPage();
      await page.goto(`${BASE_URL}/jobs`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Jobs' }).count(), 0, 'nothing but the sign-in is offered');

      await page.getByLabel('Username').fill(ADMIN.username);
      await page.getByLabel('Password').fill(`not-${ADMIN.password}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.screenshot({ path: screenshotPath('sign-in'), fullPage: true });
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Signed in as').filter({ hasText: ADMIN.username }).waitFor();
      const session = (await context.cookies()).find((c) => c.name === 'ingest_session');
      assert.ok(session?.httpOnly, 'the session cookie is out of the page script\'s reach');
      assert.equal(session?.sameSite, 'Strict');

      const rows = salesRows(25, `acc${tag}`);
      const file = { name: `sales_signed_in_${tag}.csv`, buffer: Buffer.from(toCsv(rows)) };
      assert.equal(await uploadThroughPage(page, file), 'job');
      assert.equal(await waitForTerminalState(page), 'succeeded', 'the signed-in upload is ingested');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const me = await context.request.get(`${BASE_URL}/api/v1/auth/me`);
      assert.equal(me.status(), 401, 'signed out: the API no longer knows this browser');
      await page.goto(`${BASE_URL}/jobs`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('a reader sees the jobs of the datasource it may read, and no upload anywhere', { timeout: 60_000 }, async () => {
    const context = await signedInContext(browser, reader);
    context.setDefaultTimeout(30_000);
    try {
      const page = await context.newPage();
      await page.goto(`${BASE_URL}/`);
      await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      assert.equal(await nav.getByRole('link', { name: 'Upload', exact: true }).count(), 0, 'no upload link');
      assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0, 'no admin pages');
      await page.locator('table tbody tr').first().waitFor();
      const datasources = await page.locator('table tbody tr td:nth-child(3)').allInnerTexts();
      assert.deepEqual([...new Set(datasources.map((d) => d.trim().split(/\s/)[0]))], ['sales'], 'only the jobs of sales are listed');
      await page.screenshot({ path: screenshotPath('reader-jobs'), fullPage: true });

      await page.goto(`${BASE_URL}/datasources/sales`);
      await page.getByRole('heading', { name: /^Schema, version/ }).waitFor();
      assert.equal(await page.getByRole('link', { name: /Upload to this datasource/ }).count(), 0);
      assert.equal(await page.getByRole('heading', { name: 'Change the schema' }).count(), 0);
      assert.equal(await page.getByRole('heading', { name: 'Who may use it' }).count(), 0);

      // The server refuses what the page does not offer.
      const upload = await context.request.post(`${BASE_URL}/api/v1/uploads`, {
        headers: { 'X-CSRF-Token': (await context.cookies()).find((c) => c.name === 'ingest_csrf')?.value ?? '' },
        multipart: { datasource: 'sales', file: { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from('a\n1\n') } },
      });
      assert.equal(upload.status(), 403, await upload.text());
    } finally {
      await context.close();
    }
  });

  test('an admin creates an API key: its secret is shown once, works, and stops working once revoked', { timeout: 60_000 }, async () => {
    const context = await signedInContext(browser);
    context.setDefaultTimeout(30_000);
    try {
      const page = await context.newPage();
      await page.goto(`${BASE_URL}/keys`);
      await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
      await page.getByLabel('Name').fill(`e2e key ${tag}`);
      await page.getByRole('button', { name: 'Create key' }).click();
      const shown = page.getByTestId('new-key-secret');
      await shown.waitFor();
      const secret = (await shown.innerText()).trim();
      assert.match(secret, /^dik_/);
      await page.screenshot({ path: screenshotPath('keys'), fullPage: true });

      const asKey = await fetch(`${BASE_URL}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
      assert.equal(asKey.status, 200);
      assert.equal((await asKey.json()).username, ADMIN.username);

      await page.reload();
      await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
      const prefix = secret.split('_')[1] ?? '';
      const row = page.locator('tr', { hasText: `e2e key ${tag}` });
      await row.waitFor();
      assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
      assert.ok(prefix && (await row.innerText()).includes(prefix), 'the key is listed by its prefix');

      await row.getByRole('button', { name: /^Revoke/ }).click();
      await row.getByText('revoked').waitFor();
      const revoked = await fetch(`${BASE_URL}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
      assert.equal(revoked.status, 401);
    } finally {
      await context.close();
    }
  });

  test('the admin pages: users with their grants, a datasource\'s grants, the audit log', { timeout: 60_000 }, async () => {
    const context = await signedInContext(browser);
    context.setDefaultTimeout(30_000);
    try {
      const page = await context.newPage();
      await page.goto(`${BASE_URL}/users`);
      await page.locator('tr', { hasText: reader.username }).filter({ hasText: 'read sales' }).waitFor();
      await page.screenshot({ path: screenshotPath('users'), fullPage: true });

      await page.goto(`${BASE_URL}/datasources/sales`);
      const grants = page.locator('section', { has: page.getByRole('heading', { name: 'Who may use it' }) });
      await grants.getByRole('cell', { name: reader.username, exact: true }).waitFor();
      await grants.getByLabel('Username', { exact: true }).fill(reader.username);
      await grants.getByLabel('Role', { exact: true }).selectOption('upload');
      await grants.getByRole('button', { name: 'Give the role' }).click();
      await grants.locator('tr', { hasText: reader.username }).getByRole('cell', { name: 'upload', exact: true }).waitFor();
      await grants.screenshot({ path: screenshotPath('grants') });

      await page.goto(`${BASE_URL}/audit?actor=${ADMIN.username}`);
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await page.locator('tr', { hasText: 'grant.put' }).filter({ hasText: `sales/${reader.username}` }).first().waitFor();
      await page.screenshot({ path: screenshotPath('audit') }); // the first screenful: the log is long
    } finally {
      await context.close();
    }
  });
});
