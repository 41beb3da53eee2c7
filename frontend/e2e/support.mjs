// @ts-check
/** Shared pieces of the browser end-to-end tests: the browser, the files they upload, waiting with deadlines. */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../..');
export const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** How long a job may take to reach a terminal state (Druid indexing included). */
export const JOB_TIMEOUT_MS = Number(process.env.E2E_JOB_TIMEOUT_MS ?? 300_000);
/**
 * Where screenshots go: var/screenshots (ignored by git) unless E2E_SCREENSHOTS names another directory, relative
 * to the repository root; `make screenshots` sets it to docs/screenshots to refresh the README's pictures.
 */
export const SCREENSHOTS = path.resolve(REPO_ROOT, process.env.E2E_SCREENSHOTS ?? path.join('var', 'screenshots'));
/** Rows of the valid file the happy path uploads, generated afresh on every run. */
export const VALID_ROWS = 1000;

export const TERMINAL = ['succeeded', 'rejected', 'failed', 'cancelled'];

/**
 * The admin the browser tests sign in as: `make e2e` creates it (or resets its password) with a password made up
 * for the run and passes both here.
 */
export const ADMIN = {
  username: process.env.E2E_ADMIN_USERNAME ?? 'e2e-admin',
  password: process.env.E2E_ADMIN_PASSWORD ?? '',
};

/**
 * A browser context signed in as `who`: the API's sign-in sets the session cookies in the context's cookie jar, as
 * the sign-in page would (the page's own sign-in is tested in access.test.mjs).
 * @param {import('playwright-core').Browser} browser
 * @param {{ username: string; password: string }} [who]
 */
export async function signedInContext(browser, who = ADMIN) {
  if (!who.password) throw new Error('no password for the browser tests\' admin: run them with `make e2e`');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const r = await context.request.post(`${BASE_URL}/api/v1/auth/login`, {
    data: { username: who.username, password: who.password },
  });
  if (!r.ok()) throw new Error(`signing in as ${who.username}: HTTP ${r.status()} ${await r.text()}`);
  return context;
}

/** @type {Promise<{ cookie: string; csrf: string }> | undefined} */
let adminSession;

/**
 * fetch() against the API as the tests' admin (a cookie session of its own, with the anti-forgery header on
 * state-changing requests): for the tests' own checks and set-up, beside what the page shows.
 * @param {string} pathname
 * @param {RequestInit} [init]
 */
export async function apiFetch(pathname, init = {}) {
  adminSession ??= signInFromNode(ADMIN);
  const session = await adminSession;
  const headers = new Headers(init.headers);
  headers.set('Cookie', session.cookie);
  if ((init.method ?? 'GET') !== 'GET') headers.set('X-CSRF-Token', session.csrf);
  return fetch(`${BASE_URL}${pathname}`, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(10_000) });
}

/** @param {{ username: string; password: string }} who */
async function signInFromNode(who) {
  const r = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(who),
    signal: AbortSignal.timeout(10_000),
  });
  if (!r.ok) throw new Error(`signing in as ${who.username}: HTTP ${r.status} ${await r.text()}`);
  const me = /** @type {{ csrf_token: string | null }} */ (await r.json());
  const cookie = r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, csrf: me.csrf_token ?? '' };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The one polling loop of the browser tests: calls `probe` every `intervalMs` until it resolves to something other
 * than undefined and returns that; a probe that throws counts as "not yet". At the deadline it throws an error
 * naming `what` and the last answer (or error) seen.
 * @template T
 * @param {() => Promise<T | undefined>} probe
 * @param {number} timeoutMs
 * @param {string} what
 * @param {number} [intervalMs]
 * @returns {Promise<T>}
 */
