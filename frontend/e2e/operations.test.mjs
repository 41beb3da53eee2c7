// @ts-check
/**
 * Browser end-to-end: undoing one upload from its job page. Two files go into one datasource of the test's own (set
 * up through the API); the second is retracted from its page, which then shows the retraction job to its end, and
 * Druid holds exactly the first file's rows. Screenshots go to var/screenshots/ (E2E_SCREENSHOTS=docs/screenshots
 * refreshes the README's).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_URL,
  JOB_TIMEOUT_MS,
  apiFetch,
  fetchJob,
  launchBrowser,
  pageText,
  pollUntil,
  runTag,
  screenshotPath,
  signedInContext,
  waitForBackend,
  waitForTerminalState,
} from './support.mjs';

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').BrowserContext} */
let context;
const tag = runTag();
const name = `ops_e2e_${tag}`;

before(async () => {
  await waitForBackend();
  browser = await launchBrowser();
  context = await signedInContext(browser);
  context.setDefaultTimeout(30_000);
});

after(async () => {
  await context?.close();
  await browser?.close();
});

/**
 * `rows` orders over one day, their store names carrying the run's tag and the file's number.
 * @param {number} n
 * @param {number} rows
 */
function ordersCsv(n, rows) {
  const lines = ['ts,store,units'];
  for (let i = 0; i < rows; i++) {
    const at = new Date(Date.UTC(2019, 10, 5, i % 24, i % 60));
    lines.push(`${at.toISOString().replace('.000Z', 'Z')},${tag}-${n}-S${i % 5},${(i % 9) + 1}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

/**
 * Uploads a file through the API and waits for its job to end.
 * @param {number} n
 * @param {number} rows
 */
async function ingested(n, rows) {
  const form = new FormData();
  form.append('datasource', name);
  form.append('file', new Blob([ordersCsv(n, rows)], { type: 'text/csv' }), `orders-${n}.csv`);
  const r = await apiFetch('/api/v1/uploads', { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) });
  const text = await r.text();
  assert.equal(r.status, 202, text);
  const { job_id: jobId } = /** @type {{ job_id: string }} */ (JSON.parse(text));
  return pollUntil(
    async () => {
      const job = await fetchJob(jobId);
      return ['succeeded', 'rejected', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
    },
    JOB_TIMEOUT_MS,
    `job ${jobId} to end`,
    500,
  );
}

describe('undoing one upload in a browser', () => {
  test('a job retracted from its page: the retraction runs to its end and the other rows stay', { timeout: JOB_TIMEOUT_MS * 2 }, async () => {
    const created = await apiFetch('/api/v1/datasources', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name,
        time_column: 'ts',
        columns: [
          { name: 'ts', type: 'timestamp' },
          { name: 'store', type: 'string' },
          { name: 'units', type: 'long' },
        ],
      }),
    });
    assert.equal(created.status, 201, await created.text());
    const kept = await ingested(1, 300);
    const undone = await ingested(2, 200);
    assert.deepEqual([kept.state, undone.state], ['succeeded', 'succeeded']);

    const page = await context.newPage();
    await page.goto(`${BASE_URL}/jobs/${undone.job_id}`);
    await page.getByRole('button', { name: 'Retract…' }).click();
    await page.getByRole('group', { name: 'Confirm the retraction' }).waitFor();
    await page.screenshot({ path: screenshotPath('job-retract-confirm'), fullPage: true });
    await page.getByRole('button', { name: 'Retract the rows' }).click();
    await page.waitForURL((url) => /\/jobs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(undone.job_id));
    const retractionId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const state = await waitForTerminalState(page);
    assert.equal(state, 'succeeded', `the retraction did not succeed:\n${await pageText(page)}`);
    const panel = page.locator('section', { has: page.getByRole('heading', { name: 'Retraction', exact: true }) });
    await panel.getByText('200 → 0').waitFor();
    await panel.getByText('300 → 300').waitFor();
    assert.match(await page.locator('.job-header').innerText(), new RegExp(`retracts job ${undone.job_id}`));
    await page.screenshot({ path: screenshotPath('job-retraction'), fullPage: true });

    // The retracted job links to its retraction and no longer offers one.
    await page.getByRole('link', { name: undone.job_id }).click();
    await page.getByText('Retracted.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Retract…' }).count(), 0);
    assert.equal((await fetchJob(undone.job_id)).retracted_by, retractionId);

    // Druid holds exactly the kept file's rows.
    const listed = await apiFetch(`/api/v1/jobs?datasource=${name}&kind=retraction`);
    assert.equal((await listed.json()).total, 1);
    const retraction = await fetchJob(retractionId);
    assert.deepEqual(
      [retraction.operation.target_rows_after, retraction.operation.other_rows_after],
      [0, 300],
      JSON.stringify(retraction.operation),
    );
    await page.close();
  });
});

console.log(`# operations e2e against ${BASE_URL}, datasource ${name}`);
