// session.js: who is signed in (localStorage, shared by the browser's tabs),
// this tab's deviceId (sessionStorage: every tab is its own device with its
// own delivery cursor), and what the page address asks for
// (/home/index?uid=1&to_uid=2, /home/room?uid=1&groupsId=7, /?uid=..).

import { randomId, validId, validTarget } from './ids.js';

const SESSION_KEY = 'chorus.session';
const DEFAULT_APP_ID = '101';

export function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    return s && validId(s.userId) && validId(s.appId) ? s : null;
  } catch {
    return null;
  }
}

export function saveSession({ userId, appId, token }) {
  const s = { userId, appId: appId || DEFAULT_APP_ID, token: token || '' };
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  return s;
}

export function clearSession() {
  localStorage.removeItem(SESSION_KEY);
}

export function deviceId(session) {
  const key = `chorus.device.${session.appId}.${session.userId}`;
  let id = sessionStorage.getItem(key);
  if (!id) {
    id = randomId('web-');
    sessionStorage.setItem(key, id);
  }
  return id;
}

// What the address asks for: {userId, appId, open: {kind, id}} (each part may be missing).
export function fromAddress(loc = location) {
  const q = new URLSearchParams(loc.search);
  const uid = q.get('uid') || q.get('userId') || '';
  const appId = q.get('appId') || '';
  const isRoomPage = loc.pathname === '/home/room' || loc.pathname === '/home/room.html';
  const out = { userId: validId(uid) ? uid : '', appId: validId(appId) ? appId : '' };
  const to = q.get('to_uid') || '';
  const room = q.get('groupsId') || (isRoomPage ? '1' : '');
  if (validTarget(room)) out.open = { kind: 'room', id: room };
  else if (validTarget(to)) out.open = { kind: 'direct', id: to };
  return out;
}

// The session to use: the address's user wins over the stored one (keeping the
// stored token and appId when it is the same user).
export function resolveSession(addr) {
  const stored = loadSession();
  if (!addr.userId) return stored;
  const same = stored && stored.userId === addr.userId && (!addr.appId || addr.appId === stored.appId);
  return saveSession({
    userId: addr.userId,
    appId: addr.appId || (same ? stored.appId : DEFAULT_APP_ID),
    token: same ? stored.token : '',
  });
}
