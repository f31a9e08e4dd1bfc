// wsclient.mjs: a bare protocol client (the `ws` package) for tests that
// need to act as a user without a browser: seeding many messages, checking
// what the server stored. request() resolves with the response object.

import WebSocket from 'ws';

export class WsClient {
  constructor(server) {
    this.url = `ws://127.0.0.1:${server.port}/ws`;
    this.seq = 0;
    this.waiting = new Map();
    this.pushes = [];
  }

  async connect(login) {
    this.ws = new WebSocket(this.url);
    await new Promise((res, rej) => {
      this.ws.once('open', res);
      this.ws.once('error', rej);
    });
    this.ws.on('message', (raw) => {
      const f = JSON.parse(raw.toString());
      if (f.response) {
        const w = this.waiting.get(String(f.seq));
        this.waiting.delete(String(f.seq));
        if (w) w(f.response);
      } else if (f.data) this.pushes.push(f.data);
    });
    const res = await this.request('login', login);
    if (res.code !== 200) throw new Error(`login refused: ${JSON.stringify(res)}`);
    return this;
  }

  request(action, data = {}, timeout = 10000) {
    const seq = String(++this.seq);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${action} timed out`)), timeout);
      this.waiting.set(seq, (r) => {
        clearTimeout(timer);
        res(r);
      });
      this.ws.send(JSON.stringify({ seq, action, data }));
    });
  }

  // sendmsg, retried on "rate limited" (1012); throws on anything but success.
  async send(data) {
    for (let i = 0; i < 50; i++) {
      const res = await this.request('sendmsg', data);
      if (res.code === 200) return res.data;
      if (res.code !== 1012) throw new Error(`sendmsg failed: ${JSON.stringify(res)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('sendmsg: still rate limited');
  }

  // Every stored message of a conversation, oldest first (paged history).
  async all(conv) {
    const out = [];
    let before;
    for (;;) {
      const data = { conv, limit: 100 };
      if (before) data.beforeSeq = before;
      const res = await this.request('history', data);
      if (res.code !== 200) throw new Error(`history failed: ${JSON.stringify(res)}`);
      out.unshift(...res.data.messages.slice().reverse());
      if (!res.data.more || !res.data.messages.length) return out;
      before = res.data.messages[res.data.messages.length - 1].convSeq;
    }
  }

  close() {
    if (this.ws) this.ws.close();
  }
}
