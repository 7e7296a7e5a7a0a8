// Evidence, deadlines and the evidence pack as a responder and an auditor
// use them: upload evidence on the incident page, apply GDPR Art. 33 and see
// its countdown run, build an evidence pack, export the log as CSV; a failed
// upload keeps the input; phone width without sideways scrolling;
// screenshots of the incident page, the dashboard and the evidence page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSirt, launch, signIn, screenshot, ARTIFACTS } from './harness.mjs';

let sirt, browser;

before(async () => {
  sirt = await startSirt();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await sirt?.stop();
});

async function click(page, name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
}

async function flashText(page) {
  return (await page.locator('.flash').textContent())?.trim();
}

// "YYYY-MM-DDTHH:MM" in UTC (the admin's zone) for a datetime-local input
function localInput(d) {
  return d.toISOString().slice(0, 16);
}

async function noSidewaysScroll(page) {
  const [sw, cw] = await page.evaluate(() =>
    [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw <= cw + 1, `page scrolls sideways: ${sw} > ${cw}`);
}

test('evidence, a running clock and the evidence pack in the browser', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (d) => d.accept());
  await signIn(page, sirt.base);

  // an incident detected 71.5 hours ago: GDPR's 72 hours end in half an hour
  await page.goto(`${sirt.base}/incidents/new`);
  await page.getByLabel('Title').fill('Customer database exposed to the internet');
  await page.getByLabel('Severity').selectOption('critical');
  await page.getByLabel('Description').fill('A misconfigured storage bucket held a copy of the customer table.');
  await page.locator('#n-detected').fill(localInput(new Date(Date.now() - 71.5 * 3600 * 1000)));
  await click(page, 'Open incident');
  const key = page.url().split('/').pop();
  assert.match(key, /^INC-\d{4}-\d{4}$/);

  // a failed upload (no file chosen) shows the error and keeps the input
  await page.locator('#evidence details.add-form > summary').click();
  await page.getByLabel('Source').fill('bucket s3://exports-prod');
  await click(page, 'Upload');
  assert.equal((await page.locator('#ev-file-error').textContent()).trim(), 'Choose a file to upload.');
  assert.equal(await page.getByLabel('Source').inputValue(), 'bucket s3://exports-prod');

  // upload a file: its SHA-256 is shown, in full on hover
  const dir = mkdtempSync(join(tmpdir(), 'sirt-ev-'));
  const file = join(dir, 'bucket-access-log.csv');
  const content = 'time,ip,object\n' + Array.from({ length: 2000 }, (_, i) =>
    `2026-03-0${1 + (i % 3)}T0${i % 10}:00:00Z,198.51.100.${i % 250},customers.csv`).join('\n') + '\n';
  writeFileSync(file, content);
  const sha = createHash('sha256').update(content).digest('hex');
  await page.getByLabel(/^File/).setInputFiles(file);
  await page.locator('#ev-desc').fill('Access log of the bucket for the exposure window.');
  await click(page, 'Upload');
  assert.match(await flashText(page), /^Stored “bucket-access-log\.csv”/);
  const hash = page.locator('#evidence code.hash').first();
  assert.equal(await hash.getAttribute('title'), sha);
  assert.equal((await hash.textContent()).trim(), `${sha.slice(0, 12)}…`);

  // download it from the page, with a reason for the chain of custody
  await page.getByPlaceholder('Reason for download').first().fill('Analysis of the exposure window');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download bucket-access-log.csv' }).click(),
  ]);
  const got = readFileSync(await download.path());
  assert.equal(createHash('sha256').update(got).digest('hex'), sha);
  await page.reload();
  await page.locator('details.custody > summary').first().click();
  const log = await page.locator('.custody-log').first().textContent();
  assert.ok(log.includes('Download') && log.includes('Analysis of the exposure window'), log);

  // apply GDPR Art. 33: the countdown runs
  await page.getByLabel('Apply a clock').selectOption('gdpr_art33');
  await click(page, 'Apply');
  assert.match(await flashText(page), /^GDPR Art\. 33.*applied/);
  const countdown = page.locator('#clocks [data-deadline]').first();
  const t1 = (await countdown.textContent()).trim();
  await page.waitForTimeout(1100);
  const t2 = (await countdown.textContent()).trim();
  assert.match(t1, /^(29|30)m \d\ds left$/);
  assert.notEqual(t1, t2, 'the countdown did not move');
  assert.ok((await countdown.getAttribute('class')).includes('is-soon'));
  await page.locator('#clocks').scrollIntoViewIfNeeded();
  await screenshot(page, 'incident-evidence-clocks');

  // the same page at phone width
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await noSidewaysScroll(page);
  await screenshot(page, 'incident-evidence-clocks-phone');
  for (const part of ['evidence', 'clocks']) {
    await page.locator(`#${part} details`).first().evaluate((d) => { d.open = true; });
    await page.locator(`#${part}`).screenshot({ path: join(ARTIFACTS, `incident-${part}-phone.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // the dashboard lists the deadline at risk, and the compliance status
  await page.goto(`${sirt.base}/`);
  const risk = page.locator('#deadlines li', { hasText: key });
  assert.match((await risk.locator('[data-deadline]').textContent()).trim(), /^(29|30)m \d\ds left$/);
  assert.ok((await page.locator('#compliance').textContent()).includes('Not met'));
  await screenshot(page, 'dashboard-panels');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await noSidewaysScroll(page);
  await screenshot(page, 'dashboard-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // build an evidence pack from the page
  await page.goto(`${sirt.base}/evidence`);
  await click(page, 'Build pack');
  assert.match(await flashText(page), /^Evidence pack built/);
  const row = page.locator('table.packs tbody tr').first();
  assert.ok(await row.getByRole('link', { name: /Download/ }).isVisible());
  assert.match(await row.locator('code.hash').first().getAttribute('title'), /^[0-9a-f]{64}$/);
  await screenshot(page, 'evidence-pack');
  await page.setViewportSize({ width: 390, height: 844 });
  await noSidewaysScroll(page);
  await screenshot(page, 'evidence-pack-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // export the log with the Export CSV button
  await page.goto(`${sirt.base}/incidents`);
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  assert.match(csv.suggestedFilename(), /\.csv$/);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.ok(text.split('\n')[0].includes('key'), text.slice(0, 200));
  assert.ok(text.includes(key));

  // the compliance page and the administration pages this work adds
  await page.goto(`${sirt.base}/compliance`);
  assert.ok((await page.locator('h1').textContent()).includes('Compliance'));
  await screenshot(page, 'compliance');
  await page.goto(`${sirt.base}/admin/channels`);
  await screenshot(page, 'admin-channels');
  await page.goto(`${sirt.base}/admin/clocks/gdpr_art33?became_aware=${localInput(new Date())}`);
  assert.ok(await page.locator('#preview time').first().isVisible());
  await screenshot(page, 'admin-clock-preview');
  await page.close();
});
