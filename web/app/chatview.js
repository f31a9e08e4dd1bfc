// chatview.js: the open conversation: header (name, who is online, leave),
// the messages in convSeq order, the user's unsent messages below them, and
// "typing...". It shows a window of the conversation from `lo` up; scrolling
// near the top extends it by a page, asking the server (`history`) for what
// the state does not have. It reports what the user can see (for `read`).

import { renderContent, mentions } from './markdown.js';
import { clock, fullTime, names } from './format.js';

const PAGE = 50;
const NEAR_PX = 120;
const MAX_NODES = 300; // past this, while the user is at the bottom, the oldest leave the page
const KEEP_NODES = 150;

export class ChatView {
  constructor(state, outbox, els, actions) {
    this.state = state;
    this.outbox = outbox;
    this.els = els; // layout elements by id
    this.actions = actions; // {fetchHistory, markRead, retry, discard, leave}
    this.conv = null;
    this.lo = null; // lowest convSeq shown
    this.nodes = new Map(); // convSeq -> <li>
    this.loading = false;
    this.stuck = false; // the last try to extend upwards got nothing

    state.addEventListener('open', (e) => this.show(e.detail.conv));
    state.addEventListener('messages', (e) => e.detail.conv === this.conv && this.onMessages(e.detail.msgs));
    state.addEventListener('meta', (e) => e.detail.conv === this.conv && this.renderMeta());
    outbox.addEventListener('change', (e) => e.detail.conv === this.conv && this.renderPending());
    els.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    els.jump.addEventListener('click', () => this.toBottom());
    els.leave.addEventListener('click', () => this.conv && actions.leave(this.conv));
    els.pending.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-act]');
      if (b) actions[b.dataset.act](b.closest('li').dataset.msgId);
    });
    const recheck = () => this.checkRead();
    window.addEventListener('focus', recheck);
    document.addEventListener('visibilitychange', recheck);
  }

  c() {
    return this.state.get(this.conv);
  }

  show(conv) {
    this.conv = conv;
    this.nodes.clear();
    this.lo = null;
    this.loading = false;
    this.stuck = false;
    this.els.messages.replaceChildren();
    this.els.chat.hidden = !conv;
    this.els.noChat.hidden = Boolean(conv);
    this.els.historyState.textContent = '';
    if (!conv) return;
    const c = this.c();
    this.els.title.textContent = c.kind === 'room' ? `# ${c.groupsId}` : c.peer;
    this.els.leave.hidden = c.kind !== 'room';
    // Start with the newest page the state has without gaps.
    const top = Math.max(0, ...c.messages.keys());
    let lo = top;
    while (lo > 1 && top - lo < PAGE - 1 && c.messages.has(lo - 1)) lo--;
    if (top) this.insert([...range(lo, top)].map((s) => c.messages.get(s)).filter(Boolean));
    this.renderMeta();
    this.renderPending();
    this.toBottom();
    this.actions.fetchHistory(conv).then((ok) => (ok || this.lo !== null) && conv === this.conv && this.afterChange());
  }

  onMessages(msgs) {
    const stick = this.nearBottom() || msgs.some((m) => m.from === this.state.me.userId);
    const first = this.lo === null;
    const shown = this.insert(msgs.filter((m) => first || Number(m.convSeq) >= this.lo));
    if (!shown) return;
    if (first) this.els.historyState.textContent = '';
    if (stick) this.trim();
    if (stick) this.toBottom();
    else this.els.jump.hidden = false;
    this.afterChange();
  }

  // Puts messages into the list at their convSeq place; returns how many.
  insert(msgs) {
    let n = 0;
    for (const m of msgs) {
      const seq = Number(m.convSeq);
      if (this.nodes.has(seq)) continue;
      const node = this.messageNode(m);
      this.nodes.set(seq, node);
      let next = null; // the first shown message after this one
      for (let x = this.els.messages.lastElementChild; x && Number(x.dataset.seq) > seq; x = x.previousElementSibling) next = x;
      this.els.messages.insertBefore(node, next);
      if (this.lo === null || seq < this.lo) this.lo = seq;
      n++;
    }
    if (n) this.renderMarks();
    return n;
  }

  messageNode(m) {
    const me = this.state.me.userId;
    const mine = m.from === me;
    const li = document.createElement('li');
    li.className = `msg${mine ? ' mine' : ''}${!mine && mentions(m.content, me) ? ' mentions-me' : ''}`;
    li.dataset.seq = m.convSeq;
    li.dataset.from = m.from;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = mine ? 'You' : m.from;
    const time = document.createElement('time');
    time.textContent = clock(m);
    time.title = fullTime(m);
    meta.append(from, time);
    const content = document.createElement('div');
    content.className = 'content';
    content.append(renderContent(m.content, me));
    li.append(meta, content);
    if (mine && this.c().kind === 'direct') {
      const mark = document.createElement('span');
      mark.className = 'mark';
      meta.append(mark);
    }
    return li;
  }

  // Keeps the page light in a long or busy conversation: the oldest shown
  // messages go (they stay in the state; scrolling up brings them back).
  trim() {
    if (this.nodes.size <= MAX_NODES) return;
    const lo = [...this.nodes.keys()].sort((a, b) => a - b).at(-KEEP_NODES);
    for (const [seq, node] of this.nodes) {
      if (seq >= lo) continue;
      node.remove();
      this.nodes.delete(seq);
    }
    this.lo = lo;
    this.stuck = false;
    this.els.historyState.textContent = '';
  }

  // Sent / delivered / read marks on the user's own one-to-one messages.
  renderMarks() {
    const c = this.c();
    if (c.kind !== 'direct') return;
    for (const mark of this.els.messages.querySelectorAll('.msg.mine .mark')) {
      const seq = Number(mark.closest('li').dataset.seq);
      const state = seq <= c.peerRead ? 'read' : seq <= c.delivered ? 'delivered' : 'sent';
      if (mark.dataset.mark === state) continue;
      mark.dataset.mark = state;
      mark.textContent = state === 'sent' ? '✓' : '✓✓';
      mark.title = state;
      mark.setAttribute('aria-label', state);
    }
  }

  renderMeta() {
    const c = this.c();
    const me = this.state.me.userId;
    let sub = '';
    if (c.online) {
      if (c.kind === 'direct') sub = c.online.has(c.peer) ? 'online' : 'offline';
      else {
        const others = [...c.online].filter((u) => u !== me).sort();
        sub = others.length ? `online: ${others.join(', ')}` : 'nobody else online';
      }
    }
    this.els.sub.textContent = sub;
    this.els.sub.dataset.online = c.kind === 'direct' && c.online ? String(c.online.has(c.peer)) : '';
    const typers = [...c.typing.keys()].filter((u) => u !== me);
    this.els.typing.textContent = typers.length
      ? `${c.kind === 'direct' ? c.peer : names(typers)} ${typers.length > 1 ? 'are' : 'is'} typing…` : '';
    this.renderMarks();
  }

  renderPending() {
    const stick = this.nearBottom();
    const items = this.outbox.forConv(this.conv);
    this.els.pending.replaceChildren(...items.map((it) => this.pendingNode(it)));
    if (stick && items.length) this.toBottom();
  }

  pendingNode(it) {
    const li = document.createElement('li');
    li.className = `msg mine pending ${it.state}`;
    li.dataset.msgId = it.msgId;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const status = document.createElement('span');
    status.className = 'status';
    status.textContent = it.state === 'failed' ? `not sent: ${it.error}` : it.state === 'sending' ? 'sending…' : 'queued: will be sent when connected';
    meta.append(status);
    if (it.state === 'failed') {
      for (const [act, label] of [['retry', 'Retry'], ['discard', 'Discard']]) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'link';
        b.dataset.act = act;
        b.textContent = label;
        meta.append(b);
      }
    }
    const content = document.createElement('div');
    content.className = 'content';
    content.append(renderContent(it.text, this.state.me.userId));
    li.append(meta, content);
    return li;
  }

  onScroll() {
    if (this.nearBottom()) this.els.jump.hidden = true;
    if (this.els.scroller.scrollTop < NEAR_PX) {
      this.stuck = false; // the user asks again
      this.older();
    }
    this.checkRead();
  }

  // Extends the window by a page upwards (from the state, else from the server).
  async older() {
    const c = this.c();
    if (this.loading || this.lo === null || this.lo <= 1) return;
    this.loading = true;
    const conv = this.conv;
    const want = Math.max(1, this.lo - PAGE);
    const missing = () => [...range(want, this.lo - 1)].some((s) => !c.messages.has(s));
    if (missing()) {
      this.els.historyState.textContent = 'Loading older messages…';
      const ok = await this.actions.fetchHistory(conv, this.lo, this.lo - want);
      if (conv !== this.conv) return;
      this.els.historyState.textContent = ok ? '' : 'Could not load older messages (offline?): scroll up to retry';
    }
    let lo = this.lo;
    while (lo > want && c.messages.has(lo - 1)) lo--;
    this.stuck = lo === this.lo;
    const s = this.els.scroller;
    const fromBottom = s.scrollHeight - s.scrollTop;
    this.insert([...range(lo, this.lo - 1)].map((q) => c.messages.get(q)));
    s.scrollTop = s.scrollHeight - fromBottom; // keep what the user was looking at in place
    this.loading = false;
    this.afterChange();
  }

  // After messages were added: fill a screen that is not full yet, mark read.
  afterChange() {
    if (!this.conv) return;
    if (this.lo === 1) this.els.historyState.textContent = 'This is the beginning of the conversation.';
    if (this.lo === null) this.els.historyState.textContent = 'No messages yet.';
    const s = this.els.scroller;
    if (!this.stuck && this.lo > 1 && s.scrollHeight <= s.clientHeight + NEAR_PX) this.older();
    this.checkRead();
  }

  // The newest message that is on screen, while the tab is in front.
  checkRead() {
    if (!this.conv || document.visibilityState !== 'visible' || !document.hasFocus()) return;
    const s = this.els.scroller;
    if (!s.clientHeight) return; // pane hidden (phone, list shown)
    const bottom = s.getBoundingClientRect().bottom;
    for (let x = this.els.messages.lastElementChild; x; x = x.previousElementSibling) {
      if (x.getBoundingClientRect().top < bottom) {
        this.actions.markRead(this.conv, Number(x.dataset.seq));
        return;
      }
    }
  }

  nearBottom() {
    const s = this.els.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_PX;
  }

  toBottom() {
    const s = this.els.scroller;
    s.scrollTop = s.scrollHeight;
    this.els.jump.hidden = true;
    this.checkRead();
  }
}

function* range(a, b) {
  for (let i = a; i <= b; i++) yield i;
}
