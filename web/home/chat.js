// chat.js: the client behind Chorus's two chat pages, /home/index (one-to-one,
// <body data-page="direct">) and /home/room (a room, <body data-page="room">).
// It speaks docs/protocol.md over the WebSocket at /ws. Plain ES2020, no
// dependencies. Message content is only ever put into the page as textContent.
'use strict';

(() => {
  const APP_ID = '101';
  const HEARTBEAT_MS = 30000;
  const ERROR_SHOWN_MS = 6000;
  const ID_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;
  const FATAL_LOGIN_CODES = [1001, 1002, 1003, 1011]; // retrying would not help

  const $ = (id) => document.getElementById(id);
  const els = {
    title: $('title'), status: $('status'), messages: $('messages'), online: $('online'),
    form: $('composer'), input: $('input'), send: $('send'),
  };

  const params = new URLSearchParams(location.search);
  const isRoom = document.body.dataset.page === 'room';
  const uid = params.get('uid') || '';
  const toUid = isRoom ? '0' : params.get('to_uid') || '';
  const room = isRoom ? params.get('groupsId') || '1' : '0';
  // The server names a pair "d:<smaller>|<larger>" (byte order) and a room "r:<id>".
  const conv = isRoom ? `r:${room}` : `d:${uid < toUid ? uid : toUid}|${uid < toUid ? toUid : uid}`;

  let ws = null;
  let loggedIn = false;
  let stopped = false; // a login failure that retrying would not fix
  let seq = 0;
  let heartbeat = 0;
  let errorTimer = 0;
  let state = 'connecting';
  let onlineReq = 0;
  const requests = new Map(); // seq -> {action, text, msgId}: requests awaiting their response
  const unsent = []; // sendmsg requests whose connection closed first; resent with the same msgId
  const seen = new Set(); // "conv#convSeq" of every message shown

  // ---- status line: the connection state, or for a while the latest error ----

  function renderStatus() {
    clearTimeout(errorTimer);
    els.status.textContent = state;
    els.status.dataset.state = state;
    els.status.classList.remove('error');
  }

  function setState(s) {
    state = s;
    renderStatus();
  }

  function showError(text) {
    renderStatus();
    els.status.textContent = text;
    els.status.classList.add('error');
    errorTimer = setTimeout(renderStatus, ERROR_SHOWN_MS);
  }

  // ---- the message list ----

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function nearBottom() {
    const m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }

  function clock(m) {
    const ms = Number(m.msgTimeMs) || Number(m.msgTimestamp) * 1000 || Date.now();
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // Shows a message once, in convSeq order (events stay where they arrived).
  function addMessage(m) {
    const key = `${m.conv}#${m.convSeq}`;
    if (seen.has(key)) return;
    seen.add(key);

    const from = String(m.from);
    const mine = from === uid;
    const node = el('div', mine ? 'msg mine' : 'msg');
    node.dataset.convSeq = m.convSeq;
    node.dataset.from = from;
    const meta = el('div', 'meta');
    meta.append(el('span', 'from', mine ? 'you' : `user ${from}`), el('time', '', clock(m)));
    node.append(meta, el('div', 'content', m.content));

    const n = Number(m.convSeq);
    let next = null; // the earliest shown message with a larger convSeq
    for (let x = els.messages.lastElementChild; x; x = x.previousElementSibling) {
      if (!x.classList.contains('msg')) continue;
      if (Number(x.dataset.convSeq) < n) break;
      next = x;
    }
    const stick = mine || nearBottom();
    els.messages.insertBefore(node, next);
    if (stick) els.messages.scrollTop = els.messages.scrollHeight;
  }

  function addEvent(text) {
    const stick = nearBottom();
    els.messages.append(el('div', 'event', text));
    if (stick) els.messages.scrollTop = els.messages.scrollHeight;
  }

  // ---- room members online (room page only) ----

  async function refreshOnline() {
    const mine = ++onlineReq; // only the latest answer is shown
    let text;
    try {
      const res = await fetch(`/user/list?groupsId=${encodeURIComponent(room)}&appId=${APP_ID}`, { cache: 'no-store' });
      const body = await res.json();
      if (body.code !== 200) throw new Error(body.msg);
      const users = body.data.userList.map(String);
      users.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      text = `online: ${users.length ? users.join(', ') : 'nobody'}`;
    } catch (e) {
      text = 'online: ?';
    }
    if (mine === onlineReq) els.online.textContent = text;
  }

  // ---- the connection ----

  function request(action, data, info = {}) {
    const s = String(++seq);
    requests.set(s, { action, ...info });
    ws.send(JSON.stringify({ seq: s, action, data }));
  }

  function newMsgId() {
    if (crypto.randomUUID) return crypto.randomUUID(); // only in secure contexts (https, localhost)
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function sendMessage(text, msgId = newMsgId()) {
    const data = isRoom
      ? { groupsId: room, msgType: 'text', message: text, msgId }
      : { toUid, groupsId: '0', msgType: 'text', message: text, msgId };
    request('sendmsg', data, { text, msgId });
  }

  // Each tab of each page is its own device: its own delivery cursor, kept for
  // the tab's life (reloads included), so tabs never take each other's messages.
  function deviceId() {
    const key = `chorus-device:${uid}:${conv}`;
    let id = sessionStorage.getItem(key);
    if (!id) {
      id = `web-${newMsgId().replace(/[^A-Za-z0-9]/g, '').slice(0, 20)}`;
      sessionStorage.setItem(key, id);
    }
    return id;
  }

  function onLogin() {
    loggedIn = true;
    request('history', { conv, limit: 50 }); // the recent past, then the live stream
    setState('connected');
    els.send.disabled = false;
    heartbeat = setInterval(() => request('heartbeat', {}), HEARTBEAT_MS);
    for (const m of unsent.splice(0)) sendMessage(m.text, m.msgId);
    if (isRoom) refreshOnline();
  }

  function onResponse({ seq: s, action, response }) {
    const req = requests.get(String(s));
    requests.delete(String(s));
    const ok = response.code === 200;
    if (!ok) showError(`${action || 'request'} failed (${response.code}): ${response.msg}`);
    if (action === 'login') {
      if (ok) return onLogin();
      stopped = FATAL_LOGIN_CODES.includes(response.code);
      return ws.close();
    }
    if (action === 'history' && ok) {
      for (const m of response.data.messages || []) addMessage(m);
      return;
    }
    if (action !== 'sendmsg' || !req) return;
    if (!ok) {
      if (!els.input.value) els.input.value = req.text; // give the text back to retry
    } else if (!isRoom) {
      // One-to-one: the server does not push our own message back to this connection.
      const d = response.data;
      addMessage({ from: uid, content: req.text, conv: d.conv, convSeq: d.convSeq, msgTimeMs: d.msgTimeMs });
    }
    // Room: our own message comes back as a push, which is what we show.
  }

  function onPush(d) {
    if (d.action === 'sendmsg') {
      if (d.conv === conv) addMessage(d);
    } else if (isRoom && (d.action === 'enter' || d.action === 'exit') && String(d.groupsId) === room) {
      addEvent(`user ${d.from} ${d.action === 'enter' ? 'entered' : 'left'}`);
      refreshOnline();
    }
  }

  function onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      return;
    }
    if (frame && frame.response) onResponse(frame);
    else if (frame && frame.data && frame.data.action) onPush(frame.data);
  }

  function onClose() {
    loggedIn = false;
    clearInterval(heartbeat);
    els.send.disabled = true;
    for (const req of requests.values()) if (req.action === 'sendmsg') unsent.push(req);
    requests.clear();
    if (stopped) return; // keep the login error on screen
    setState('disconnected');
    setTimeout(connect, 1000 + Math.random() * 1000);
  }

  // The status stays "connecting" (first time) or "disconnected" (after a loss) until logged in.
  function connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const sock = new WebSocket(`${proto}://${location.host}/ws`);
    ws = sock;
    sock.onopen = () =>
      request('login', { userId: uid, appId: APP_ID, toUid, groupsId: room, deviceId: deviceId() });
    sock.onmessage = (ev) => sock === ws && onFrame(ev.data);
    sock.onclose = () => sock === ws && onClose();
  }

  // ---- start ----

  els.form.addEventListener('submit', (ev) => {
    ev.preventDefault(); // Enter in the input and the Send button both land here
    const text = els.input.value;
    if (!loggedIn || !text.trim()) return;
    sendMessage(text);
    els.input.value = '';
    els.input.focus();
  });

  const other = isRoom ? room : toUid; // "0" means "none" in the protocol
  const valid = ID_RE.test(uid) && ID_RE.test(other) && other !== '0';
  if (!valid) {
    els.title.textContent = 'Chorus';
    state = 'stopped';
    els.status.dataset.state = state;
    els.status.classList.add('error');
    els.status.textContent = isRoom
      ? 'bad address: open /home/room?uid=1&groupsId=1'
      : 'bad address: open /home/index?uid=1&to_uid=2';
    return;
  }
  els.title.textContent = isRoom ? `You: ${uid} - room ${room}` : `You: ${uid} - chatting with ${toUid}`;
  document.title = `${els.title.textContent} · Chorus`;
  if (isRoom) refreshOnline();
  connect();
  els.input.focus();
})();
