#!/usr/bin/env node
// A plain Node.js + `ws` chat relay: the baseline a user might write instead
// of running Chorus, kept here so chorus-bench can measure both in one run
// (scripts/bench-baseline). It speaks the subset of docs/protocol.md that
// chorus-bench's connect, direct and room scenarios use, with the same frame
// shapes and key order (src/chorus/protocol/encode.cpp), so the bench runs
// against it unchanged.
//
// IN MEMORY ONLY, IT STORES NOTHING. No database, no file, no fsync. A
// sendmsg is answered at once and pushed to whoever is connected at that
// moment; a recipient who is offline never gets it. What lives in memory:
// the connected sessions, room memberships (until the process exits) and one
// convSeq counter per conversation ever used (never freed: fine for a
// benchmark, a leak for a real server). So the comparison with chorusd is
// "Chorus with its store" against "a relay that does none of that work",
// which makes this a lower bound on what the protocol itself costs in Node.
//
// Implemented:
//   login      userId, appId (default --default-app-id), toUid, groupsId
//              (joins that room in memory and sends `enter` to its online
//              members), deviceId (echoed only); ackMode "auto" only.
//              1002 bad userId, 1015 second login.
//   heartbeat  -> {serverTime}; a connection silent for --idle-timeout s is
//              closed 4000, one that does not log in within --login-timeout
//              s is closed 4002 (one sweep timer, not a timer per socket).
//   sendmsg    toUid (default: the login's) or groupsId (sender must be a
//              member, else 1014); message 1..16384 bytes (1013 beyond);
//              msgType; msgId echoed as clientMsgId but NOT deduplicated
//              (that would need remembering every msgId), duplicate:false.
//              Response {msgId, clientMsgId, conv, convSeq, msgTimestamp,
//              msgTimeMs, duplicate}, then the push to the recipient's
//              connections and the sender's other connections (direct), or
//              to every connection of every room member, the sender's
//              included (room). convSeq is 1, 2, 3... per conversation
//              ("d:<a>|<b>", smaller id first, or "r:<groupsId>").
//   sync       -> {delivered: 0}: nothing is kept, so nothing is missing.
//   anything else -> 1010 unknown action (no ack/history/read/typing/...;
//              chorus-bench's recover scenario needs stored messages and
//              cannot run against this relay).
// Not implemented: per-connection rate limits, auth, Origin checks, HTTP
// routes. A reader whose socket buffer passes 4 MiB is closed 4001, like
// chorusd's send queue limit.
//
// One process, one thread: Node runs JavaScript on one core. Using both
// cores of the bench machine would need the `cluster` module (or several
// processes behind a balancer) AND a shared routing layer between them (a
// user's peer may sit in another process: Redis pub/sub or similar), which
// is exactly the work a plain relay skips. It stays one process here, and
// that is part of what the comparison shows.
//
//   node relay.mjs [--host 127.0.0.1] [--port 8283] [--default-app-id 101]
//                  [--idle-timeout 120] [--login-timeout 30]
//   (or RELAY_HOST / RELAY_PORT; --port 0 picks a free port). Prints
//   "relay listening on ws://<host>:<port>/ws" once it accepts connections.
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values: opt } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.RELAY_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.RELAY_PORT ?? '8283' },
    'default-app-id': { type: 'string', default: '101' },
    'idle-timeout': { type: 'string', default: '120' },
    'login-timeout': { type: 'string', default: '30' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log('usage: node relay.mjs [--host 127.0.0.1] [--port 8283] [--default-app-id 101] ' +
              '[--idle-timeout 120] [--login-timeout 30]');
  process.exit(0);
}
// No auth at all: refuse to listen anywhere but loopback.
if (!/^127\.\d+\.\d+\.\d+$/.test(opt.host)) {
  console.error(`relay: refusing a non-loopback address: ${opt.host}`);
  process.exit(2);
}
const port = Number(opt.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`relay: bad port: ${opt.port}`);
  process.exit(2);
}
const idleMs = Number(opt['idle-timeout']) * 1000;
const loginMs = Number(opt['login-timeout']) * 1000;

const MAX_FRAME_BYTES = 64 * 1024;
const MAX_MESSAGE_BYTES = 16 * 1024;
const MAX_BUFFERED = 4 * 1024 * 1024;
const ID_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;
const CODE_TEXT = {
  200: 'Success', 1000: 'not logged in', 1001: 'bad parameter', 1002: 'bad user id',
  1010: 'unknown action', 1013: 'too large', 1014: 'not a member', 1015: 'already logged in',
  1016: 'malformed frame',
};

// --- in-memory state ---------------------------------------------------------
const online = new Map();   // app \0 user -> Set<session>
const rooms = new Map();    // app \0 room -> Set<user>  (membership)
const convSeq = new Map();  // app \0 conv -> last convSeq
// Server message ids: 16 hex digits, unique within this process (its start
// time in microseconds plus a counter; stays below 2^53 for centuries).
let nextMsgId = Date.now() * 1000;

