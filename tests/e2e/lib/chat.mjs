// chat.mjs: what a person does in the app and what they see, as helpers
// over a Playwright page (selectors come from web/app/layout.js).

export const T = 15000; // the default wait for anything to appear

// Opens (or starts) the one-to-one chat with `peer` through the sidebar form.
export async function startDirect(page, peer) {
  await page.fill('#new-id', peer);
  await page.click('#new-direct');
  await page.waitForFunction((p) => document.querySelector('#chat-title')?.textContent === p, peer, { timeout: T });
}

export async function joinRoom(page, groupsId) {
  await page.fill('#new-id', groupsId);
  await page.click('#new-room');
  await page.waitForFunction((g) => document.querySelector('#chat-title')?.textContent === `# ${g}`, groupsId, { timeout: T });
}

export async function openConv(page, conv) {
  await page.click(`#conv-list button[data-conv="${conv}"]`, { timeout: T });
}

// Types and sends with the keyboard: Shift+Enter between lines, Enter to send.
export async function send(page, text) {
  await page.click('#input');
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i) await page.keyboard.press('Shift+Enter');
    await page.keyboard.type(lines[i]);
  }
  await page.keyboard.press('Enter');
}

// The texts of the messages shown, in order (pending ones excluded).
export function texts(page) {
  return page.$$eval('#messages > li .content', (els) => els.map((e) => e.textContent.trim()));
}

// The convSeq values shown, in order.
export function seqs(page) {
  return page.$$eval('#messages > li', (els) => els.map((e) => Number(e.dataset.seq)));
}

// Waits until the shown messages end with `expected` (array of texts).
export async function waitTexts(page, expected, timeout = T) {
  try {
    await page.waitForFunction((exp) => {
      const got = [...document.querySelectorAll('#messages > li .content')].map((e) => e.textContent.trim());
      return exp.every((t) => got.includes(t));
    }, expected, { timeout });
  } catch (e) {
    throw new Error(`messages never showed ${JSON.stringify(expected)}; shown: ${JSON.stringify(await texts(page))}`);
  }
}

export async function waitNoPending(page, timeout = T) {
  await page.waitForFunction(() => !document.querySelector('#pending > li'), null, { timeout });
}

export function unreadOf(page, conv) {
  return page.$eval(`#conv-list button[data-conv="${conv}"]`, (b) => Number(b.querySelector('.badge')?.textContent || 0));
}

// The shown messages are in strictly rising convSeq order (so none twice),
// and `expected` appear exactly once each, in that order.
export async function assertOrderedOnce(page, expected, label = '') {
  const shown = await page.$$eval('#messages > li', (els) => els.map((e) => ({
    seq: Number(e.dataset.seq), text: e.querySelector('.content').textContent.trim(),
  })));
  for (let i = 1; i < shown.length; i++) {
    if (!(shown[i].seq > shown[i - 1].seq)) {
      throw new Error(`${label} convSeq not rising at ${i}: ${JSON.stringify(shown)}`);
    }
  }
  const got = shown.map((m) => m.text).filter((t) => expected.includes(t));
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(`${label} expected ${JSON.stringify(expected)} once each in order, got ${JSON.stringify(got)}`);
  }
  const pending = await page.$$eval('#pending > li', (els) => els.length);
  if (pending) throw new Error(`${label} ${pending} message(s) still pending`);
}
