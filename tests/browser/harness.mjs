// Browser-test harness: a real sirt (fresh SQLite database, random port) and
// Debian's Chromium driven by playwright-core, headless, on loopback only.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const SIRT = process.env.SIRT_BIN || join(ROOT, 'build', 'sirt');
export const ARTIFACTS = join(here, 'artifacts');
export const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery-staple' };

export async function startSirt() {
  const dir = mkdtempSync(join(tmpdir(), 'sirt-browser-'));
  mkdirSync(`${dir}/data`);
  const db = `sqlite:${dir}/sirt.db`;
  // everything the server keeps (evidence, keys, packs) lives in the test's own directory
  const env = { ...process.env, SIRT_DB: db, SIRT_ACCESS_LOG: 'off', SIRT_DATA_DIR: `${dir}/data`,
                SIRT_ADMIN_PASSWORD: ADMIN.password };
  execFileSync(SIRT, ['init', '--org', 'Example Ltd', '--admin-email', ADMIN.email], { env });
  const proc = spawn(SIRT, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/listening port=(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`sirt serve exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  // never leave a server behind, whatever happens to the test
  process.on('exit', () => proc.kill('SIGKILL'));
  return {
    base, db, env, dir,
    cli: (...args) => execFileSync(SIRT, args, { env }).toString(),
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

export async function signIn(page, base, who = ADMIN) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /sign in/i }).click()]);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
