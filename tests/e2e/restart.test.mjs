// restart.test.mjs: losing the connection loses nothing. The server is
// restarted (SIGTERM) or killed (SIGKILL) mid-conversation on the same
// port and database; messages written before, while it is down (queued
// in the page) and after all show once, in order, on both sides; nothing is
// stored twice. A browser that goes offline (network emulation) catches up
// on what it missed when it comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowserPerFile } from './lib/suite.mjs';
import { WsClient } from './lib/wsclient.mjs';
import { openUser, shot, waitOnline } from './lib/browser.mjs';
import { T, assertOrderedOnce, joinRoom, openConv, send, startDirect, waitNoPending, waitTexts } from './lib/chat.mjs';

let server;
let browser;
serverAndBrowserPerFile((s, b) => {
  server = s;
  browser = b;
});

const offline = (page) => page.waitForSelector('#conn[data-state="offline"]', { timeout: T });

async function storedTexts(conv, asUser) {
  const c = await new WsClient(server).connect({ userId: asUser, deviceId: 'checker' });
  try {
    return (await c.all(conv)).map((m) => m.content);
  } finally {
    c.close();
  }
}

test('a server restart mid-conversation loses and repeats nothing', async () => {
  const alice = await openUser(browser, server, 'alice');
  const bob = await openUser(browser, server, 'bob');
  await startDirect(alice.page, 'bob');
  await send(alice.page, 'before 1');
  await openConv(bob.page, 'd:alice|bob');
  await send(bob.page, 'before 2');
  await waitTexts(alice.page, ['before 1', 'before 2']);

  await server.stop();
  await offline(alice.page);
  await offline(bob.page);
  await send(alice.page, 'while down');
  await alice.page.waitForSelector('#pending > li.queued', { timeout: T });
  await shot(alice.page, 'restart-offline-queued');

  await server.start(); // same port, same database
  await waitOnline(alice.page);
  await waitOnline(bob.page);
  await waitTexts(bob.page, ['while down']);
  await send(bob.page, 'after 1');
  await send(alice.page, 'after 2');
  const all = ['before 1', 'before 2', 'while down', 'after 1', 'after 2'];
  await waitTexts(alice.page, all);
  await waitTexts(bob.page, all);
  await waitNoPending(alice.page);
  await assertOrderedOnce(alice.page, all, 'alice');
  await assertOrderedOnce(bob.page, all, 'bob');
  assert.deepEqual(await storedTexts('d:alice|bob', 'alice'), all);
  await alice.context.close();
  await bob.context.close();
});

test('messages typed while the server is down are sent once after a crash', async () => {
  const carol = await openUser(browser, server, 'carol');
  const dave = await openUser(browser, server, 'dave');
  await joinRoom(carol.page, 'ops');
  await joinRoom(dave.page, 'ops');
  await send(carol.page, 'c before');
  await waitTexts(dave.page, ['c before']);
  // Carol's answer too: under load Dave's push can come first, and a kill
  // before her answer leaves 'c before' pending (resent after the restart,
  // stored once), a third pending item where the test counts two.
  await waitNoPending(carol.page);

  server.kill(); // SIGKILL: no goodbye to the clients
  await server.exited;
  await offline(carol.page);
  await offline(dave.page);
  await send(carol.page, 'offline one');
  await send(carol.page, 'offline two');
  await send(dave.page, 'dave offline');
  await carol.page.waitForFunction(() => document.querySelectorAll('#pending > li').length === 2, null, { timeout: T });

  await server.start();
  const all = ['c before', 'offline one', 'offline two', 'dave offline'];
  await waitTexts(carol.page, all, 30000);
  await waitTexts(dave.page, all, 30000);
  await waitNoPending(carol.page);
  await waitNoPending(dave.page);
  for (const [p, name] of [[carol.page, 'carol'], [dave.page, 'dave']]) {
    await assertOrderedOnce(p, ['c before', 'offline one', 'offline two'], name);
    await assertOrderedOnce(p, ['dave offline'], name);
  }
  const stored = await storedTexts('r:ops', 'carol');
  assert.equal(stored.length, all.length, `stored once each: ${JSON.stringify(stored)}`);
  await carol.context.close();
  await dave.context.close();
});

test('a browser that was offline gets what it missed, once, in order', async () => {
  const erin = await openUser(browser, server, 'erin');
  const frank = await openUser(browser, server, 'frank');
  await startDirect(erin.page, 'frank');
  await send(erin.page, 'e1');
  await openConv(frank.page, 'd:erin|frank');
  await waitTexts(frank.page, ['e1']);

  await frank.context.setOffline(true);
  await offline(frank.page);
  for (const t of ['e2', 'e3', 'e4']) await send(erin.page, t);
  await waitNoPending(erin.page);
  await send(frank.page, 'f offline');
  await frank.context.setOffline(false);
  await waitOnline(frank.page);
  const all = ['e1', 'e2', 'e3', 'e4', 'f offline'];
  await waitTexts(frank.page, all);
  await waitTexts(erin.page, all);
  await assertOrderedOnce(frank.page, all, 'frank');
  await assertOrderedOnce(erin.page, all, 'erin');
  await erin.context.close();
  await frank.context.close();
});

test('a message resent with its msgId after a lost answer is stored and shown once', async () => {
  const gina = await openUser(browser, server, 'gina');
  await startDirect(gina.page, 'hank');
  await send(gina.page, 'only once');
  await waitNoPending(gina.page);
  // As if the page had crashed after the server stored the message but before
  // the answer came: the outbox (sessionStorage) still holds it; reload.
  await gina.page.evaluate(() => {
    const m = [...window.chorus.state.get('d:gina|hank').messages.values()].find((x) => x.content === 'only once');
    sessionStorage.setItem('chorus.outbox.101.gina', JSON.stringify([{
      msgId: m.clientMsgId, conv: 'd:gina|hank', toUid: 'hank', groupsId: '0', text: 'only once', at: Date.now(), state: 'sending',
    }]));
  });
  await gina.page.reload();
  await waitOnline(gina.page);
  await waitNoPending(gina.page);
  await waitTexts(gina.page, ['only once']);
  await assertOrderedOnce(gina.page, ['only once'], 'gina');
  assert.deepEqual(await storedTexts('d:gina|hank', 'gina'), ['only once']);
  await gina.context.close();
});
