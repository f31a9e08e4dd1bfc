// chat.js: the app's protocol logic between the connection and the state:
// what to do after each login (sync, conversation list, rejoin, resend),
// what each push means, and the user's actions (open, send, typing, read,
// start a chat, join or leave a room). See docs/protocol.md.

import { directConv, roomConv, validTarget } from './ids.js';

const TYPING_REPEAT_MS = 3000; // send typing:true at most this often
const RETRY_SEND_CODES = new Set([1004, 1008, 1009, 1012]); // nothing stored: same msgId again
const HISTORY_PAGE = 50;
const PRESENCE_REFRESH_MS = 30000; // also asked on every presence/enter/exit event

export class Chat {
  constructor({ state, conn, outbox, acker, notify }) {
    Object.assign(this, { state, conn, outbox, acker, notify });
    this.me = state.me.userId;
    this.pumping = false;
    this.typingSentAt = 0;
    this.typingConv = null;
    this.presenceTimer = 0;
    this.pendingJoin = null;
    conn.addEventListener('login', () => this.onLogin());
    conn.addEventListener('push', (e) => this.onPush(e.detail));
    conn.addEventListener('state', (e) => e.detail.state === 'offline' && this.onOffline());
    setInterval(() => this.state.openConv && this.refreshPresence(this.state.openConv), PRESENCE_REFRESH_MS);
  }

  // ---- after every login: catch up, then send what waited ----

  async onLogin() {
    this.acker.reset();
    this.typingConv = null;
    if (this.pendingJoin) await this.joinRoom(this.pendingJoin);
    await this.conn.request('sync', {}); // answered after the missed messages were pushed
    await this.refreshConversations();
    const open = this.state.openConv;
    if (open) {
      this.refreshPresence(open);
      await this.fetchHistory(open); // anything still missing at the bottom
      this.onCaughtUp && this.onCaughtUp();
    }
    this.pump();
  }

  onOffline() {
    for (const c of this.state.convs.values()) {
      c.online = null;
      c.readInFlight = 0;
    }
    if (this.state.openConv) this.state.emit('meta', { conv: this.state.openConv });
  }

  async refreshConversations() {
    const res = await this.conn.request('conversations', {});
    if (res.code === 200) this.state.merge(res.data.conversations || []);
  }

  // ---- pushes ----

  onPush(d) {
    if (!d.conv && d.action !== 'presence' && d.action !== 'enter' && d.action !== 'exit') return;
    const c = d.conv ? this.state.get(d.conv) : null;
    switch (d.action) {
      case 'sendmsg':
        // `join` tells nobody: a writer missing from the online list is news.
        if (d.conv === this.state.openConv && c.online && !c.online.has(String(d.from))) this.presenceSoon();
        this.state.addMessages([d]);
        this.acker.note(d.conv, Number(d.convSeq));
        if (d.from === this.me && d.clientMsgId) this.outbox.remove(d.clientMsgId);
        break;
      case 'typing':
        if (d.from === this.me) break;
        if (d.typing === false) this.state.stopTyping(c, d.from);
        else this.state.startTyping(d.conv, d.from, Number(d.serverTime) || 0);
        break;
      case 'read':
        if (d.from === this.me) this.state.setRead(d.conv, Number(d.convSeq));
        else if (c.kind === 'direct') this.state.setMark(d.conv, 'peerRead', Number(d.convSeq));
        break;
      case 'delivered':
        if (d.from !== this.me) this.state.setMark(d.conv, 'delivered', Number(d.convSeq));
        break;
      case 'presence':
        this.state.setUserOnline(String(d.from), Boolean(d.online));
        this.presenceSoon();
        break;
      case 'enter':
      case 'exit':
        if (this.state.openConv === roomConv(String(d.groupsId))) this.presenceSoon();
        break;
      default:
        break;
    }
  }

  presenceSoon() {
    clearTimeout(this.presenceTimer);
    this.presenceTimer = setTimeout(() => this.state.openConv && this.refreshPresence(this.state.openConv), 250);
  }

  async refreshPresence(conv) {
    const res = await this.conn.request('presence', { conv });
    if (res.code === 200) this.state.setOnline(conv, res.data.online || []);
  }

  // ---- reading ----

  open(conv) {
    if (this.typingConv && this.typingConv !== conv) this.typing(false);
    if (conv) {
      this.state.remember(conv);
      sessionStorage.setItem(`${this.state.keyPrefix}.open`, conv);
    }
    this.state.open(conv);
    if (conv && this.conn.online) this.refreshPresence(conv);
  }

  // Asks for up to `limit` messages before `beforeSeq` (default: the newest);
  // they land in the state. Resolves true if the server answered.
  async fetchHistory(conv, beforeSeq, limit = HISTORY_PAGE) {
    const data = { conv, limit: Math.max(1, Math.min(100, limit)) };
    if (beforeSeq) data.beforeSeq = beforeSeq;
    const res = await this.conn.request('history', data);
    if (res.code !== 200) return false;
    const msgs = (res.data.messages || []).slice().reverse();
    this.state.addMessages(msgs);
    return true;
  }