class Session {
  constructor(ws) {
    this.ws = ws;
    this.app = '';
    this.user = '';
    this.key = '';
    this.toUid = '0';
    this.room = '0';
    this.loggedIn = false;
    this.lastSeen = Date.now();
    this.opened = this.lastSeen;
  }
}

// An id given as a string or an integer; undefined if absent, null if malformed.
function readId(v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) v = String(v);
  if (typeof v !== 'string' || !ID_RE.test(v)) return null;
  return v;
}

function respond(s, seq, action, code, data, msg) {
  send(s, JSON.stringify({ seq, action, response: { code, msg: msg ?? CODE_TEXT[code] ?? 'error', data: data ?? {} } }));
}

function send(s, frame) {
  const ws = s.ws;
  if (ws.readyState !== 1) return;
  ws.send(frame);
  if (ws.bufferedAmount > MAX_BUFFERED) ws.close(4001, 'send queue overflow');
}

// One encoding for many recipients: a Buffer sent as a text frame.
function sendToAll(sessions, frame, except) {
  for (const s of sessions) {
    if (s === except) continue;
    const ws = s.ws;
    if (ws.readyState !== 1) continue;
    ws.send(frame, { binary: false });
    if (ws.bufferedAmount > MAX_BUFFERED) ws.close(4001, 'send queue overflow');
  }
}

function event(action, fields) {
  fields.action = action;  // an event's action comes last, as in encode.cpp
  return Buffer.from(JSON.stringify({ code: 200, msg: 'success', data: fields }));
}

function roomSessions(app, room) {
  const members = rooms.get(app + '\0' + room);
  const out = [];
  if (!members) return out;
  for (const u of members) {
    const set = online.get(app + '\0' + u);
    if (set) for (const s of set) out.push(s);
  }
  return out;
}

// --- actions -----------------------------------------------------------------
function doLogin(s, seq, action, d) {
  if (s.loggedIn) return respond(s, seq, action, 1015, null, 'this connection is logged in already');
  const user = readId(d.userId);
  if (!user) return respond(s, seq, action, 1002, null, 'userId is missing or malformed');
  const app = d.appId === undefined ? opt['default-app-id'] : readId(d.appId);
  const toUid = readId(d.toUid);
  const room = readId(d.groupsId);
  const device = d.deviceId === undefined ? 'default' : readId(d.deviceId);
  if (!app || toUid === null || room === null || !device)
    return respond(s, seq, action, 1001, null, 'appId, toUid, groupsId or deviceId malformed');
  if (d.ackMode !== undefined && d.ackMode !== 'auto')
    return respond(s, seq, action, 1001, null, 'this relay supports ackMode "auto" only');
  s.app = app;
  s.user = user;
  s.key = app + '\0' + user;
  s.toUid = toUid ?? '0';
  s.room = room ?? '0';
  s.loggedIn = true;
  let set = online.get(s.key);
  if (!set) online.set(s.key, (set = new Set()));
  set.add(s);
  if (s.room !== '0') {
    const rk = app + '\0' + s.room;
    let members = rooms.get(rk);
    if (!members) rooms.set(rk, (members = new Set()));
    members.add(user);
  }
  respond(s, seq, action, 200, {
    userId: user, appId: app, deviceId: device, toUid: s.toUid, groupsId: s.room,
    ackMode: 'auto', serverTime: Date.now(),
  });
  if (s.room !== '0') {
    const f = event('enter', { from: user, to: '0', groupsId: s.room, appId: app,
                               msgTimestamp: String(Math.floor(Date.now() / 1000)) });
    sendToAll(roomSessions(app, s.room), f, s);
  }
}

