// @ts-check
/**
 * Browser end-to-end for datasources of one's own (issue 13), against a running API + worker + Druid:
 *   E2E_BASE_URL=http://127.0.0.1:8000 npm run e2e
 * One datasource per run (web_events_e2e_<tag>): created from a sample file through the New datasource page, a file
 * uploaded to it through the upload page until its job succeeds, a second version (an optional column) checked and
 * saved in the schema editor, the two versions compared, then deleted. The tests run in order and share that
 * datasource. Screenshots go to var/screenshots/ (E2E_SCREENSHOTS=docs/screenshots refreshes the README's).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiFetch,
  BASE_URL,
  JOB_TIMEOUT_MS,
  SCREENSHOTS,
  fetchJob,
  launchBrowser,
  pollUntil,
  signedInContext,
  pageText,
  runTag,
  screenshotPath,
  waitForBackend,
  waitForTerminalState,
  webEventsCsv,
} from './support.mjs';

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').BrowserContext} */
let context;
const tag = runTag();
const name = `web_events_e2e_${tag}`;
/** Set by each step that succeeded; a later step needs the earlier ones. */
const done = { created: false, ingested: false, evolved: false };

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
 * The datasource as the API describes it (GET /api/v1/datasources/{name}).
 * @returns {Promise<Record<string, any>>}
 */
async function fetchDatasource() {
  const r = await apiFetch(`/api/v1/datasources/${name}`);
  if (!r.ok) throw new Error(`GET /api/v1/datasources/${name}: HTTP ${r.status} ${await r.text()}`);
  return /** @type {Record<string, any>} */ (await r.json());
}

/** @param {import('playwright-core').Page} page */
async function openDatasource(page) {
  await page.goto(`${BASE_URL}/datasources/${name}`);
  await page.getByRole('heading', { name: /^Schema, version \d+$/ }).waitFor();
}

