// xss.test.mjs: nothing a sender writes can inject markup or script. Each
// payload goes through the real path (marked, then DOMPurify as served at
// /vendor/) to another user's page: no handler runs (window.__xss stays
// undefined), no img/script/iframe/svg/object element appears in the
// message list, no javascript: link remains, no request leaves for the
// payload's URLs, and the raw HTML shows as text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowserPerFile } from './lib/suite.mjs';
import { openUser, shot } from './lib/browser.mjs';
import { T, openConv, send, startDirect, waitNoPending } from './lib/chat.mjs';

const PAYLOADS = [
  '<img src=x onerror=window.__xss=1>',
  '<script>window.__xss=2</script>',
  '[click me](javascript:window.__xss=3)',
  '<a href="javascript:window.__xss=4">raw link</a>',
  '<svg onload=window.__xss=5><circle r=5></svg>',
  '<iframe src="javascript:window.__xss=6"></iframe>',
  '![pic](https://example.invalid/x.png" onerror="window.__xss=7)',
  '<details open ontoggle=window.__xss=8>x</details>',
  '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9OTwvc2NyaXB0Pg==)',
  '<object data="javascript:window.__xss=10"></object>',
  '`<img src=x onerror=window.__xss=11>` in code',
  '<math><mi xlink:href="javascript:window.__xss=12">m</mi></math>',
  '<p style="background:url(javascript:window.__xss=13)">styled</p>',
  '<form action="javascript:window.__xss=14"><button>go</button></form>',
];

let server;
let browser;
serverAndBrowserPerFile((s, b) => {
  server = s;
  browser = b;
});

test('the vendor libraries are served and used', async () => {
  for (const path of ['/vendor/marked.min.js', '/vendor/purify.min.js']) {
    const res = await fetch(server.url + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), /javascript/);
  }
});

test('markup and script in messages stay inert text', async () => {
  const requests = [];
  const mallory = await openUser(browser, server, 'mallory');
  const victim = await openUser(browser, server, 'victim', {
    setup: (page) => page.on('request', (r) => requests.push(r.url())),
  });
  assert.equal(await victim.page.evaluate(() => typeof window.marked?.parse + typeof window.DOMPurify?.sanitize), 'functionfunction');

  await startDirect(mallory.page, 'victim');
  for (const p of PAYLOADS) await send(mallory.page, p);
  await waitNoPending(mallory.page);
  await openConv(victim.page, 'd:mallory|victim');
  await victim.page.waitForFunction((n) => document.querySelectorAll('#messages > li').length === n,
    PAYLOADS.length, { timeout: T });
  await victim.page.click('#messages a >> nth=0').catch(() => {}); // a click on what is left of a link
  await shot(victim.page, 'xss-victim');

  for (const { page, who } of [{ page: victim.page, who: 'victim' }, { page: mallory.page, who: 'mallory' }]) {
    assert.equal(await page.evaluate(() => window.__xss), undefined, `${who}: a payload ran`);
    const bad = await page.$$eval('#messages *, #pending *', (els) => els
      .filter((e) => /^(IMG|SCRIPT|IFRAME|SVG|OBJECT|EMBED|MATH|FORM|BUTTON|DETAILS|STYLE|LINK|META)$/i.test(e.tagName)
        || [...e.attributes].some((a) => /^on/i.test(a.name) || a.name === 'style'
          || (/^(href|src|action|data|formaction|xlink:href|srcdoc)$/i.test(a.name) && !/^(https?:|mailto:)/i.test(a.value))))
      .map((e) => e.outerHTML));
    assert.deepEqual(bad, [], `${who}: dangerous elements or attributes in the message list`);
  }
  // The raw HTML is visible as text.
  const text = await victim.page.textContent('#messages');
  assert.ok(text.includes('<img src=x onerror=window.__xss=1>'), 'raw HTML shows as text');
  assert.ok(text.includes('<script>window.__xss=2</script>'));
  // No request for the payloads' URLs (x, x.png, javascript:).
  assert.deepEqual(requests.filter((u) => /\/x(\.png)?$|javascript:|example\.invalid/.test(u)), []);
  await mallory.context.close();
  await victim.context.close();
});