function doSendmsg(s, seq, action, d) {
  const room = readId(d.groupsId) ;
  const to = readId(d.toUid);
  const clientMsgId = readId(d.msgId);
  if (room === null || to === null || clientMsgId === null)
    return respond(s, seq, action, 1001, null, 'toUid, groupsId or msgId malformed');
  const content = d.message;
  if (typeof content !== 'string' || content.length === 0)
    return respond(s, seq, action, 1001, null, 'message is required');
  if (content.length > MAX_MESSAGE_BYTES / 3 && Buffer.byteLength(content) > MAX_MESSAGE_BYTES)
    return respond(s, seq, action, 1013, null, 'message too large');
  const type = d.msgType === undefined ? 'text' : d.msgType;
  if (typeof type !== 'string' || type.length > 32)
    return respond(s, seq, action, 1001, null, 'msgType must be a string of at most 32 bytes');

  const isRoom = room !== undefined && room !== '0';
  let conv, target;
  if (isRoom) {
    const members = rooms.get(s.app + '\0' + room);
    if (!members || !members.has(s.user)) return respond(s, seq, action, 1014, null, 'not a member of r:' + room);
    conv = 'r:' + room;
  } else {
    target = to !== undefined && to !== '0' ? to : s.toUid;
    if (target === '0') return respond(s, seq, action, 1001, null, 'toUid is required (none was given here or at login)');
    conv = s.user < target ? `d:${s.user}|${target}` : `d:${target}|${s.user}`;
  }
  const ck = s.app + '\0' + conv;
  const n = (convSeq.get(ck) ?? 0) + 1;
  convSeq.set(ck, n);
  const ms = Date.now();
  const id = (nextMsgId++).toString(16).padStart(16, '0');
  const ts = String(Math.floor(ms / 1000));
  const cid = clientMsgId ?? '';
  // Acknowledge, then push (as chorusd; it commits first, this has nothing to commit).
  respond(s, seq, action, 200, {
    msgId: id, clientMsgId: cid, conv, convSeq: n, msgTimestamp: ts, msgTimeMs: ms, duplicate: false,
  });
  const push = Buffer.from(JSON.stringify({
    code: 200, msg: 'success',
    data: { action: 'sendmsg', msgId: id, clientMsgId: cid, msgType: type, content, from: s.user,
            to: isRoom ? '0' : target, groupsId: isRoom ? room : '0', appId: s.app,
            msgTimestamp: ts, msgTimeMs: ms, conv, convSeq: n },
  }));
  if (isRoom) {
    sendToAll(roomSessions(s.app, room), push, null);  // the sender's own connection too
  } else {
    const peer = online.get(s.app + '\0' + target);
    if (peer) sendToAll(peer, push, null);
    if (target !== s.user) {
      const mine = online.get(s.key);
      if (mine && mine.size > 1) sendToAll(mine, push, s);  // the sender's other devices
    }
  }
}

function onFrame(s, data, isBinary) {
  s.lastSeen = Date.now();
  let req;
  try {
    if (isBinary) throw new Error('binary');
    req = JSON.parse(data.toString());
  } catch {
    return respond(s, '', '', 1016, null, 'malformed frame');
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req))
    return respond(s, '', '', 1016, null, 'malformed frame');
  const seq = typeof req.seq === 'string' || typeof req.seq === 'number' ? String(req.seq) : '';
  const action = typeof req.action === 'string' ? req.action : '';
  if (!action || action.length > 32) return respond(s, seq, action, 1001, null, 'action is required');
  const d = req.data ?? {};
  if (typeof d !== 'object' || Array.isArray(d)) return respond(s, seq, action, 1001, null, 'data must be an object');
  if (action === 'login') return doLogin(s, seq, action, d);
  if (!s.loggedIn) {
    if (action === 'sendmsg' || action === 'heartbeat' || action === 'sync')
      return respond(s, seq, action, 1000, null, 'log in first');
    return respond(s, seq, action, 1010, null, 'unknown action: ' + action);
  }
  switch (action) {
    case 'sendmsg': return doSendmsg(s, seq, action, d);
    case 'heartbeat': return respond(s, seq, action, 200, { serverTime: Date.now() });
    case 'sync': return respond(s, seq, action, 200, { delivered: 0 });
    default: return respond(s, seq, action, 1010, null, 'unknown action: ' + action);
  }
}

function onClose(s) {
  if (!s.loggedIn) return;
  s.loggedIn = false;
  const set = online.get(s.key);
  if (set) {
    set.delete(s);
    if (set.size === 0) online.delete(s.key);
  }
  if (s.room !== '0') {
    const f = event('exit', { from: s.user, to: '0', groupsId: s.room, appId: s.app,
                              msgTimestamp: String(Math.floor(Date.now() / 1000)) });
    sendToAll(roomSessions(s.app, s.room), f, s);
  }
}

// --- server ------------------------------------------------------------------
const wss = new WebSocketServer({
  host: opt.host, port, path: '/ws', maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false,
});
wss.on('connection', (ws) => {
  const s = new Session(ws);
  ws.on('message', (data, isBinary) => onFrame(s, data, isBinary));
  ws.on('close', () => onClose(s));
  ws.on('error', () => {});  // a reset socket; 'close' follows
  ws._session = s;
});
wss.on('listening', () => {
  const a = wss.address();
  console.log(`relay listening on ws://${a.address}:${a.port}/ws (pid ${process.pid})`);
});
wss.on('error', (e) => {
  console.error(`relay: ${e.message}`);
  process.exit(1);
});

// Idle and login timeouts: one sweep every 5 s over all connections.
const sweep = setInterval(() => {
  const now = Date.now();
  for (const ws of wss.clients) {
    const s = ws._session;
    if (!s) continue;
    if (idleMs > 0 && now - s.lastSeen > idleMs) ws.close(4000, 'idle');
    else if (loginMs > 0 && !s.loggedIn && now - s.opened > loginMs) ws.close(4002, 'login timeout');
  }
}, 5000);
sweep.unref();

function shutdown() {
  for (const ws of wss.clients) ws.close(1001, 'shutting down');
  wss.close();
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
