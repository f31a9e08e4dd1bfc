// state.test.mjs: the web app's ChatState on its own (no server, no
// browser): the rules about what a message does to "typing...".

import { test, after } from 'node:test';
import assert from 'node:assert/strict';

// ChatState keeps a little in localStorage; a Map stands in for it here.
const store = new Map();
globalThis.localStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => store.set(k, String(v)),
  removeItem: (k) => store.delete(k),
};
const { ChatState } = await import('../../web/app/state.js');

const states = [];
function newState() {
  const s = new ChatState({ userId: 'di', appId: '101' });
  states.push(s);
  return s;
}
after(() => {
  // Typing indicators hold timers; clear them so the test ends at once.
  for (const s of states) for (const c of s.convs.values()) for (const from of [...c.typing.keys()]) s.stopTyping(c, from);
});

const conv = 'd:cy|di';
const message = (seq, timeMs) => ({ conv, convSeq: seq, from: 'cy', to: 'di', content: `m${seq}`, msgTimeMs: timeMs });

test('a message ends its sender\'s typing that began before it was sent', () => {
  const s = newState();
  s.startTyping(conv, 'cy', 1000);
  s.addMessages([message(1, 2000)]);
  assert.equal(s.get(conv).typing.has('cy'), false);
});

test('a message sent before the typing began leaves it shown', () => {
  // cy sends, then starts the next message at once: the typing event is
  // relayed at 2,005, the message (stored first) pushed after it.
  const s = newState();
  s.startTyping(conv, 'cy', 2005);
  s.addMessages([message(1, 2000)]);
  assert.equal(s.get(conv).typing.has('cy'), true);
  // An older message coming by sync or history does not end it either.
  s.addMessages([message(0, 10)]);
  assert.equal(s.get(conv).typing.has('cy'), true);
  // The next message does.
  s.addMessages([message(2, 3000)]);
  assert.equal(s.get(conv).typing.has('cy'), false);
});

test('a typing event without the server\'s time ends with any message (older servers)', () => {
  const s = newState();
  s.startTyping(conv, 'cy');
  s.addMessages([message(1, 2000)]);
  assert.equal(s.get(conv).typing.has('cy'), false);
});
