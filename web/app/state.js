// state.js: what the app knows: the conversations (with their messages,
// unread count, who is online or typing, delivered/read marks of the peer)
// and which one is open. Views listen to its events:
//   list      the conversation list changed (order, unread, last message, typing)
//   messages  {conv, msgs}: messages were added to a conversation
//   meta      {conv}: online members, typing or marks of a conversation changed
//   removed   {conv}: a conversation went away (left room)
//   open      {conv}: another conversation was opened (or null)

import { parseConv } from './ids.js';

const TYPING_SHOWN_MS = 6000;

export class ChatState extends EventTarget {
  constructor(me) {
    super();
    this.me = me; // {userId, appId}
    this.convs = new Map();
    this.openConv = null;
    this.keyPrefix = `chorus.${me.appId}.${me.userId}`;
    this.marks = readJson(`${this.keyPrefix}.marks`, {}); // conv -> [delivered, peerRead]
    for (const conv of readJson(`${this.keyPrefix}.convs`, [])) this.get(conv).remembered = true;
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // The conversation named `conv`, created empty if unknown.
  get(conv) {
    let c = this.convs.get(conv);
    if (!c) {
      const [delivered, peerRead] = this.marks[conv] || [0, 0];
      c = {
        conv, ...parseConv(conv, this.me.userId),
        lastSeq: 0, readSeq: 0, last: null, activity: Date.now(),
        messages: new Map(), online: null, typing: new Map(), typingSince: new Map(),
        delivered, peerRead, remembered: false,
        readSent: 0, readInFlight: 0, // `read` confirmed by / on its way to the server
      };
      this.convs.set(conv, c);
    }
    return c;
  }

  unread(c) {
    return Math.max(0, c.lastSeq - c.readSeq);
  }

  sorted() {
    return [...this.convs.values()].sort((a, b) => b.activity - a.activity || (a.conv < b.conv ? -1 : 1));
  }

  // Keeps a conversation in the list across reloads even while it has no message.
  remember(conv, yes = true) {
    this.get(conv).remembered = yes;
    const list = [...this.convs.values()].filter((c) => c.remembered).map((c) => c.conv);
    localStorage.setItem(`${this.keyPrefix}.convs`, JSON.stringify(list));
  }

  open(conv) {
    this.openConv = conv;
    this.emit('open', { conv });
  }

  remove(conv) {
    this.remember(conv, false);
    this.convs.delete(conv);
    if (this.openConv === conv) this.open(null);
    this.emit('removed', { conv });
    this.emit('list');
  }

  // Adds messages (pushes, history, own sends); each (conv, convSeq) once.
  // Returns the ones that were new.
  addMessages(msgs) {
    const added = new Map(); // conv -> [msgs]
    for (const m of msgs) {
      const c = this.get(m.conv);
      const seq = Number(m.convSeq);
      if (!seq || c.messages.has(seq)) continue;
      c.messages.set(seq, m);
      if (!added.has(c)) added.set(c, []);
      added.get(c).push(m);
      if (m.from === this.me.userId && c.readSeq >= seq - 1) c.readSeq = Math.max(c.readSeq, seq);
      if (seq >= c.lastSeq) {
        c.lastSeq = seq;
        c.last = m;
        c.activity = Math.max(c.activity, msgTime(m));
      }
      // A message ends its sender's typing, unless the typing began after
      // it was sent: a message is stored before it is pushed, so the
      // typing for the next one can arrive first.
      if (!(c.typingSince.get(m.from) > msgTime(m))) this.stopTyping(c, m.from, false);
    }
    for (const [c, list] of added) this.emit('messages', { conv: c.conv, msgs: list });
    if (added.size) this.emit('list');
    return [...added.values()].flat();
  }

  // The server's list (action `conversations`): its counters win where newer.
  merge(list) {
    for (const s of list) {
      const c = this.get(s.conv);
      c.lastSeq = Math.max(c.lastSeq, Number(s.lastSeq) || 0);
      c.readSeq = Math.max(c.readSeq, Number(s.readSeq) || 0);
      // The server counts one's own messages as unread; whoever wrote the last one has read up to it.
      if (s.last && s.last.from === this.me.userId) c.readSeq = Math.max(c.readSeq, Number(s.last.convSeq) || 0);
      c.listed = true;
      if (s.last && (!c.last || Number(s.last.convSeq) >= Number(c.last.convSeq))) {
        c.last = s.last;
        c.activity = msgTime(s.last);
      }
    }
    this.emit('list');
  }

  setRead(conv, seq) {
    const c = this.get(conv);
    if (seq <= c.readSeq) return;
    c.readSeq = seq;
    this.emit('list');
  }

  setMark(conv, field, seq) {
    const c = this.get(conv);
    if (seq <= c[field]) return;
    c[field] = seq;
    if (field === 'peerRead' && c.delivered < seq) c.delivered = seq; // read implies delivered
    this.marks[conv] = [c.delivered, c.peerRead];
    localStorage.setItem(`${this.keyPrefix}.marks`, JSON.stringify(this.marks));
    this.emit('meta', { conv });
  }

  setOnline(conv, users) {
    this.get(conv).online = new Set(users.map(String));
    this.emit('meta', { conv });
  }

  setUserOnline(userId, online) {
    for (const c of this.convs.values()) {
      if (!c.online) continue;
      if (online && c.kind === 'direct' && c.peer === userId) c.online.add(userId);
      if (!online) c.online.delete(userId);
      this.emit('meta', { conv: c.conv });
    }
  }

  // `since`: the server's time of the typing event (0: not given).
  startTyping(conv, from, since = 0) {
    const c = this.get(conv);
    clearTimeout(c.typing.get(from));
    c.typing.set(from, setTimeout(() => this.stopTyping(c, from), TYPING_SHOWN_MS));
    c.typingSince.set(from, since);
    this.emit('meta', { conv });
    this.emit('list');
  }

  stopTyping(c, from, notify = true) {
    if (!c.typing.has(from)) return;
    clearTimeout(c.typing.get(from));
    c.typing.delete(from);
    c.typingSince.delete(from);
    this.emit('meta', { conv: c.conv });
    if (notify) this.emit('list');
  }
}

export function msgTime(m) {
  return Number(m.msgTimeMs) || Number(m.msgTimestamp) * 1000 || Date.now();
}

function readJson(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) || fallback;
  } catch {
    return fallback;
  }
}
