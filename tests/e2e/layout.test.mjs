// layout.test.mjs: the screens on a desktop (list and chat side by side)
// and on a phone (one at a time, with a way back), keyboard use (Enter
// sends, Shift+Enter breaks the line, Tab shows where the focus is), and the
// screenshots under tests/e2e/output/ (desktop-chat.png becomes
// docs/screenshot.png when that is missing or E2E_UPDATE_SCREENSHOT is set).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { serverAndBrowserPerFile } from './lib/suite.mjs';
import { WsClient } from './lib/wsclient.mjs';
import { PHONE, openUser, shot } from './lib/browser.mjs';
import { T, joinRoom, openConv, send, startDirect, waitNoPending, waitTexts } from './lib/chat.mjs';

let server;
let browser;
serverAndBrowserPerFile((s, b) => {
  server = s;
  browser = b;
});

test('desktop: list and chat side by side; keyboard use', async () => {
  const carol = await new WsClient(server).connect({ userId: 'carol' });
  await carol.request('join', { groupsId: 'design' });
  await carol.send({ toUid: 'alice', message: 'Lunch at 12:30?', msgId: 'c1' });

  const alice = await openUser(browser, server, 'alice');
  const bob = await openUser(browser, server, 'bob');
  await joinRoom(alice.page, 'design');
  await startDirect(alice.page, 'bob');
  await send(alice.page, 'Morning! Did the **release** go out?');
  await openConv(bob.page, 'd:alice|bob');
  await send(bob.page, 'Yes, _finally_. Notes:\n- build `1.4.2` is live\n- docs at https://example.com/notes\n> no rollbacks needed');
  await send(bob.page, '@alice can you check the dashboard?');
  await waitTexts(alice.page, ['@alice can you check the dashboard?']);

  // Enter sends; Shift+Enter makes a second line of the same message.
  await alice.page.click('#input');
  await alice.page.keyboard.type('On it.');
  await alice.page.keyboard.press('Shift+Enter');
  await alice.page.keyboard.type('Looks green so far');
  assert.equal(await alice.page.inputValue('#input'), 'On it.\nLooks green so far');
  await alice.page.keyboard.press('Enter');
  await waitNoPending(alice.page);
  const last = alice.page.locator('#messages > li').last();
  assert.equal(await last.locator('br').count(), 1, 'one message with a line break');
  assert.equal(await alice.page.inputValue('#input'), '');

  for (const [i, t] of ['New mockups are up', 'Feedback by Friday please'].entries()) {
    await carol.send({ groupsId: 'design', message: t, msgId: `d${i}` });
  }
  await alice.page.waitForFunction(() => document.querySelector('#conv-list button[data-conv="r:design"] .badge')?.textContent === '2',
    null, { timeout: T });
  await bob.page.click('#input');
  await bob.page.keyboard.type('typing something');
  await alice.page.waitForFunction(() => /bob is typing/.test(document.querySelector('#typing').textContent), null, { timeout: T });
  await alice.page.waitForFunction(() => document.querySelector('#messages > li.mine:last-child .mark')?.dataset.mark === 'read',
    null, { timeout: T });
  const path = await shot(alice.page, 'desktop-chat');
  const docShot = resolve(new URL('../../docs/screenshot.png', import.meta.url).pathname);
  if (process.env.E2E_UPDATE_SCREENSHOT || !existsSync(docShot)) copyFileSync(path, docShot);

  // Both panes are visible on a desktop.
  assert.ok(await alice.page.isVisible('.sidebar'));
  assert.ok(await alice.page.isVisible('#chat'));

  // Keyboard: Tab moves through the controls, the focus is drawn.
  await alice.page.focus('#new-id');
  await alice.page.keyboard.press('Tab');
  const outline = await alice.page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { id: document.activeElement.id, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  assert.equal(outline.id, 'new-direct');
  assert.notEqual(outline.style, 'none');
  assert.ok(outline.width >= 2, `visible focus outline: ${JSON.stringify(outline)}`);
  // A conversation opens from the keyboard.
  await alice.page.focus('#conv-list button[data-conv="r:design"]');
  await alice.page.keyboard.press('Enter');
  await waitTexts(alice.page, ['Feedback by Friday please']);
  assert.equal(await alice.page.evaluate(() => document.activeElement.id), 'input', 'opening a chat puts the focus in the message box');
  await shot(alice.page, 'desktop-room');
  carol.close();
  await alice.context.close();
  await bob.context.close();
});

test('phone: one pane at a time, back to the list', async () => {
  const pat = await openUser(browser, server, 'pat', { viewport: PHONE });
  const quinn = await openUser(browser, server, 'quinn');
  await startDirect(quinn.page, 'pat');
  await send(quinn.page, 'Hi Pat, this is **Quinn**. Ping me with @quinn');
  await pat.page.waitForSelector('#conv-list button[data-conv="d:pat|quinn"] .badge', { timeout: T });
  assert.ok(await pat.page.isVisible('.sidebar'));
  assert.ok(!(await pat.page.isVisible('.pane')), 'the chat pane is hidden while the list shows');
  await shot(pat.page, 'phone-list');

  await openConv(pat.page, 'd:pat|quinn');
  await waitTexts(pat.page, ['Hi Pat, this is Quinn. Ping me with @quinn']);
  assert.ok(!(await pat.page.isVisible('.sidebar')), 'the list is hidden while a chat shows');
  assert.ok(await pat.page.isVisible('#back'));
  await send(pat.page, 'Hello from my phone');
  await waitTexts(quinn.page, ['Hello from my phone']);
  const width = await pat.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `no sideways scrolling (${width}px)`);
  await shot(pat.page, 'phone-chat');

  await pat.page.click('#back');
  await pat.page.waitForSelector('.sidebar', { state: 'visible', timeout: T });
  assert.ok(!(await pat.page.isVisible('.pane')));
  await pat.context.close();
  await quinn.context.close();
});
