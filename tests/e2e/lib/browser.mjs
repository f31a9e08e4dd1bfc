// browser.mjs: Debian's Chromium driven by playwright-core, one browser per
// test file and one context (its own localStorage) per simulated user.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const OUTPUT = resolve(new URL('../output', import.meta.url).pathname);
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 760 };

export async function launch() {
  mkdirSync(OUTPUT, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A signed-in user: a fresh context (storage) and page at `path` (default the sign-in flow).
// setup(page) runs before the first navigation (e.g. to watch WebSocket frames).
export async function openUser(browser, server, userId, { path, viewport = DESKTOP, appId, setup } = {}) {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${userId}] page error:`, e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[${userId}] console:`, m.text());
  });
  if (setup) await setup(page);
  if (path) {
    await page.goto(path);
  } else {
    await page.goto('/');
    await page.fill('#signin-user', userId);
    if (appId) await page.fill('#signin-app', appId);
    await page.click('#signin-form button[type=submit]');
  }
  await waitOnline(page);
  return { context, page, userId };
}

export async function waitOnline(page, timeout = 20000) {
  await page.waitForSelector('#conn[data-state="online"]', { timeout });
}

export async function shot(page, name) {
  const path = join(OUTPUT, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
