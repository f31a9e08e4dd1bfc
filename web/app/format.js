// format.js: small text helpers for the views: times and lists of names.

import { msgTime } from './state.js';

// "14:05" today, "Mon 14:05" this week, else "2025-11-26".
export function clock(m) {
  const d = new Date(msgTime(m));
  const now = new Date();
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return hm;
  if (now - d < 6 * 864e5) return `${d.toLocaleDateString([], { weekday: 'short' })} ${hm}`;
  return d.toISOString().slice(0, 10);
}

export function fullTime(m) {
  return new Date(msgTime(m)).toLocaleString();
}

// "2", "2 and 3", "2, 3 and 4", "5 people".
export function names(list) {
  if (list.length > 3) return `${list.length} people`;
  if (list.length < 2) return list.join('');
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}
