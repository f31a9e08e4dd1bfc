// status.js: the connection line in the sidebar (connecting, connected,
// offline with a countdown to the next try and a "Reconnect now" button)
// and short-lived notices (toasts) for errors.

const TOAST_MS = 6000;

export class Status {
  constructor(els, onRetry) {
    this.els = els; // {conn, connText, retry, bar, toasts}
    this.tick = 0;
    els.retry.addEventListener('click', onRetry);
  }

  // detail: the connection's 'state' event ({state, retryAt, reason}); pending: unsent count.
  show({ state, retryAt, reason }, pending = 0) {
    clearInterval(this.tick);
    const { conn, connText, retry, bar } = this.els;
    conn.dataset.state = state;
    document.body.dataset.conn = state;
    retry.hidden = state !== 'offline';
    bar.hidden = state === 'online';
    const queued = pending ? ` ${pending} message${pending > 1 ? 's' : ''} waiting to be sent.` : '';
    const say = (text) => {
      connText.textContent = text;
      bar.textContent = text; // the same, over the chat (the only pane on a phone)
    };
    if (state === 'online') say('Connected');
    else if (state === 'connecting') say('Connecting…');
    else if (state === 'stopped') say('Disconnected');
    else {
      const draw = () => {
        const s = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
        say(`Offline (${reason}). Reconnecting in ${s} s.${queued}`);
      };
      draw();
      this.tick = setInterval(draw, 1000);
    }
  }

  toast(text, kind = 'error') {
    const t = document.createElement('div');
    t.className = `toast ${kind}`;
    t.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    t.textContent = text;
    this.els.toasts.append(t);
    setTimeout(() => t.remove(), TOAST_MS);
  }
}
