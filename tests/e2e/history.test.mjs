// history.test.mjs: a long conversation is read page by page. 120 messages
// are written over the protocol (lib/wsclient.mjs) before the reader joins
// the room, so the page must fetch them with `history` (beforeSeq/limit) as
// the reader scrolls up, until convSeq 1; each shown once, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowserPerFile } from './lib/suite.mjs';
import { WsClient } from './lib/wsclient.mjs';
import { openUser, shot } from './lib/browser.mjs';
import { T, seqs, send, waitTexts } from './lib/chat.mjs';

const COUNT = 120;
let server;
let browser;
serverAndBrowserPerFile((s, b) => {
  server = s;
  browser = b;
});

test('scrolling up pages through history down to convSeq 1', async () => {
  const seeder = await new WsClient(server).connect({ userId: 'seeder' });
  assert.equal((await seeder.request('join', { groupsId: 'archive' })).code, 200);
  for (let i = 1; i <= COUNT; i++) {
    await seeder.send({ groupsId: 'archive', message: `message number ${i}`, msgId: `seed-${i}` });
  }

  const historyRequests = [];
  const watch = (page) => page.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(f.payload);
    if (frame.action === 'history' && frame.data.beforeSeq) historyRequests.push(frame.data);
  }));
  const reader = await openUser(browser, server, 'reader', { path: '/home/room?uid=reader&groupsId=archive', setup: watch });
  await waitTexts(reader.page, [`message number ${COUNT}`]);
  const first = await seqs(reader.page);
  assert.ok(!first.includes(1), `the first screen is the newest page, not all: ${first.length} shown`);
  assert.ok(first.length < COUNT);
  await shot(reader.page, 'history-newest');

  const deadline = Date.now() + 30000;
  for (;;) {
    const shown = await seqs(reader.page);
    if (shown[0] === 1) break;
    if (Date.now() > deadline) throw new Error(`never reached convSeq 1; lowest shown ${shown[0]}`);
    await reader.page.$eval('#scroller', (s) => s.scrollBy(0, -s.scrollHeight)); // as a user scrolling up
    await reader.page.waitForFunction((low) => Number(document.querySelector('#messages > li')?.dataset.seq) < low,
      shown[0], { timeout: T });
  }
  const all = await seqs(reader.page);
  assert.deepEqual(all, Array.from({ length: COUNT }, (_, i) => i + 1), 'every convSeq once, in order');
  const texts = await reader.page.$$eval('#messages > li .content', (e) => e.map((x) => x.textContent.trim()));
  assert.deepEqual(texts, Array.from({ length: COUNT }, (_, i) => `message number ${i + 1}`));
  assert.ok(historyRequests.length >= 1, 'older pages came from `history` with beforeSeq');
  assert.ok(historyRequests.every((d) => d.limit >= 1 && d.limit <= 100));
  assert.match(await reader.page.textContent('#history-state'), /beginning/);

  // Live messages still land at the bottom after paging.
  await seeder.send({ groupsId: 'archive', message: 'live one', msgId: 'seed-live' });
  await waitTexts(reader.page, ['live one']);
  assert.equal((await seqs(reader.page)).at(-1), COUNT + 1);
  await send(reader.page, 'thanks for all that');
  await waitTexts(reader.page, ['thanks for all that']);
  seeder.close();
  await reader.context.close();
});

test('a new tab of a user with a long one-to-one chat shows it in order, once', async () => {
  const seeder = await new WsClient(server).connect({ userId: 'talker', deviceId: 'phone' });
  for (let i = 1; i <= COUNT; i++) {
    await seeder.send({ toUid: 'listener', message: `dm ${i}`, msgId: `dm-${i}` });
  }
  // A new tab is a new device: the server pushes the whole conversation to it.
  const listener = await openUser(browser, server, 'listener', { path: '/home/index?uid=listener&to_uid=talker' });
  await waitTexts(listener.page, [`dm ${COUNT}`]);
  const deadline = Date.now() + 30000;
  while ((await seqs(listener.page))[0] !== 1) {
    if (Date.now() > deadline) throw new Error('never reached convSeq 1');
    const low = (await seqs(listener.page))[0];
    await listener.page.$eval('#scroller', (s) => s.scrollBy(0, -s.scrollHeight));
    await listener.page.waitForFunction((l) => Number(document.querySelector('#messages > li')?.dataset.seq) < l, low, { timeout: T });
  }
  assert.deepEqual(await seqs(listener.page), Array.from({ length: COUNT }, (_, i) => i + 1));
  seeder.close();
  await listener.context.close();
});
