// @ts-check
/**
 * Browser end-to-end: Debian's Chromium driven by playwright-core against a running API + worker + Druid.
 *   E2E_BASE_URL=http://127.0.0.1:8000 npm run e2e
 * Each test saves a screenshot to var/screenshots/ (E2E_SCREENSHOTS=docs/screenshots, as `make screenshots` sets it,
 * refreshes the README's). Every wait has a deadline; none is a fixed sleep.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_URL,
  JOB_TIMEOUT_MS,
  SCREENSHOTS,
  fetchJob,
  invalidSalesFile,
  launchBrowser,
  signedInContext,
  pageText,
  pngNamedCsv,
  runTag,
  screenshotPath,
  uploadThroughPage,
  validSalesFile,
  waitForBackend,
  waitForTerminalState,
} from './support.mjs';

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').BrowserContext} */
let context;
const tag = runTag();

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

/** @param {string} text */
const count = (text) => Number(text.replace(/[^\d]/g, ''));

describe('druid-ingest in a browser', () => {
  test('a valid sales CSV reaches succeeded and the page shows what Druid returned', { timeout: JOB_TIMEOUT_MS + 120_000 }, async () => {
    const page = await context.newPage();
    const file = validSalesFile(tag);
    const startedAt = Date.now();
    const outcome = await uploadThroughPage(page, file, { screenshot: 'upload' });
    // A file generated for this run: refused (a duplicate of an earlier upload) would mean it was not new.
    if (outcome !== 'job') assert.fail(`upload refused: ${await page.locator('#upload-status').innerText()}`);
    const jobId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const job = await fetchJob(jobId);
    console.log(`# valid file ${file.name} (${file.rows} rows generated for this run): new job ${jobId}`);
    // This run's job, not an earlier one: it holds this run's file and was created after the upload began.
    assert.equal(job.filename, file.name, JSON.stringify(job));
    assert.ok(Date.parse(job.created_at) >= startedAt - 5_000, `job ${jobId} was created at ${job.created_at}, before this run`);

    const state = await waitForTerminalState(page);
    assert.equal(state, 'succeeded', `job did not succeed:\n${await pageText(page)}`);
    const receipt = page.locator('[data-receipt]');
    await receipt.waitFor();
    const said = await receipt.innerText();
    const match = said.match(/Druid returned ([\d,]+) rows for this job/);
    assert.ok(match, `no receipt on the page: ${said}`);
    assert.equal(count(match[1] ?? ''), file.rows, said);
    assert.equal(await receipt.getAttribute('data-receipt'), 'match', said);
    assert.match(said, /Matches the [\d,]+ valid rows/);
    await page.getByText(/^took /).first().waitFor(); // the timeline shows step durations
    await page.screenshot({ path: screenshotPath('job-succeeded'), fullPage: true });

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.locator('table.data-table tbody tr').first().waitFor();
    await page.screenshot({ path: screenshotPath('jobs'), fullPage: true });
    await page.close();
  });

  test('an invalid file is rejected and the error table names the exact rows', { timeout: JOB_TIMEOUT_MS + 60_000 }, async () => {
    const page = await context.newPage();
    const file = invalidSalesFile(tag);
    const outcome = await uploadThroughPage(page, file, { onInvalid: 'reject' });
    if (outcome !== 'job') assert.fail(`upload refused: ${await page.locator('#upload-status').innerText()}`);

    const state = await waitForTerminalState(page);
    assert.equal(state, 'rejected', `expected rejected:\n${await pageText(page)}`);
    const table = page.locator('table.errors-table');
    await table.waitFor();
    const cells = await table.locator('tbody tr').evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => (td.textContent ?? '').trim())),
    );
    const shown = cells.map(([row, column, , value]) => ({ row: Number(row), column, value }));

    // The API numbers rows either by data row (1 = first row under the header) or by line in the file
    // (1 = the header); accept either, but the same offset for every row, and nothing else in the table.
    const offsets = [0, 1];
    const fits = offsets.find((offset) => {
      const want = file.broken.map((b) => `${b.dataRow + offset}|${b.column}|${b.value}`).sort();
      const got = shown.map((s) => `${s.row}|${s.column}|${s.value}`).sort();
      return JSON.stringify(want) === JSON.stringify(got);
    });
    assert.notEqual(
      fits,
      undefined,
      `error table ${JSON.stringify(shown)} does not list exactly ${JSON.stringify(file.broken)}`,
    );
    await page.getByRole('link', { name: /Download rejected rows/ }).waitFor();
    // The banner points to the table on this page; the Druid card says nothing was sent.
    assert.equal(await page.getByRole('link', { name: /See the row errors below/ }).getAttribute('href'), '#row-errors');
    assert.match(await page.locator('.druid-note').innerText(), /^Nothing was sent to Druid/);
    await page.screenshot({ path: screenshotPath('job-rejected'), fullPage: true });

    // On a narrow screen, with every timeline detail open, nothing is wider than the page (the sha256 overflowed).
    await page.setViewportSize({ width: 420, height: 900 });
    await page.locator('details.timeline-details').evaluateAll((all) => all.forEach((d) => d.setAttribute('open', '')));
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      wider: Array.from(document.querySelectorAll('.panel, .timeline-details dd')).filter(
        (el) => el.scrollWidth > el.clientWidth + 1,
      ).length,
    }));
    assert.deepEqual(overflow, { page: 420, wider: 0 }, `at 420 px: ${JSON.stringify(overflow)}`);
    await page.screenshot({ path: screenshotPath('job-rejected-420px'), fullPage: true });
    await page.close();
  });

  for (const refused of [
    { what: 'an empty file', file: { name: `empty_${tag}.csv`, buffer: Buffer.alloc(0) }, shot: 'upload-refused-empty' },
    { what: 'a PNG named .csv', file: { ...pngNamedCsv(tag), mimeType: 'text/csv' }, shot: 'upload-refused-png' },
  ]) {
    test(`${refused.what} is refused with a message a person can act on`, { timeout: JOB_TIMEOUT_MS + 60_000 }, async () => {
      const page = await context.newPage();
      const outcome = await uploadThroughPage(page, refused.file);
      let message;
      if (outcome === 'refused') {
        // Refused at upload time (415 / 422): the alert carries a title, the server's message and a hint.
        const alert = page.locator('#upload-status [role="alert"]');
        message = await alert.innerText();
        assert.match(message, /file has no data|Unsupported file format|already uploaded/i, message);
      } else {
        // Accepted, then refused by the worker: the job ends rejected with a code and a message.
        const state = await waitForTerminalState(page);
        assert.equal(state, 'rejected', await pageText(page));
        message = await page.locator('.job-header [role="alert"]').innerText();
      }
      assert.ok(message.trim().length > 20, `message too thin: ${message}`);
      console.log(`# ${refused.what}: ${message.replace(/\s+/g, ' ').trim()}`);
      await page.screenshot({ path: screenshotPath(refused.shot), fullPage: true });
      await page.close();
    });
  }
});

console.log(`# e2e against ${BASE_URL}, run tag ${tag}, screenshots in ${SCREENSHOTS}`);