describe('datasources of your own in a browser', () => {
  test('a datasource created from a sample file through the page', { timeout: 120_000 }, async () => {
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/datasources`);
    await page.getByRole('heading', { name: 'Datasources', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New datasource' }).click();
    await page.getByRole('heading', { name: 'New datasource', level: 1 }).waitFor();

    const sample = webEventsCsv(tag, 300);
    await page.getByLabel(/Choose a file/).setInputFiles({ name: sample.name, mimeType: 'text/csv', buffer: sample.buffer });
    await page.getByRole('table', { name: /Columns of the sample/ }).waitFor();
    const types = {
      event_time: await page.getByLabel('Type of event_time').inputValue(),
      user_id: await page.getByLabel('Type of user_id').inputValue(),
      page: await page.getByLabel('Type of page').inputValue(),
      duration_ms: await page.getByLabel('Type of duration_ms').inputValue(),
      score: await page.getByLabel('Type of score').inputValue(),
      country: await page.getByLabel('Type of country').inputValue(),
    };
    assert.deepEqual(types, {
      event_time: 'timestamp',
      user_id: 'string',
      page: 'string',
      duration_ms: 'long',
      score: 'double',
      country: 'string',
    });
    assert.equal(await page.locator('#time-column option:checked').innerText(), 'event_time');

    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel(/^Description/).fill('Page views, declared by the browser test');
    await page.getByLabel('Segment granularity').selectOption('DAY');
    await page.screenshot({ path: screenshotPath('datasource-new'), fullPage: true });
    await page.getByRole('button', { name: 'Create datasource' }).click();
    const refusal = page.locator('form [role="alert"]');
    await Promise.race([page.waitForURL(`**/datasources/${name}`), refusal.waitFor()]);
    if (await refusal.isVisible()) assert.fail(`create refused: ${await refusal.innerText()}`);
    await page.getByRole('heading', { name: 'Schema, version 1' }).waitFor();

    const created = await fetchDatasource();
    assert.equal(created.schema_version, 1, JSON.stringify(created));
    assert.deepEqual(
      created.schema.definition.columns.map((/** @type {{ name: string }} */ c) => c.name),
      ['event_time', 'user_id', 'page', 'duration_ms', 'score', 'country'],
    );
    done.created = true;
    await page.close();
  });

  test('a file uploaded to it through the upload page succeeds, validated against version 1', { timeout: JOB_TIMEOUT_MS + 60_000 }, async () => {
    assert.ok(done.created, 'the datasource was not created');
    const page = await context.newPage();
    await openDatasource(page);
    await page.getByRole('link', { name: 'Upload to this datasource' }).click();
    await page.waitForURL(`**/upload?datasource=${name}`);
    await page.getByRole('heading', { name: 'Upload a file' }).waitFor();
    // The list holds every live datasource: the built-in one and this one, chosen by the link.
    await page.locator(`#datasource option[value="${name}"]`).waitFor({ state: 'attached' });
    assert.equal(await page.getByLabel('Datasource').inputValue(), name);

    const file = webEventsCsv(tag, 500, { from: 1000 });
    await page.getByLabel(/Choose a file/).setInputFiles({ name: file.name, mimeType: 'text/csv', buffer: file.buffer });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const refusal = page.locator('#upload-status [role="alert"]');
    await Promise.race([page.waitForURL(/\/jobs\/[^/]+$/, { timeout: 60_000 }), refusal.waitFor({ timeout: 60_000 })]);
    if (await refusal.isVisible()) assert.fail(`upload refused: ${await refusal.innerText()}`);

    const jobId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const state = await waitForTerminalState(page);
    assert.equal(state, 'succeeded', `job did not succeed:\n${await pageText(page)}`);
    const job = await fetchJob(jobId);
    assert.equal(job.datasource, name);
    assert.equal(job.schema_version, 1);
    assert.equal(job.druid_rows, file.rows, JSON.stringify(job));
    // The job page says which version validated the file, next to the datasource.
    assert.match(await page.locator('.job-header').innerText(), new RegExp(`${name} v1`));
    console.log(`# ${file.rows} web events ingested into ${name} as job ${jobId}`);
    done.ingested = true;

    // Its segments in Druid, drawn on the datasource's page: one chunk per day the file covers, its rows counted
    // (the broker fills a new segment's row count in moments after it loads: reloaded until it has).
    const segments = page.locator('section', { has: page.getByRole('heading', { name: 'Segments in Druid' }) });
    await pollUntil(
      async () => {
        await openDatasource(page);
        const chart = segments.getByRole('img', { name: /time chunk/ });
        await chart.waitFor({ timeout: 10_000 });
        const label = (await chart.getAttribute('aria-label')) ?? '';
        return label.includes(`${file.rows.toLocaleString('en-US')} rows`) ? label : undefined;
      },
      60_000,
      'the segments chart to count the file\'s rows',
      1_000,
    );
    assert.ok((await segments.locator('svg rect.bar').count()) >= 1, 'a bar per time chunk');
    // Automatic compaction on, as the Coordinator then holds it (shown in the screenshot), and off again.
    const compaction = segments.getByRole('checkbox', { name: 'Compact automatically' });
    // Clicked, not check(): the box shows what the Coordinator holds, so it changes once the answer is back.
    await compaction.click();
    await segments.getByText(/Druid compacts this datasource automatically/).waitFor();
    assert.ok(await compaction.isChecked(), 'checked once the Coordinator holds the config');
    await segments.screenshot({ path: screenshotPath('datasource-segments') });
    await compaction.click();
    await segments.getByText('Druid does not compact this datasource automatically.').waitFor();
    assert.ok(!(await compaction.isChecked()), 'unchecked once the Coordinator holds none');
    await page.close();
  });

  test('a second version checked and saved in the editor, and the two versions compared', { timeout: 120_000 }, async () => {
    assert.ok(done.created, 'the datasource was not created');
    const page = await context.newPage();
    await openDatasource(page);
    if (done.ingested) {
      // Its recent jobs list the upload of the test before, with the version it validated against.
      const jobs = page.getByRole('table', { name: `Recent jobs of ${name}, newest first` });
      await jobs.waitFor();
      assert.match(await jobs.innerText(), /Succeeded[\s\S]*v1/);
    }

    const editor = page.getByLabel('Definition (JSON)');
    const v1 = JSON.parse(await editor.inputValue());
    assert.equal(v1.time_column, 'event_time');
    /** @param {(column: Record<string, any>) => Record<string, any>} edit */
    const edited = (edit) => ({ ...v1, columns: v1.columns.map(edit) });

    // A type change breaks BACKWARD: refused (409) with its violation said on the page.
    await editor.fill(JSON.stringify(edited((c) => (c.name === 'duration_ms' ? { ...c, type: 'double', rules: [] } : c)), null, 2));
    await page.getByRole('button', { name: 'Save as new version' }).click();
    const refused = page.locator('[role="alert"]', { hasText: 'Not saved: incompatible under BACKWARD' });
    await refused.waitFor();
    assert.match(await refused.innerText(), /CHANGE_TYPE on duration_ms: BACKWARD: /);

    // Version 2: an optional column added, a rule removed, a column made optional; all compatible under BACKWARD.
    const v2 = edited((c) => {
      if (c.name === 'user_id') return { ...c, rules: c.rules.filter((/** @type {{ kind: string }} */ r) => r.kind !== 'unique') };
      if (c.name === 'score') return { ...c, required: false };
      return c;
    });
    v2.columns.push({ name: 'referrer', type: 'string', required: false, rules: [] });
    await editor.fill(JSON.stringify(v2, null, 2));
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const verdict = page.getByText('Compatible with version 1 under BACKWARD');
    await verdict.waitFor();
    const check = page.locator('.notice', { has: verdict });
    const checked = await check.getByRole('list', { name: 'Changes from version 1' }).innerText();
    assert.match(checked, /Added\s+column referrer: string, optional/i);
    assert.match(await check.getByRole('list', { name: 'Druid dimension changes' }).innerText(), /dimension referrer \(string\)/);

    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Version 2 registered.').waitFor();
    await page.getByRole('heading', { name: 'Schema, version 2' }).waitFor();
    const versions = page.getByRole('table', { name: 'Schema versions, newest first' });
    await versions.locator('tbody tr').first().locator('th', { hasText: /^v2/ }).waitFor();

    // With two versions the page compares v1 with v2 by itself: added, removed and changed, each with its word.
    const diff = page.getByRole('list', { name: 'Changes from version 1 to version 2' });
    await diff.waitFor();
    const said = await diff.innerText();
    assert.match(said, /Changed\s+score: from required to optional/i);
    assert.match(said, /Removed\s+rule on user_id: unique/i);
    assert.match(said, /Added\s+column referrer: string, optional/i);
    assert.deepEqual(
      await diff.locator('li').evaluateAll((items) => items.map((li) => li.className).sort()),
      ['change change-added', 'change change-changed', 'change change-removed'],
      said,
    );
    const registered = await fetchDatasource();
    assert.equal(registered.schema_version, 2, JSON.stringify(registered));
    done.evolved = true;

    await page.screenshot({ path: screenshotPath('datasource'), fullPage: true });
    await page.locator('section', { has: page.getByRole('heading', { name: 'Versions', exact: true }) }).screenshot({
      path: screenshotPath('datasource-diff'),
    });

    // 420 px wide, the tables scroll inside their frames and nothing is wider than the page.
    await page.setViewportSize({ width: 420, height: 900 });
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      wider: Array.from(document.querySelectorAll('.panel')).filter((el) => el.scrollWidth > el.clientWidth + 1).length,
    }));
    assert.deepEqual(overflow, { page: 420, wider: 0 }, `at 420 px: ${JSON.stringify(overflow)}`);
    await page.close();
  });

  test('the list shows it with its version and jobs; deleted, it takes no uploads', { timeout: 60_000 }, async () => {
    assert.ok(done.created, 'the datasource was not created');
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/datasources`);
    const link = page.getByRole('link', { name, exact: true });
    await link.waitFor();
    const row = page.locator('tr', { has: link });
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[2], done.evolved ? 'v2' : 'v1', cells.join(' | '));
    assert.equal(cells[3], 'BACKWARD', cells.join(' | '));
    if (done.ingested) assert.match(cells[4] ?? '', /^1 job: 1 succeeded$/, cells.join(' | '));
    await page.screenshot({ path: screenshotPath('datasources'), fullPage: true });

    await link.click();
    await page.getByRole('heading', { name: /^Schema, version \d+$/ }).waitFor();
    await page.getByRole('button', { name: /Delete datasource/ }).click();
    await page.getByRole('button', { name: `Yes, delete ${name}` }).click();
    await page.getByRole('heading', { name: /This datasource was deleted/ }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Upload to this datasource' }).count(), 0);
    assert.equal((await fetchDatasource()).deleted, true);

    // The upload page no longer offers it, and says so when a link asks for it.
    await page.goto(`${BASE_URL}/upload?datasource=${name}`);
    await page.getByText(`“${name}” is not a datasource that takes uploads`).waitFor();
    assert.equal(await page.locator(`#datasource option[value="${name}"]`).count(), 0);
    await page.close();
  });
});

console.log(`# datasources e2e against ${BASE_URL}, datasource ${name}, screenshots in ${SCREENSHOTS}`);
