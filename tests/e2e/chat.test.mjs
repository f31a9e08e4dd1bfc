// chat.test.mjs: two people chat one-to-one and in a room, each in their own
// browser context: both see every message, in order, once; Markdown and
// @mentions render; the old /home/index and /home/room addresses open the
// app on that conversation; leaving a room takes it off the list.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowserPerFile } from './lib/suite.mjs';
import { openUser, shot } from './lib/browser.mjs';
import { T, assertOrderedOnce, joinRoom, openConv, send, startDirect, waitNoPending, waitTexts } from './lib/chat.mjs';

let server;
let browser;
serverAndBrowserPerFile((s, b) => {
  server = s;
  browser = b;
});

test('one-to-one: both sides see every message once, in order', async () => {
  const alice = await openUser(browser, server, 'alice');
  const bob = await openUser(browser, server, 'bob');
  await startDirect(alice.page, 'bob');
  await send(alice.page, 'hi bob');
  await waitTexts(alice.page, ['hi bob']);

  await openConv(bob.page, 'd:alice|bob');
  await waitTexts(bob.page, ['hi bob']);
  await send(bob.page, 'hi alice');
  await waitTexts(alice.page, ['hi alice']);
  for (let i = 1; i <= 3; i++) {
    await send(alice.page, `a${i}`);
    await send(bob.page, `b${i}`);
  }
  const all = ['hi bob', 'hi alice', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3'];
  await waitTexts(alice.page, all);
  await waitTexts(bob.page, all);
  await waitNoPending(alice.page);
  await waitNoPending(bob.page);
  // Interleaved sends from two people: the order is the server's convSeq
  // order, identical on both sides.
  const order = (p) => p.$$eval('#messages > li .content', (e) => e.map((x) => x.textContent.trim()));
  assert.deepEqual(await order(alice.page), await order(bob.page));
  await assertOrderedOnce(alice.page, ['hi bob', 'hi alice', 'a1', 'a2', 'a3'], 'alice');
  await assertOrderedOnce(bob.page, ['hi bob', 'hi alice', 'b1', 'b2', 'b3'], 'bob');
  assert.equal((await order(alice.page)).length, all.length);

  // Markdown, links and mentions.
  await send(alice.page, '**bold** _it_ `code` [site](https://example.com/x) @bob @carol\n> quoted\n- one\n- two');
  const last = bob.page.locator('#messages > li').last();
  await last.locator('strong').waitFor({ timeout: T });
  assert.equal(await last.locator('strong').textContent(), 'bold');
  assert.equal(await last.locator('em').textContent(), 'it');
  assert.equal(await last.locator('code').textContent(), 'code');
  assert.equal(await last.locator('blockquote').count(), 1);
  assert.equal(await last.locator('ul > li').count(), 2);
  const link = last.locator('a');
  assert.equal(await link.getAttribute('href'), 'https://example.com/x');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await last.locator('.mention.me').textContent(), '@bob', 'own mention is marked for bob');
  assert.equal(await last.locator('.mention:not(.me)').textContent(), '@carol');
  assert.match(await last.getAttribute('class'), /mentions-me/);
  await shot(bob.page, 'chat-direct-bob');
  await alice.context.close();
  await bob.context.close();
});

test('room: members see each other once, in order; leave removes it', async () => {
  const alice = await openUser(browser, server, 'ann');
  const bob = await openUser(browser, server, 'ben');
  await joinRoom(alice.page, 'lobby');
  await joinRoom(bob.page, 'lobby');
  await bob.page.waitForFunction(() => /ann/.test(document.querySelector('#chat-sub').textContent), null, { timeout: T });
  for (let i = 1; i <= 3; i++) {
    await send(alice.page, `ann ${i}`);
    await send(bob.page, `ben ${i}`);
  }
  const all = ['ann 1', 'ben 1', 'ann 2', 'ben 2', 'ann 3', 'ben 3'];
  await waitTexts(alice.page, all);
  await waitTexts(bob.page, all);
  await waitNoPending(alice.page);
  await waitNoPending(bob.page);
  const order = (p) => p.$$eval('#messages > li .content', (e) => e.map((x) => x.textContent.trim()));
  const seen = await order(alice.page);
  assert.deepEqual(seen, await order(bob.page));
  assert.equal(seen.length, all.length);
  await assertOrderedOnce(alice.page, ['ann 1', 'ann 2', 'ann 3'], 'ann');
  await assertOrderedOnce(bob.page, ['ben 1', 'ben 2', 'ben 3'], 'ben');
  // ann saw ben join only through his messages (`join` sends no event).
  await alice.page.waitForFunction(() => /ben/.test(document.querySelector('#chat-sub').textContent), null, { timeout: T });
  await shot(alice.page, 'chat-room');

  // Leaving: the room leaves the list; the other member sees it in presence.
  await alice.page.click('#leave');
  await alice.page.waitForSelector('#conv-list button[data-conv="r:lobby"]', { state: 'detached', timeout: T });
  await alice.context.close();
  await bob.context.close();
});

test('old addresses /home/index and /home/room open the app on that conversation', async () => {
  const dora = await openUser(browser, server, 'dora', { path: '/home/index?uid=dora&to_uid=eve' });
  await dora.page.waitForFunction(() => document.querySelector('#chat-title').textContent === 'eve', null, { timeout: T });
  await send(dora.page, 'from the old page');
  await waitTexts(dora.page, ['from the old page']);

  const eve = await openUser(browser, server, 'eve', { path: '/home/room?uid=eve&groupsId=lobby' });
  await eve.page.waitForFunction(() => document.querySelector('#chat-title').textContent === '# lobby', null, { timeout: T });
  // Joined after the messages were written: they are there through `history`.
  await waitTexts(eve.page, ['ann 1', 'ben 3']);
  await eve.page.waitForSelector('#conv-list button[data-conv="d:dora|eve"]', { timeout: T });
  await openConv(eve.page, 'd:dora|eve');
  await waitTexts(eve.page, ['from the old page']);

  // The same user id from the address wins over a stored sign-in, and /home/room without groupsId is room 1.
  await eve.page.goto('/home/room?uid=frank');
  await eve.page.waitForFunction(() => document.querySelector('#chat-title').textContent === '# 1', null, { timeout: T });
  assert.equal(await eve.page.textContent('#me'), 'frank');
  await dora.context.close();
  await eve.context.close();
});
