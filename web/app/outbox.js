// outbox.js: messages the user wrote that the server has not confirmed yet,
// oldest first, kept in sessionStorage so a reload of the tab keeps them.
// Each keeps the msgId it was given when written: resending it after a lost
// connection can never store it twice (the server answers a repeated
// (sender, msgId) with the first result). Events: 'change' {conv}.

import { randomId } from './ids.js';

export class Outbox extends EventTarget {
  constructor(key) {
    super();
    this.key = key;
    try {
      this.items = JSON.parse(sessionStorage.getItem(key)) || [];
    } catch {
      this.items = [];
    }
    for (const it of this.items) if (it.state === 'sending') it.state = 'queued';
  }

  save(conv) {
    sessionStorage.setItem(this.key, JSON.stringify(this.items));
    this.dispatchEvent(new CustomEvent('change', { detail: { conv } }));
  }

  // target: {conv, toUid, groupsId}
  add(target, text) {
    const item = { msgId: randomId('m-'), ...target, text, at: Date.now(), state: 'queued', error: '' };
    this.items.push(item);
    this.save(item.conv);
    return item;
  }

  forConv(conv) {
    return this.items.filter((it) => it.conv === conv);
  }

  next() {
    return this.items.find((it) => it.state !== 'failed');
  }

  find(msgId) {
    return this.items.find((it) => it.msgId === msgId);
  }

  mark(item, state, error = '') {
    item.state = state;
    item.error = error;
    this.save(item.conv);
  }

  remove(msgId) {
    const item = this.find(msgId);
    if (!item) return;
    this.items = this.items.filter((it) => it !== item);
    this.save(item.conv);
  }
}