export async function pollUntil(probe, timeoutMs, what, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let last;
  for (;;) {
    try {
      const answer = await probe();
      if (answer !== undefined) return answer;
      last = undefined;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${String(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until the API answers /health, so a backend that is not up fails fast with one clear message.
 * @param {number} [timeoutMs]
 */
export async function waitForBackend(timeoutMs = 30_000) {
  await pollUntil(
    async () => {
      const r = await fetch(`${BASE_URL}/health`, { signal: AbortSignal.timeout(3000) });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return true;
    },
    timeoutMs,
    `the API at ${BASE_URL} to answer /health (set E2E_BASE_URL to test another)`,
  );
}

/**
 * The job as the API describes it (GET /api/v1/jobs/{id}).
 * @param {string} jobId
 * @returns {Promise<Record<string, any>>}
 */
export async function fetchJob(jobId) {
  const r = await apiFetch(`/api/v1/jobs/${jobId}`);
  if (!r.ok) throw new Error(`GET /api/v1/jobs/${jobId}: HTTP ${r.status} ${await r.text()}`);
  return /** @type {Record<string, any>} */ (await r.json());
}

/** @param {string} name */
export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}

/** A short random tag, so every run uploads bytes no earlier run did. */
export function runTag() {
  return randomBytes(4).toString('hex');
}

const HEADER = [
  'TransactionID',
  'TransactionTimestamp',
  'ProductLine',
  'ProductName',
  'CustomerID',
  'Region',
  'Country',
  'SalesChannel',
  'Quantity',
  'UnitPrice',
  'Discount',
  'Currency',
  'Revenue',
];
const PRODUCTS = [
  ['Electronics', 'Laptop', 899],
  ['Home', 'Blender', 79],
  ['Office', 'Stapler', 12],
  ['Outdoor', 'Tent', 229],
];
const PLACES = [
  ['US', 'NA', 'USD'],
  ['DE', 'EMEA', 'EUR'],
  ['JP', 'APAC', 'JPY'],
  ['BR', 'LATAM', 'BRL'],
];
const CHANNELS = ['Online', 'Retail', 'Partner'];

/**
 * `n` valid rows of the built-in sales schema, as records (column -> text), deterministic but for the tag.
 * @param {number} n
 * @param {string} tag
 * @returns {Record<string, string>[]}
 */
export function salesRows(n, tag) {
  return Array.from({ length: n }, (_, i) => {
    const [line, name, price] = /** @type {[string, string, number]} */ (PRODUCTS[i % PRODUCTS.length]);
    const [country, region, currency] = /** @type {string[]} */ (PLACES[i % PLACES.length]);
    const quantity = 1 + (i % 5);
    const discount = [0, 0.05, 0.1][i % 3] ?? 0;
    const at = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      TransactionID: `TXN-E2E-${tag}-${String(i + 1).padStart(6, '0')}`,
      TransactionTimestamp: at,
      ProductLine: line,
      ProductName: name,
      CustomerID: `CUST-${String(100 + i).padStart(6, '0')}`,
      Region: /** @type {string} */ (region),
      Country: /** @type {string} */ (country),
      SalesChannel: /** @type {string} */ (CHANNELS[i % CHANNELS.length]),
      Quantity: String(quantity),
      UnitPrice: price.toFixed(2),
      Discount: discount.toFixed(2),
      Currency: /** @type {string} */ (currency),
      Revenue: (quantity * price * (1 - discount)).toFixed(2),
    };
  });
}

/** @param {Record<string, string>[]} rows */
export function toCsv(rows) {
  return `${[HEADER.join(','), ...rows.map((r) => HEADER.map((h) => r[h] ?? '').join(','))].join('\n')}\n`;
}

/**
 * The valid file of the happy path, generated afresh for every run: its TransactionIDs and its name carry the run's
 * tag, so the API has never seen these bytes and ingests them as a new job (a committed file would be refused as a
 * duplicate from the second run on).
 * @param {string} tag
 * @returns {{ name: string; buffer: Buffer; rows: number }}
 */
export function validSalesFile(tag) {
  return { name: `sales_e2e_${tag}.csv`, buffer: Buffer.from(toCsv(salesRows(VALID_ROWS, tag))), rows: VALID_ROWS };
}

/**
 * A 20-row file where data rows 3 and 11 have Quantity 0 and data row 7 has Region XX; every other value is valid
 * (Revenue of the Quantity-0 rows is 0, so only the Quantity rule fails there).
 * @param {string} tag
 */
export function invalidSalesFile(tag) {
  const rows = salesRows(20, tag);
  /** @type {{ dataRow: number; column: string; value: string }[]} */
  const broken = [
    { dataRow: 3, column: 'Quantity', value: '0' },
    { dataRow: 7, column: 'Region', value: 'XX' },
    { dataRow: 11, column: 'Quantity', value: '0' },
  ];
  for (const b of broken) {
    const row = /** @type {Record<string, string>} */ (rows[b.dataRow - 1]);
    row[b.column] = b.value;
    if (b.column === 'Quantity') row.Revenue = '0.00';
  }
  return { name: `sales_invalid_${tag}.csv`, buffer: Buffer.from(toCsv(rows)), broken };
}

/**
 * A PNG (its real 8-byte signature and an IHDR chunk) named .csv; the tag makes its bytes new each run.
 * @param {string} tag
 */
export function pngNamedCsv(tag) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.from('0000000d494844520000000100000001080600000001f15c4a00', 'hex');
  return { name: `picture_${tag}.csv`, buffer: Buffer.concat([signature, ihdr, Buffer.from(tag)]) };
}

/**
 * Fills the upload form and submits; resolves when the page has either moved to a job or shown a refusal.
 * @param {import('playwright-core').Page} page
 * @param {{ name: string; buffer: Buffer; mimeType?: string }} file
 * @param {{ onInvalid?: 'reject' | 'skip'; screenshot?: string }} [options]
 * @returns {Promise<'job' | 'refused'>}
 */
export async function uploadThroughPage(page, file, options = {}) {
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('heading', { name: 'Upload a file' }).waitFor();
  await page.getByLabel(/Choose a file/).setInputFiles({
    name: file.name,
    mimeType: file.mimeType ?? 'text/csv',
    buffer: file.buffer,
  });
  // The datasource list comes from the API; wait for it so the select holds a real name.
  await page.locator('#datasource option[value="sales"]').waitFor({ state: 'attached' });
  await page.getByLabel('Datasource').selectOption('sales');
  await page.getByRole('radio', { name: options.onInvalid === 'skip' ? /Skip invalid rows/ : /Reject the file/ }).check();
  if (options.screenshot) await page.screenshot({ path: screenshotPath(options.screenshot), fullPage: true });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  const refusal = page.locator('#upload-status [role="alert"]');
  await Promise.race([
    page.waitForURL(/\/jobs\/[^/]+$/, { timeout: 60_000 }),
    refusal.waitFor({ timeout: 60_000 }),
  ]);
  return /\/jobs\/[^/]+$/.test(new URL(page.url()).pathname) ? 'job' : 'refused';
}

/**
 * Waits (up to `timeoutMs`) for the job page to show a terminal state, and returns it.
 * @param {import('playwright-core').Page} page
 * @param {number} [timeoutMs]
 */
export async function waitForTerminalState(page, timeoutMs = JOB_TIMEOUT_MS) {
  const selector = TERMINAL.map((s) => `h1 .badge[data-state="${s}"]`).join(', ');
  await page.locator(selector).waitFor({ timeout: timeoutMs });
  return /** @type {string} */ (await page.locator('h1 .badge').getAttribute('data-state'));
}

/**
 * What the job page says, for assertion messages.
 * @param {import('playwright-core').Page} page
 */
export async function pageText(page) {
  return (await page.locator('main').innerText()).slice(0, 2000);
}

const WEB_HEADER = ['event_time', 'user_id', 'page', 'duration_ms', 'score', 'country'];
const WEB_PAGES = ['/', '/pricing', '/docs', '/blog', '/signup'];
const WEB_COUNTRIES = ['US', 'DE', 'FR', 'JP', 'BR', 'IN'];

/**
 * `n` web events (nothing like sales: the shape a datasource of one's own has), deterministic but for the tag and
 * `from` (the first event's number, so two files of a run hold different events): event_time (ISO-8601 UTC, one a
 * minute from 2025-03-01), user_id (unique), page and country (a few values each), duration_ms (a whole number >= 0),
 * score (a decimal >= 0). `extra` adds columns: name -> value of event i.
 * @param {string} tag
 * @param {number} n
 * @param {{ from?: number; extra?: Record<string, (i: number) => string> }} [options]
 * @returns {{ name: string; buffer: Buffer; rows: number }}
 */
export function webEventsCsv(tag, n, options = {}) {
  const from = options.from ?? 0;
  const extra = options.extra ?? {};
  const header = [...WEB_HEADER, ...Object.keys(extra)];
  const lines = Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const at = new Date(Date.UTC(2025, 2, 1) + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return [
      at,
      `${tag}-u${String(i).padStart(6, '0')}`,
      WEB_PAGES[(i * 7) % WEB_PAGES.length],
      String((i * 7919) % 600_000),
      (((i * 37) % 10_000) / 100 + 0.01).toFixed(2),
      WEB_COUNTRIES[(i * 5) % WEB_COUNTRIES.length],
      ...Object.values(extra).map((value) => value(i)),
    ].join(',');
  });
  return {
    name: `web_events_${tag}_${from}.csv`,
    buffer: Buffer.from(`${[header.join(','), ...lines].join('\n')}\n`),
    rows: n,
  };
}
