// Administration, account, alerts and the post-incident review, as a person
// uses them in Chromium: add a user and see their first password once, create
// an API token and see it once, verify the audit chain, look at an alert, and
// publish a review. Screenshots (desktop and phone width) are kept as artefacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSirt, launch, signIn, screenshot } from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

async function api(sirt, token, method, path, body) {
  const r = await fetch(`${sirt.base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function shoot(browser, ctx, url, name) {
  const page = await ctx.newPage();
  await page.setViewportSize(DESKTOP);
  await page.goto(url);
  await screenshot(page, name);
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`);
  await page.close();
}

test('admin, account, alerts and review pages', async () => {
  const sirt = await startSirt();
  const browser = await launch();
  try {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await signIn(page, sirt.base);

    // --- administration: add a user, the password is shown once
    await page.goto(`${sirt.base}/admin`);
    await page.getByLabel('E-mail').fill('dana@example.com');
    await page.getByLabel('Name (optional)').fill('Dana Ortiz');
    await page.getByLabel('Role', { exact: true }).selectOption('manager');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add user' }).click()]);
    const pw = (await page.locator('#created-password').textContent()).trim();
    assert.ok(pw.length >= 16, `a generated password is shown (${pw})`);
    assert.match(await page.locator('#users').textContent(), /dana@example\.com/);
    await page.goto(`${sirt.base}/admin`);
    assert.equal(await page.locator('#created-password').count(), 0, 'the password is not shown again');
    // a bad e-mail keeps the input and says why next to the field
    await page.getByLabel('E-mail').fill('not-an-address');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add user' }).click()]);
    assert.equal(await page.getByLabel('E-mail').inputValue(), 'not-an-address');
    assert.match(await page.locator('#u-email-error').textContent(), /e-mail address/);
    // the new user can sign in with the password shown
    {
      const other = await browser.newContext();
      const p2 = await other.newPage();
      await signIn(p2, sirt.base, { email: 'dana@example.com', password: pw });
      assert.doesNotMatch(p2.url(), /\/login/);
      await other.close();
    }

    // --- account: create an API token, shown once
    await page.goto(`${sirt.base}/account`);
    await page.getByLabel('Name', { exact: true }).fill('SIEM export');
    await page.getByLabel('Scope').selectOption('read');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Create token' }).click()]);
    const tok = (await page.locator('#new-token-value').textContent()).trim();
    assert.match(tok, /^sirt_[A-Za-z0-9_-]{43}$/);
    const me = await api(sirt, tok, 'GET', '/api/v1/account');
    assert.equal(me.status, 200, 'the token works');
    await page.goto(`${sirt.base}/account`);
    assert.equal(await page.locator('#new-token-value').count(), 0, 'the token is not shown again');
    assert.match(await page.locator('#tokens').textContent(), /SIEM export/);
    assert.match(await page.locator('#sessions').textContent(), /This session/);

    // --- intake: a source through the page, an alert through its receiver
    await page.goto(`${sirt.base}/admin/intake`);
    await page.getByLabel('Name', { exact: true }).fill('prod-alertmanager');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add source' }).click()]);
    const secret = (await page.locator('#intake-secret').textContent()).trim();
    const sent = await api(sirt, secret, 'POST', '/api/v1/intake/alertmanager', {
      version: '4', status: 'firing', receiver: 'sirt', externalURL: 'http://alertmanager.example:9093',
      alerts: [{
        status: 'firing', fingerprint: 'f00d', startsAt: '2026-03-04T09:12:00Z',
        labels: { alertname: 'SSHBruteForce', severity: 'critical', instance: '203.0.113.7:22' },
        annotations: { summary: 'SSH brute force from 198.51.100.23 on bastion-1 <b>',
                       description: '412 failed logins in 5 minutes' },
      }],
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    // a routing rule written as JSON: a syntax error is shown with its place, the text kept
    await page.goto(`${sirt.base}/admin/intake`);
    await page.locator('#add-rule summary').click();
    await page.getByLabel('New rule (JSON)').fill('{"name": "SSH attacks", "action": "open",');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add rule' }).click()]);
    assert.match(await page.locator('#rule-new-error').textContent(), /line \d+, column \d+/);
    assert.match(await page.getByLabel('New rule (JSON)').inputValue(), /SSH attacks/);
    await page.getByLabel('New rule (JSON)').fill(JSON.stringify({
      name: 'SSH attacks open incidents', action: 'open', severity: 'high', category: 'other',
      match: { min_severity: 'high', title_contains: 'SSH' }, group_by: ['labels.instance'] }, null, 2));
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add rule' }).click()]);
    assert.match(await page.locator('.flash').textContent(), /Rule .* added/);
    await page.getByLabel('Payload').fill(JSON.stringify({ version: '4', status: 'firing', alerts: [{
      status: 'firing', fingerprint: 'beef', startsAt: '2026-03-05T01:00:00Z',
      labels: { alertname: 'SSHBruteForce', severity: 'critical', instance: '203.0.113.9:22' },
      annotations: { summary: 'SSH brute force on bastion-2' } }] }, null, 2));
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Dry run' }).click()]);
    assert.match(await page.locator('#dry-run table').textContent(), /SSH attacks open incidents/);
    await page.goto(`${sirt.base}/alerts`);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: /SSH brute force/ }).click()]);
    assert.match(await page.locator('pre.raw').first().textContent(), /"fingerprint": "f00d"/);
    assert.match(await page.locator('h1').textContent(), /<b>/, 'markup in an alert is text');

    // --- audit trail: verify the chain
    await page.goto(`${sirt.base}/admin/audit`);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Verify the chain' }).click()]);
    assert.match(await page.locator('.verify').textContent(), /Chain verified/);

    // --- review: an incident resolved through the API; the manager starts the
    // review (so the admin's sign-off is another person's), the admin writes,
    // submits, signs off and publishes it in the page
    const admTok = sirt.cli('token', 'create', '--email', 'admin@example.com', '--scope', 'admin').trim();
    const mgrTok = sirt.cli('token', 'create', '--email', 'dana@example.com', '--scope', 'admin').trim();
    const inc = await api(sirt, admTok, 'POST', '/api/v1/incidents',
      { title: 'Credential stuffing against the customer login', severity: 'high' });
    assert.equal(inc.status, 201, JSON.stringify(inc.json));
    const key = inc.json.key;
    for (const to of ['triage', 'containment', 'eradication', 'recovery', 'resolved']) {
      const t = await api(sirt, admTok, 'POST', `/api/v1/incidents/${key}/transitions`, { to });
      assert.equal(t.status, 200, `${to}: ${JSON.stringify(t.json)}`);
    }
    const started = await api(sirt, mgrTok, 'POST', `/api/v1/incidents/${key}/review`);
    assert.equal(started.status, 201, JSON.stringify(started.json));

    await page.goto(`${sirt.base}/incidents/${key}/review`);
    await page.getByLabel('What happened, in brief (Markdown)').fill(
      'Attackers replayed **leaked passwords** against the customer login for 40 minutes.');
    await page.getByLabel(/^Method/).selectOption('five_whys');
    await page.getByLabel(/^Category/).selectOption('misconfiguration');
    await page.getByLabel(/^Root cause \(Markdown\)/).fill('The login endpoint had no rate limit.');
    await page.getByLabel('Contributing factors (one per line)').fill('No MFA for customers\nAlerts went to a quiet channel');
    await page.getByLabel(/^Functional impact/).selectOption('low');
    await page.getByLabel(/^Information impact/).selectOption('privacy');
    await page.getByLabel(/^Recoverability/).selectOption('regular');
    await page.getByLabel('People affected').fill('120');
    await page.getByLabel('Systems (comma-separated)').fill('auth-api, customer-portal');
    await page.getByLabel(/^What went well/).fill('Detection within minutes; the on-call engineer blocked the source quickly.');
    await page.getByLabel(/^What went badly/).fill('The alert sat unacknowledged for 20 minutes.');
    await page.getByLabel(/^Improvement recommendations/).fill('Rate-limit the login API\nOffer MFA to customers');
    await page.getByLabel('Add actions (one per line)').fill('Blocked 198.51.100.0/24 at the edge');
    // a wrong number is refused next to its field, everything typed is kept
    await page.getByLabel('Downtime (minutes)').fill('about ten');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save draft' }).click()]);
    assert.match(await page.locator('#f-im-down-error').textContent(), /whole number/);
    assert.equal(await page.getByLabel('People affected').inputValue(), '120');
    await page.getByLabel('Downtime (minutes)').fill('0');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save draft' }).click()]);
    assert.match(await page.locator('.flash').textContent(), /Draft saved/);
    await screenshot(page, 'review-draft');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'review-draft-phone');
    await page.setViewportSize(DESKTOP);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Submit for sign-off' }).click()]);
    assert.match(await page.locator('.flash').textContent(), /Submitted/, await page.locator('main').textContent());
    await page.getByLabel('Comment (optional)').fill('Accurate; the recommendations are agreed.');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /Sign off as/ }).click()]);
    page.once('dialog', (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Publish' }).click()]);
    assert.match(await page.locator('.flash').textContent(), /Published/, await page.locator('main').textContent());
    assert.match(await page.locator('.report .prose').textContent(), /leaked passwords/);
    const pub = await api(sirt, admTok, 'GET', `/api/v1/incidents/${key}/review?published=true`);
    assert.equal(pub.status, 200);
    assert.equal(pub.json.status, 'published');
    // an action item from a recommendation
    await page.getByLabel('What must be done').fill('Rate-limit the login API');
    await page.getByLabel('Owner').fill('dana@example.com');
    await page.getByLabel('Due').fill('2026-12-31');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add action item' }).click()]);
    assert.match(await page.locator('#actions').textContent(), /Rate-limit the login API/);

    // with its review published, the high incident closes from its page
    await page.goto(`${sirt.base}/incidents/${key}`);
    await page.locator('details.transition-close > summary').click();
    await page.locator('#tr-resolution').selectOption('fixed');
    await page.locator('#tr-root-cause').selectOption('weak_or_stolen_credentials');
    await Promise.all([page.waitForNavigation(), page.locator('details.transition-close button[type=submit]').click()]);
    assert.equal((await page.locator('.incident-head .status').textContent()).trim(), 'Closed');

    // --- screenshots, desktop and phone width
    const alertUrl = page.url();
    await shoot(browser, ctx, `${sirt.base}/admin`, 'admin');
    await shoot(browser, ctx, `${sirt.base}/admin/intake`, 'admin-intake');
    await shoot(browser, ctx, `${sirt.base}/admin/audit?verify=1`, 'admin-audit');
    await shoot(browser, ctx, `${sirt.base}/account`, 'account');
    await shoot(browser, ctx, `${sirt.base}/alerts`, 'alerts');
    await shoot(browser, ctx, `${sirt.base}/alerts/1`, 'alert');
    await shoot(browser, ctx, `${sirt.base}/incidents/${key}/review`, 'review');
    assert.ok(alertUrl);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await sirt.stop();
  }
});
