// The plan and the team in a real browser: approve the starter plan (one
// approval set in the draft's settings), attest it, start a revision, change
// a section and read the diff; a failed section edit shows the error and keeps
// the input; add a team member with a training record. Screenshots of the
// plan, diff, team, exercise and action pages (desktop and phone width) are
// kept in tests/browser/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSirt, launch, signIn, screenshot } from './harness.mjs';

async function submit(page, button) {
  await Promise.all([page.waitForNavigation(), button.click()]);
}

test('approve, attest, revise and compare the plan; the team roster', async () => {
  const sirt = await startSirt();
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, sirt.base);

    // no version in force yet: the draft is one click away
    await page.goto(`${sirt.base}/plan`);
    await assert.doesNotReject(page.getByText('No version is in force yet').waitFor());
    await submit(page, page.getByRole('link', { name: /Edit v1/ }));
    assert.match(page.url(), /\/plan\/versions\/v1$/);

    // one approval is enough for this organisation
    await page.getByLabel('Approvals required').fill('1');
    await submit(page, page.getByRole('button', { name: 'Save settings' }));
    await page.getByText('Settings saved.').waitFor();

    // a broken JSON edit is refused next to the field, with the input kept
    const sev = page.locator('section.plan-section', { hasText: 'Severity levels' }).first();
    await sev.locator('summary', { hasText: 'Edit this section' }).click();
    const data = sev.getByLabel('Structured data (JSON)');
    await data.fill('{"levels": [1,]}');
    await submit(page, sev.getByRole('button', { name: 'Save section' }));
    const sev2 = page.locator('section.plan-section', { hasText: 'Severity levels' }).first();
    await sev2.getByText(/This is not valid JSON: line 1, column/).waitFor();
    assert.equal(await sev2.getByLabel('Structured data (JSON)').inputValue(), '{"levels": [1,]}');

    // submit, then approve with a comment
    await page.goto(`${sirt.base}/plan/versions/v1`);
    await submit(page, page.getByRole('button', { name: 'Submit v1 for review' }));
    await page.getByText('Submitted for review').waitFor();
    await page.getByLabel('Comment for the record').fill('Reviewed with the leadership team.');
    await submit(page, page.getByRole('button', { name: 'Approve v1' }));
    await page.getByText('Your approval was recorded.').waitFor();
    await page.getByText('In force', { exact: false }).first().waitFor();

    // the plan in force, attested
    await page.goto(`${sirt.base}/plan`);
    await submit(page, page.getByRole('button', { name: 'I have read this version' }));
    await page.getByText('Recorded: you have read v1 of the plan.').waitFor();
    await page.getByText(/You confirmed you have read v1/).waitFor();
    await screenshot(page, 'plan');

    // a new revision with a changed section, and the diff
    await page.getByLabel('Reason').selectOption('periodic_review');
    await page.getByLabel('What changes and why').fill('Yearly review: scope covers contractors.');
    await submit(page, page.getByRole('button', { name: 'Start the draft' }));
    assert.match(page.url(), /\/plan\/versions\/v2$/);
    const scope = page.locator('section.plan-section', { hasText: 'Scope and objectives' }).first();
    await scope.locator('summary', { hasText: 'Edit this section' }).click();
    const body = scope.getByLabel('Text (Markdown)');
    await body.fill((await body.inputValue()) + '\nContractors with production access are in scope from day one.\n');
    await submit(page, scope.getByRole('button', { name: 'Save section' }));
    await page.getByText('Section saved.').waitFor();
    await screenshot(page, 'plan-draft');
    await submit(page, page.getByRole('link', { name: 'Changes since v1' }));
    await page.getByText('sections changed').waitFor();
    const ins = page.locator('pre.diff ins', { hasText: 'Contractors with production access' });
    assert.equal(await ins.count(), 1);
    await screenshot(page, 'plan-diff');

    // the team: add a member, record a training
    await page.goto(`${sirt.base}/team/members/new`);
    await page.getByLabel('Name').fill('Dana Okafor');
    await page.getByLabel('Incident commander', { exact: true }).check();
    await page.getByLabel('E-mail').fill('dana@example.com');
    await page.getByLabel('Phone', { exact: true }).fill('+442071234567');
    await page.getByLabel('Time zone').fill('Europe/London');
    await submit(page, page.getByRole('button', { name: 'Add to the team' }));
    await page.getByText('Dana Okafor was added to the team.').waitFor();
    await page.locator('summary', { hasText: 'Record a training' }).click();
    await page.getByLabel('Course or exercise').fill('Acme IR onboarding');
    await submit(page, page.getByRole('button', { name: 'Record training' }));
    await page.getByText('Training recorded.').waitFor();
    // an on-call rotation (set up through the API) shows who is on call now
    const token = sirt.cli('token', 'create', '--email', 'admin@example.com', '--scope', 'admin').trim();
    const api = (method, path, body) => fetch(`${sirt.base}${path}`, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined }).then((r) => r.json());
    const members = (await api('GET', '/api/v1/team/members')).items;
    const sam = await api('POST', '/api/v1/team/members', { name: 'Sam Lee', email: 'sam@example.com',
      phone: '+14155550123', roles: ['technical_lead'], time_zone: 'America/New_York', deputy: members[0].id });
    await api('POST', '/api/v1/oncall', { role: 'incident_commander', name: 'Commanders, weekly',
      time_zone: 'Europe/London', layers: [{ name: 'weekly', members: [members[0].id, sam.id],
        start: '2026-01-05', handoff: '09:00', shift_hours: 168 }] });
    await page.goto(`${sirt.base}/team`);
    await page.getByRole('link', { name: 'Dana Okafor' }).first().waitFor();
    await page.locator('.oncall-item').first().waitFor();
    await screenshot(page, 'team');

    // an exercise and an action item, for the screenshots
    await page.goto(`${sirt.base}/exercises/new`);
    await page.getByLabel('Name').fill('Ransomware on the file server');
    await page.getByLabel(/When/).fill('2026-01-15T10:00');
    await page.getByLabel('Scenario').fill('Monday 08:10: the helpdesk gets calls about **encrypted files**.');
    await page.getByLabel('Objectives').fill('Escalate within 15 minutes\nReach legal out of hours');
    await page.getByLabel('Injects').fill('T+0 Helpdesk calls\nT+20 Ransom note found\nT+45 Journalist calls');
    await page.getByLabel('Participants').fill('Dana Okafor, dana@example.com, Incident commander\nSam Lee, Technical lead');
    await submit(page, page.getByRole('button', { name: 'Plan the exercise' }));
    await page.getByText('Exercise planned.').waitFor();
    await screenshot(page, 'exercise');

    // phone width
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${sirt.base}/plan`);
    await screenshot(page, 'plan-phone');
    await page.goto(`${sirt.base}/team`);
    await screenshot(page, 'team-phone');
  } finally {
    await browser.close();
    await sirt.stop();
  }
});
