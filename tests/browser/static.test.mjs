// The assets sirt serves itself (air-gapped: no CDN) load under the strict CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSirt, launch } from './harness.mjs';

test('stylesheet and script load, and the CSP blocks inline script', async () => {
  const sirt = await startSirt();
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const failures = [];
    page.on('requestfailed', (r) => failures.push(r.url()));
    const css = await page.goto(`${sirt.base}/static/app.css`);
    assert.equal(css.status(), 200);
    assert.match(css.headers()['content-type'], /text\/css/);
    const js = await page.goto(`${sirt.base}/static/app.js`);
    assert.equal(js.status(), 200);
    assert.deepEqual(failures, []);
  } finally {
    await browser.close();
    await sirt.stop();
  }
});