  async markRead(conv, seq) {
    const c = this.state.get(conv);
    if (!this.conn.online || seq <= c.readSent || seq <= c.readInFlight) return;
    c.readInFlight = seq;
    const res = await this.conn.request('read', { conv, convSeq: seq });
    if (res.code === 200) {
      c.readSent = Math.max(c.readSent, seq);
      this.state.setRead(conv, seq);
    } else if (res.code !== 0) {
      c.readSent = Math.max(c.readSent, seq); // refused: do not ask again for the same
    }
  }

  // ---- writing ----

  send(text) {
    const conv = this.state.openConv;
    if (!conv) return;
    const c = this.state.get(conv);
    const target = c.kind === 'room'
      ? { conv, groupsId: c.groupsId, toUid: '0' }
      : { conv, groupsId: '0', toUid: c.peer };
    this.typing(false);
    this.outbox.add(target, text);
    this.pump();
  }

  // Sends the outbox in order, one at a time, each with its own msgId.
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let item = this.outbox.next(); item && this.conn.online; item = this.outbox.next()) {
        this.outbox.mark(item, 'sending');
        const res = await this.conn.request('sendmsg', {
          toUid: item.toUid, groupsId: item.groupsId, msgType: 'text', message: item.text, msgId: item.msgId,
        });
        if (!this.outbox.find(item.msgId)) continue; // discarded, or its push came first
        if (res.code === 200) {
          this.sent(item, res.data);
        } else if (res.code === 0 || RETRY_SEND_CODES.has(res.code)) {
          this.outbox.mark(item, 'queued');
          if (res.code === 0) break; // connection lost: the next login pumps again
          await new Promise((r) => setTimeout(r, 1000));
        } else {
          this.outbox.mark(item, 'failed', `${res.msg} (${res.code})`);
          this.notify(`Message not sent: ${res.msg}`);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  // The server stored it: show it as a message (a one-to-one sender gets no push of its own).
  sent(item, d) {
    this.state.addMessages([{
      action: 'sendmsg', msgId: d.msgId, clientMsgId: item.msgId, msgType: 'text', content: item.text,
      from: this.me, to: item.toUid, groupsId: item.groupsId, appId: this.state.me.appId,
      msgTimestamp: d.msgTimestamp, msgTimeMs: d.msgTimeMs, conv: d.conv, convSeq: d.convSeq,
    }]);
    this.acker.note(d.conv, Number(d.convSeq));
    this.outbox.remove(item.msgId);
  }

  retry(msgId) {
    const item = this.outbox.find(msgId);
    if (item) this.outbox.mark(item, 'queued');
    this.pump();
  }

  discard(msgId) {
    this.outbox.remove(msgId);
  }

  // typing:true at most every 3 s while typing; typing:false once when done.
  typing(on) {
    const conv = this.state.openConv;
    if (!this.conn.online || !conv) return;
    const now = Date.now();
    if (on) {
      if (this.typingConv === conv && now - this.typingSentAt < TYPING_REPEAT_MS) return;
      this.typingConv = conv;
      this.typingSentAt = now;
      this.conn.request('typing', { conv, typing: true });
    } else if (this.typingConv) {
      this.conn.request('typing', { conv: this.typingConv, typing: false });
      this.typingConv = null;
    }
  }

  // ---- starting and leaving ----

  startDirect(userId) {
    if (!validTarget(userId)) return this.notify('Not a valid user id');
    this.open(directConv(this.me, userId));
  }

  async joinRoom(groupsId) {
    if (!validTarget(groupsId)) return this.notify('Not a valid room id');
    const conv = roomConv(groupsId);
    if (!this.conn.online) {
      this.pendingJoin = groupsId; // joined at the next login
      this.open(conv);
      return;
    }
    const res = await this.conn.request('join', { groupsId });
    if (res.code === 200) {
      if (this.pendingJoin === groupsId) this.pendingJoin = null;
      this.state.get(conv).listed = true;
      this.state.setRead(conv, Number(res.data.joinedSeq) || 0); // what came before joining is not unread
      if (this.state.openConv !== conv) this.open(conv);
      else this.fetchHistory(conv);
    } else if (res.code !== 0) {
      if (this.pendingJoin === groupsId) this.pendingJoin = null;
      this.notify(`Could not join room ${groupsId}: ${res.msg}`);
    }
  }

  async leave(conv) {
    const c = this.state.get(conv);
    if (c.kind !== 'room') return;
    const res = await this.conn.request('leave', { groupsId: c.groupsId });
    if (res.code === 200 || res.code === 1014) {
      this.state.remove(conv);
      this.notify(`You left room ${c.groupsId}`, 'info');
    } else {
      this.notify(res.code ? `Could not leave: ${res.msg}` : 'Could not leave while offline');
    }
  }
}
