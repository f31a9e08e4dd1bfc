// ids.js: Chorus ids and conversation names (docs/protocol.md, "Ids" and
// "Conversations and order"): a pair is "d:<smaller>|<larger>", a room "r:<groupsId>".

export const ID_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;

export const validId = (s) => typeof s === 'string' && ID_RE.test(s);

// A recipient or room: "0" means "none" in the protocol.
export const validTarget = (s) => validId(s) && s !== '0';

// Ids are ASCII, so JavaScript's string order is the server's byte order.
export const directConv = (a, b) => (a < b ? `d:${a}|${b}` : `d:${b}|${a}`);

export const roomConv = (groupsId) => `r:${groupsId}`;

// What a conversation name says, seen by user `me`.
export function parseConv(conv, me) {
  if (conv.startsWith('r:')) return { kind: 'room', groupsId: conv.slice(2), peer: '0' };
  const [a, b] = conv.slice(2).split('|');
  return { kind: 'direct', groupsId: '0', peer: a === me ? b : a };
}

// Random id usable as msgId or deviceId (crypto.randomUUID needs a secure context).
export function randomId(prefix = '') {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
