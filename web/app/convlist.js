// convlist.js: the conversation list (sidebar): one button per one-to-one chat
// or room, most recent activity first, with its last message (or "typing..."),
// time and unread count. Redrawn whole on the state's 'list' event, at most
// once per animation frame.

import { preview } from './markdown.js';
import { clock } from './format.js';

export class ConvList {
  constructor(state, els, onOpen) {
    this.state = state;
    this.els = els; // {list, empty}
    this.frame = 0;
    const later = () => this.schedule();
    for (const ev of ['list', 'open', 'removed']) state.addEventListener(ev, later);
    els.list.addEventListener('click', (ev) => {
      const button = ev.target.closest('button[data-conv]');
      if (button) onOpen(button.dataset.conv);
    });
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    this.frame = 0;
    const { state, els } = this;
    const hadFocus = document.activeElement && document.activeElement.closest('#conv-list button');
    const focusConv = hadFocus ? document.activeElement.dataset.conv : null;
    const shown = state.sorted().filter((c) => c.listed || c.remembered || c.lastSeq > 0);
    els.list.replaceChildren(...shown.map((c) => this.item(c)));
    els.empty.hidden = shown.length > 0;
    let total = 0;
    for (const c of shown) total += state.unread(c);
    document.title = total ? `(${total}) Chorus` : 'Chorus';
    if (focusConv) {
      const again = els.list.querySelector(`button[data-conv="${CSS.escape(focusConv)}"]`);
      if (again) again.focus();
    }
  }

  item(c) {
    const me = this.state.me.userId;
    const li = document.createElement('li');
    const b = el('button', 'conv');
    b.type = 'button';
    b.dataset.conv = c.conv;
    if (c.conv === this.state.openConv) b.setAttribute('aria-current', 'true');

    const name = c.kind === 'room' ? `# ${c.groupsId}` : c.peer === me ? `${me} (you)` : c.peer;
    const avatar = el('span', `avatar ${c.kind}`, c.kind === 'room' ? '#' : c.peer.slice(0, 1).toUpperCase());
    avatar.setAttribute('aria-hidden', 'true');

    const top = el('span', 'conv-top');
    top.append(el('span', 'conv-name', name));
    if (c.last) top.append(el('time', 'conv-time', clock(c.last)));

    const bottom = el('span', 'conv-bottom');
    const typers = [...c.typing.keys()];
    if (typers.length) {
      bottom.append(el('span', 'conv-last is-typing', c.kind === 'room' ? `${typers[0]} is typing…` : 'typing…'));
    } else if (c.last) {
      const who = c.last.from === me ? 'You: ' : c.kind === 'room' ? `${c.last.from}: ` : '';
      bottom.append(el('span', 'conv-last', who + preview(c.last.content)));
    } else {
      bottom.append(el('span', 'conv-last empty-conv', 'No messages yet'));
    }
    const unread = this.state.unread(c);
    if (unread) {
      const badge = el('span', 'badge', unread > 999 ? '999+' : String(unread));
      badge.setAttribute('aria-label', `${unread} unread`);
      bottom.append(badge);
    }
    const main = el('span', 'conv-main');
    main.append(top, bottom);
    b.append(avatar, main);
    li.append(b);
    return li;
  }
}

function el(tag, cls, text) {
  const n = document.createElement(tag);
  n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}
