// signin.test.mjs: signing in. Open mode: a user id (and appId), kept in
// localStorage across reloads, each tab its own deviceId; sign out forgets
// it. JWT mode: the token is sent with the login; a bad one brings the
// sign-in screen back with the server's refusal.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Chorusd } from './lib/server.mjs';
import { DESKTOP, launch, shot, waitOnline } from './lib/browser.mjs';
import { T, send, startDirect, waitTexts } from './lib/chat.mjs';

const SECRET = 'e2e-secret-0123456789';
let open;
let jwt;
let browser;
before(async () => {
  [open, jwt] = await Promise.all([
    new Chorusd().start(),
    new Chorusd(['--auth', 'jwt', '--jwt-secret', SECRET]).start(),
  ]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await open?.cleanup();
  await jwt?.cleanup();
});

function token(sub, secret = SECRET, extra = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600, ...extra })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

test('open mode: sign in, stay signed in across reloads, one device per tab, sign out', async () => {
  const context = await browser.newContext({ viewport: DESKTOP, baseURL: open.url });
  const page = await context.newPage();
  await page.goto('/');
  await page.waitForSelector('#signin-user', { timeout: T });
  await shot(page, 'signin');
  await page.fill('#signin-user', 'ivy');
  await page.fill('#signin-app', '202');
  await page.press('#signin-app', 'Enter');
  await waitOnline(page);
  assert.match(await page.textContent('#me'), /ivy @ app 202/);
  const device = await page.evaluate(() => window.chorus.conn.loginData.deviceId);
  assert.equal(await page.evaluate(() => window.chorus.conn.loginData.ackMode), 'manual');

  await page.reload();
  await waitOnline(page);
  assert.equal(await page.evaluate(() => window.chorus.conn.loginData.deviceId), device, 'a reload keeps the tab device');
  const tab2 = await context.newPage();
  await tab2.goto('/');
  await waitOnline(tab2);
  assert.equal(await tab2.evaluate(() => window.chorus.conn.loginData.userId), 'ivy', 'sign-in shared by tabs');
  assert.notEqual(await tab2.evaluate(() => window.chorus.conn.loginData.deviceId), device, 'each tab is its own device');

  // Two tabs of one user: a message sent in one shows in the other.
  await startDirect(page, 'jon');
  await startDirect(tab2, 'jon');
  await send(page, 'from tab one');
  await waitTexts(tab2, ['from tab one']);

  await page.click('#signout');
  await page.waitForSelector('#signin-user', { timeout: T });
  await context.close();
});

test('jwt mode: the token signs in; a bad token is refused on the sign-in screen', async () => {
  const kim = await browser.newContext({ viewport: DESKTOP, baseURL: jwt.url });
  const kimPage = await kim.newPage();
  await kimPage.goto('/');
  await kimPage.fill('#signin-user', 'kim');
  await kimPage.fill('#signin-token', token('kim'));
  await kimPage.click('#signin-form button[type=submit]');
  await waitOnline(kimPage);
  assert.equal(await kimPage.evaluate(() => window.chorus.conn.loginData.token.length > 20), true);
  await kimPage.reload();
  await waitOnline(kimPage); // the stored token is used again

  const context = await browser.newContext({ viewport: DESKTOP, baseURL: jwt.url });
  const page = await context.newPage();
  await page.goto('/');
  await page.fill('#signin-user', 'lee');
  await page.fill('#signin-token', token('lee', 'wrong-secret'));
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => /refused/.test(document.querySelector('#signin-error').textContent), null, { timeout: T });
  assert.equal(await page.isVisible('#signin-form'), true);
  assert.match(await page.textContent('#signin-error'), /1003/);
  await shot(page, 'signin-refused');

  // Corrected, it works (the page starts afresh).
  await page.fill('#signin-token', token('lee'));
  await page.click('#signin-form button[type=submit]');
  await waitOnline(page);
  await kim.close();
  await context.close();
});
