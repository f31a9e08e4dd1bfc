// main.js: starts the app: mounts the markup, signs in (stored sign-in, or
// the address's uid for /home/index?uid=..&to_uid=.. and /home/room?uid=..),
// then wires connection, state, outbox, acks and views together.

import { mountLayout, $ } from './layout.js';
import { Connection } from './connection.js';
import { ChatState } from './state.js';
import { Outbox } from './outbox.js';
import { Acker } from './acker.js';
import { Chat } from './chat.js';
import { ConvList } from './convlist.js';
import { ChatView } from './chatview.js';
import { Composer } from './composer.js';
import { Status } from './status.js';
import { showSignIn } from './signin.js';
import { clearSession, deviceId, fromAddress, resolveSession, saveSession } from './session.js';
import { directConv } from './ids.js';

let started = false;
mountLayout($('root'));
const address = fromAddress();
const session = resolveSession(address);
if (session) start(session, address.open);
else askSignIn({ userId: address.userId });

function askSignIn(opts) {
  showSignIn({
    signin: $('signin'), app: $('app'), form: $('signin-form'), user: $('signin-user'),
    appId: $('signin-app'), token: $('signin-token'), error: $('signin-error'),
  }, opts, (s) => {
    const saved = saveSession(s);
    if (started) return location.reload(); // a refused sign-in: start afresh
    $('signin').hidden = true;
    start(saved, address.open);
  });
}

function start(session, openFromAddress) {
  started = true;
  const me = { userId: session.userId, appId: session.appId };
  const login = { userId: me.userId, appId: me.appId, deviceId: deviceId(session), ackMode: 'manual' };
  if (session.token) login.token = session.token;

  const conn = new Connection(login);
  const state = new ChatState(me);
  const outbox = new Outbox(`chorus.outbox.${me.appId}.${me.userId}`);
  const status = new Status(
    { conn: $('conn'), connText: $('conn-text'), retry: $('conn-retry'), bar: $('conn-bar'), toasts: $('toasts') },
    () => conn.retryNow(),
  );
  const chat = new Chat({ state, conn, outbox, acker: new Acker(conn), notify: (t, k) => status.toast(t, k) });
  const app = $('app');

  const view = new ChatView(state, outbox, {
    chat: $('chat'), noChat: $('no-chat'), title: $('chat-title'), sub: $('chat-sub'), leave: $('leave'),
    scroller: $('scroller'), historyState: $('history-state'), messages: $('messages'), pending: $('pending'),
    jump: $('jump'), typing: $('typing'),
  }, {
    fetchHistory: (conv, before, limit) => chat.fetchHistory(conv, before, limit),
    markRead: (conv, seq) => chat.markRead(conv, seq),
    retry: (id) => chat.retry(id),
    discard: (id) => chat.discard(id),
    leave: (conv) => chat.leave(conv),
  });
  chat.onCaughtUp = () => view.afterChange();

  const openConv = (conv) => {
    chat.open(conv);
    app.dataset.pane = conv ? 'chat' : 'list';
    if (conv) composer.focus();
  };
  new ConvList(state, { list: $('conv-list'), empty: $('conv-empty') }, openConv);
  const composer = new Composer({ form: $('composer'), input: $('input') }, {
    onSend: (text) => chat.send(text),
    onTyping: (on) => chat.typing(on),
  });

  $('back').addEventListener('click', () => openConv(null));
  $('new-chat').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = $('new-id').value.trim();
    if (ev.submitter && ev.submitter.value === 'room') chat.joinRoom(id).then(() => (app.dataset.pane = 'chat'));
    else openConv(directConv(me.userId, id));
    $('new-id').value = '';
  });
  $('signout').addEventListener('click', () => {
    conn.stop();
    clearSession();
    location.assign('/');
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && app.dataset.pane === 'chat' && window.matchMedia('(max-width: 720px)').matches) openConv(null);
  });

  const refreshStatus = (detail) => status.show(detail, outbox.items.length);
  let last = { state: 'connecting' };
  conn.addEventListener('state', (e) => refreshStatus((last = e.detail)));
  outbox.addEventListener('change', () => refreshStatus(last));
  conn.addEventListener('fatal', (e) => {
    clearSession();
    app.hidden = true;
    askSignIn({ userId: me.userId, appId: me.appId, error: `Sign-in refused: ${e.detail.msg} (${e.detail.code})` });
  });

  $('me').textContent = me.appId === '101' ? me.userId : `${me.userId} @ app ${me.appId}`;
  $('signin').hidden = true;
  app.hidden = false;
  window.chorus = { state, conn, outbox, chat }; // for the console and the e2e tests
  conn.start();

  if (openFromAddress && openFromAddress.kind === 'room') {
    chat.joinRoom(openFromAddress.id);
    app.dataset.pane = 'chat';
  } else if (openFromAddress) {
    openConv(directConv(me.userId, openFromAddress.id));
  } else {
    const again = sessionStorage.getItem(`${state.keyPrefix}.open`);
    if (again) openConv(again);
  }
}
