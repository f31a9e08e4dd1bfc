// suite.mjs: what most test files share: one chorusd and one Chromium for
// the whole file, started before its tests and stopped after them, pass or
// fail. `use(server, browser)` receives them once started.

import { before, after } from 'node:test';
import { Chorusd } from './server.mjs';
import { launch } from './browser.mjs';

export function serverAndBrowserPerFile(use) {
  let server;
  let browser;
  before(async () => {
    server = await new Chorusd().start();
    browser = await launch();
    use(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });
}
