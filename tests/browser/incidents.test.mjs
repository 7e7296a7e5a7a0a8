// The incident pages as a responder uses them: sign in, open an incident,
// move it through its lifecycle, write the timeline, add an indicator,
// close it, find it in the log; a failed form keeps what was typed; phone
// width without sideways scrolling; screenshots of the main pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSirt, launch, signIn, screenshot } from './harness.mjs';

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

test('open, work and close an incident in the browser', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, sirt.base);

  // a failed form shows the error next to the field and keeps the input
  await page.goto(`${sirt.base}/incidents/new`);
  await page.getByLabel('Description').fill('Three users entered their password on a fake page.');
  await page.getByLabel('Severity').selectOption('high');
  await click(page, 'Open incident');
  const err = page.locator('#n-title-error');
  assert.equal((await err.textContent()).trim(), 'Give the incident a title.');
  assert.equal(await page.getByLabel('Title').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Description').inputValue(),
               'Three users entered their password on a fake page.');
  assert.equal(await page.getByLabel('Severity').inputValue(), 'high');

  // medium: it can close without a post-incident review (admin.test.mjs closes a high one
  // after publishing its review)
  await page.getByLabel('Severity').selectOption('medium');
  await page.getByLabel('Title').fill('Credential phishing against finance');
  await page.getByLabel('Category').selectOption('phishing');
  await page.getByLabel('Tags').fill('finance, phishing');
  await click(page, 'Open incident');
  const url = page.url();
  const key = url.split('/').pop();
  assert.match(key, /^INC-\d{4}-\d{4}$/);
  assert.equal(await flashText(page), `${key} opened.`);
  assert.equal((await page.locator('h1').textContent()).trim(), 'Credential phishing against finance');

  // one click per step of the lifecycle
  for (const [button, status] of [['Move to Triage', 'Triage'], ['Move to Containment', 'Containment']]) {
    await click(page, button);
    assert.equal(await flashText(page), `${key} is now ${status}.`);
    assert.equal((await page.locator('.phase.is-current').textContent()).trim(), `${status} (current)`);
  }

  // timeline entries, one with the time it happened
  await page.getByLabel('Kind').selectOption('action');
  await page.getByLabel('What happened').fill('Reset the three passwords and revoked their sessions.');
  await click(page, 'Add to timeline');
  assert.equal(await flashText(page), 'Timeline entry added.');
  await page.getByLabel('Kind').selectOption('decision');
  await page.getByLabel(/^When/).fill('2026-01-02T03:04');
  await page.getByLabel('What happened').fill('Block the sender domain at the mail gateway.');
  await click(page, 'Add to timeline');
  const entries = page.locator('ol.timeline > li');
  assert.ok((await entries.allTextContents()).some((t) => t.includes('Block the sender domain')));

  // an indicator, and where else it was seen
  await page.locator('#ioc-type').selectOption('domain');
  await page.getByLabel('Indicator', { exact: true }).fill('login-examp1e.com');
  await page.getByLabel('Notes').fill('Phishing site');
  await click(page, 'Add indicator');
  assert.equal(await flashText(page), 'Indicator login-examp1e.com added.');
  assert.ok((await page.locator('#indicators').textContent()).includes('login-examp1e.com'));

  for (const button of ['Move to Eradication', 'Move to Recovery', 'Mark resolved']) await click(page, button);
  await screenshot(page, 'incident');

  // closing needs a resolution and a root cause: the small form asks for them
  await page.locator('details.transition-close > summary').click();
  await page.locator('#tr-resolution').selectOption('fixed');
  await page.locator('#tr-summary').fill('Passwords reset, MFA enforced for finance.');
  await Promise.all([page.waitForNavigation(), page.locator('details.transition-close button[type=submit]').click()]);
  assert.ok((await page.locator('#tr-root-cause-error').textContent()).includes('required to close'));
  assert.equal(await page.locator('#tr-summary').inputValue(), 'Passwords reset, MFA enforced for finance.');
  await page.locator('#tr-root-cause').selectOption('social_engineering');
  await Promise.all([page.waitForNavigation(), page.locator('details.transition-close button[type=submit]').click()]);
  assert.equal(await flashText(page), `${key} is now Closed.`);
  assert.equal((await page.locator('.incident-head .status').textContent()).trim(), 'Closed');

  // the log shows it with the auditor's columns
  await page.goto(`${sirt.base}/incidents`);
  const row = page.locator('table.log tbody tr', { hasText: key });
  const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
  assert.equal(cells[0], key);
  assert.match(cells[1], /^\d{4}-\d{2}-\d{2}$/);
  assert.match(cells[2], /^\d{2}:\d{2}$/);
  assert.ok(cells[3].startsWith('Credential phishing against finance'));
  assert.equal(cells[4], 'Medium');
  assert.equal(cells[5], 'Closed');
  assert.ok(cells[6].startsWith('Fixed'));
  await screenshot(page, 'log');

  // search finds it, by a word of its timeline too
  await page.getByLabel('Search').fill('gateway');
  await click(page, 'Filter');
  assert.equal(await page.locator('table.log tbody tr', { hasText: key }).count(), 1);

  await page.goto(`${sirt.base}/`);
  assert.ok((await page.locator('figure.chart').count()) === 3);
  await screenshot(page, 'dashboard');
  await page.close();
});

test('phone width: no sideways scrolling on the log and the incident page', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, sirt.base);
  await page.goto(`${sirt.base}/incidents`);
  const first = await page.locator('table.log tbody tr td a').first().getAttribute('href');
  for (const path of ['/incidents', first, '/', '/incidents/new']) {
    await page.goto(`${sirt.base}${path}`);
    const [scroll, client] = await page.evaluate(() =>
      [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(scroll <= client, `${path}: page is ${scroll}px wide on a ${client}px screen`);
  }
  await page.goto(`${sirt.base}${first}`);
  await screenshot(page, 'incident-phone');
  await page.goto(`${sirt.base}/incidents`);
  await screenshot(page, 'log-phone');
  await page.close();
});
