// signals.test.mjs: what the app shows besides messages: who is online
// (`presence` + events), "typing..." (sent throttled, cleared on send), the
// delivered/read marks on one's own one-to-one messages (`delivered` and
// `read` events), and unread counts in the conversation list (from
// `conversations`, kept live, cleared by reading).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowserPerFile } from './lib/suite.mjs';
import { openUser, shot } from './lib/browser.mjs';
import { T, joinRoom, openConv, send, startDirect, unreadOf, waitNoPending, waitTexts } from './lib/chat.mjs';

let server;
let browser;
serverAndBrowserPerFile((s, b) => {
  server = s;
  browser = b;
});

const sub = (page) => page.textContent('#chat-sub');
const waitSub = (page, re) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#chat-sub').textContent),
  re.source, { timeout: T });

test('presence: the peer shows online and offline', async () => {
  const ada = await openUser(browser, server, 'ada');
  await startDirect(ada.page, 'bea');
  await send(ada.page, 'are you there?');
  await waitSub(ada.page, /^offline$/);
  const bea = await openUser(browser, server, 'bea');
  await waitSub(ada.page, /^online$/);
  await bea.context.close();
  await waitSub(ada.page, /^offline$/);
  assert.equal(await sub(ada.page), 'offline');
  await ada.context.close();
});

test('typing: shown to the other side, throttled, cleared on send', async () => {
  const typingSent = [];
  const cy = await openUser(browser, server, 'cy', {
    setup: (page) => page.on('websocket', (ws) => ws.on('framesent', (f) => {
      const frame = JSON.parse(f.payload);
      if (frame.action === 'typing') typingSent.push({ at: Date.now(), typing: frame.data.typing });
    })),
  });
  const di = await openUser(browser, server, 'di');
  await startDirect(cy.page, 'di');
  await startDirect(di.page, 'cy');

  await cy.page.click('#input');
  const started = Date.now();
  while (Date.now() - started < 4000) {
    await cy.page.keyboard.type('abc ');
    await di.page.waitForFunction(() => /cy is typing/.test(document.querySelector('#typing').textContent), null, { timeout: T });
  }
  const trues = typingSent.filter((t) => t.typing === true);
  assert.ok(trues.length >= 1 && trues.length <= 3, `typing:true throttled to ~one per 3 s, got ${trues.length} in 4 s`);
  await di.page.waitForSelector('#conv-list button[data-conv="d:cy|di"] .is-typing', { timeout: T });
  await shot(di.page, 'signals-typing');

  await cy.page.keyboard.press('Enter');
  await di.page.waitForFunction(() => document.querySelector('#typing').textContent === '', null, { timeout: T });
  assert.equal(typingSent.at(-1).typing, false, 'typing:false sent on send');

  // Typing then leaving the box (blur) also clears it on the other side.
  await cy.page.keyboard.type('hmm');
  await di.page.waitForFunction(() => /typing/.test(document.querySelector('#typing').textContent), null, { timeout: T });
  await cy.page.click('#chat-title');
  await di.page.waitForFunction(() => document.querySelector('#typing').textContent === '', null, { timeout: T });
  await cy.context.close();
  await di.context.close();
});

test('delivered and read marks, unread counts', async () => {
  const eli = await openUser(browser, server, 'eli');
  const fay = await openUser(browser, server, 'fay');
  await joinRoom(fay.page, 'elsewhere'); // fay looks at another conversation
  await startDirect(eli.page, 'fay');
  for (const t of ['one', 'two', 'three']) await send(eli.page, t);
  await waitNoPending(eli.page);

  // Fay's tab got them (acked): delivered, not read.
  await eli.page.waitForFunction(() => [...document.querySelectorAll('#messages > li.mine .mark')]
    .every((m) => m.dataset.mark === 'delivered'), null, { timeout: T });
  await fay.page.waitForFunction(() => document.querySelector('#conv-list button[data-conv="d:eli|fay"] .badge')?.textContent === '3',
    null, { timeout: T });
  assert.equal(await unreadOf(fay.page, 'd:eli|fay'), 3);
  await shot(fay.page, 'signals-unread');

  // The count survives a reload (it comes from the server's `conversations`).
  await fay.page.reload();
  await fay.page.waitForFunction(() => document.querySelector('#conv-list button[data-conv="d:eli|fay"] .badge')?.textContent === '3',
    null, { timeout: T });

  // Fay opens it: read; eli sees the read marks, fay's badge goes.
  await openConv(fay.page, 'd:eli|fay');
  await waitTexts(fay.page, ['one', 'two', 'three']);
  await eli.page.waitForFunction(() => [...document.querySelectorAll('#messages > li.mine .mark')]
    .every((m) => m.dataset.mark === 'read'), null, { timeout: T });
  await fay.page.waitForSelector('#conv-list button[data-conv="d:eli|fay"]:not(:has(.badge))', { timeout: T });
  await shot(eli.page, 'signals-read');

  // Messages arriving in the open, focused conversation are read at once.
  await send(eli.page, 'four');
  await waitTexts(fay.page, ['four']);
  await eli.page.waitForFunction(() => document.querySelector('#messages > li.mine:last-child .mark')?.dataset.mark === 'read',
    null, { timeout: T });
  await fay.page.waitForSelector('#conv-list button[data-conv="d:eli|fay"]:not(:has(.badge))', { timeout: T });

  // Messages elsewhere count up live and sort that conversation first.
  const gus = await openUser(browser, server, 'gus');
  await startDirect(gus.page, 'fay');
  await send(gus.page, 'hello from gus');
  await send(gus.page, 'second from gus');
  await fay.page.waitForFunction(() => document.querySelector('#conv-list button[data-conv="d:fay|gus"] .badge')?.textContent === '2',
    null, { timeout: T });
  assert.equal(await fay.page.$eval('#conv-list li:first-child button', (b) => b.dataset.conv), 'd:fay|gus');
  assert.match(await fay.page.title(), /^\(2\) Chorus$/);
  for (const u of [eli, fay, gus]) await u.context.close();
});
