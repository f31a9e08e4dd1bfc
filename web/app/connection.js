// connection.js: one WebSocket to /ws at a time, logged in, kept alive.
// request(action, data) returns a promise of the response ({code, msg, data});
// pushes come out as 'push' events. A lost connection is retried with
// backoff.js; a login the server refuses for good (bad id or token, unknown
// appId) ends in a 'fatal' event. Events (EventTarget, detail in e.detail):
//   state  {state: 'connecting'|'online'|'offline'|'stopped', retryAt, reason}
//   login  the login response data        push  a push's data
//   fatal  the refused login's response

import { Backoff } from './backoff.js';

const HEARTBEAT_MS = 25000; // the server closes after 120 s without a frame
const HEARTBEAT_TIMEOUT_MS = 10000;
const REQUEST_TIMEOUT_MS = 15000;
const FATAL_LOGIN_CODES = new Set([1001, 1002, 1003, 1011]);

export class Connection extends EventTarget {
  constructor(loginData, url = defaultUrl()) {
    super();
    this.loginData = loginData;
    this.url = url;
    this.ws = null;
    this.state = 'stopped';
    this.seq = 0;
    this.generation = 0; // counts logins: work tied to one connection checks it
    this.pending = new Map(); // seq -> {resolve, timer}
    this.backoff = new Backoff();
    this.retryTimer = 0;
    this.heartbeat = 0;
    this.onNetworkBack = () => this.state === 'offline' && this.retryNow();
    this.onNetworkGone = () => this.drop('network lost');
  }

  start() {
    window.addEventListener('online', this.onNetworkBack);
    window.addEventListener('offline', this.onNetworkGone);
    this.connect();
  }

  stop() {
    window.removeEventListener('online', this.onNetworkBack);
    window.removeEventListener('offline', this.onNetworkGone);
    clearTimeout(this.retryTimer);
    this.setState('stopped');
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  get online() {
    return this.state === 'online';
  }

  retryNow() {
    if (this.state !== 'offline') return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  // Gives up on the current socket at once (its close handshake may never
  // finish on a dead network) and schedules a reconnect.
  drop(reason) {
    const ws = this.ws;
    if (!ws || this.state === 'stopped' || this.state === 'offline') return;
    this.ws = null;
    ws.close();
    this.onClose({ code: 0, reason });
  }

  // Resolves with the response ({code, msg, data}); code 0 if the request
  // never got an answer (not connected, connection lost, timed out).
  request(action, data = {}, timeout = REQUEST_TIMEOUT_MS) {
    if (!this.online) return Promise.resolve(noAnswer('not connected'));
    return this.send(action, data, timeout);
  }

  send(action, data, timeout = REQUEST_TIMEOUT_MS) {
    const seq = String(++this.seq);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(seq, noAnswer('timed out')), timeout);
      this.pending.set(seq, { resolve, timer });
      this.ws.send(JSON.stringify({ seq, action, data }));
    });
  }

  settle(seq, response) {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    p.resolve(response);
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...extra } }));
  }

  connect() {
    this.setState('connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => this.login(ws);
    ws.onmessage = (ev) => ws === this.ws && this.onFrame(ev.data);
    ws.onclose = (ev) => ws === this.ws && this.onClose(ev);
  }

  async login(ws) {
    const res = await this.send('login', this.loginData);
    if (ws !== this.ws) return;
    if (res.code === 200) {
      this.backoff.reset();
      this.generation++;
      this.heartbeat = setInterval(() => this.beat(ws), HEARTBEAT_MS);
      this.setState('online');
      this.dispatchEvent(new CustomEvent('login', { detail: res.data }));
    } else if (FATAL_LOGIN_CODES.has(res.code)) {
      this.stop();
      this.dispatchEvent(new CustomEvent('fatal', { detail: res }));
    } else {
      ws.close(); // e.g. rate limited or timed out: try again later
    }
  }

  // A heartbeat that gets no answer means a dead link (e.g. a network drop
  // that no TCP error reported yet): close it and reconnect.
  async beat(ws) {
    const res = await this.request('heartbeat', {}, HEARTBEAT_TIMEOUT_MS);
    if (res.code === 0 && ws === this.ws) this.drop('no answer from the server');
  }

  onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame && frame.response) this.settle(String(frame.seq), frame.response);
    else if (frame && frame.data && frame.data.action) {
      this.dispatchEvent(new CustomEvent('push', { detail: frame.data }));
    }
  }

  onClose(ev) {
    clearInterval(this.heartbeat);
    for (const seq of [...this.pending.keys()]) this.settle(seq, noAnswer('connection lost'));
    if (this.state === 'stopped') return;
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState('offline', { retryAt: Date.now() + delay, reason: closeReason(ev) });
  }
}

function defaultUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

function noAnswer(msg) {
  return { code: 0, msg, data: {} };
}

function closeReason(ev) {
  const reasons = {
    1001: 'the server is shutting down',
    1006: 'connection lost',
    1011: 'the server asked to resync',
    4000: 'idle',
    4001: 'fell behind',
  };
  return ev.reason || reasons[ev.code] || `closed (${ev.code})`;
}
