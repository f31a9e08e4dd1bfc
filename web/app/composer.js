// composer.js: the message box. Enter sends, Shift+Enter starts a new line
// (and so does Enter while an input method is composing); the box grows
// with its text. While the user types it calls onTyping(true) (the caller
// throttles), and onTyping(false) when the box loses focus.

const MAX_ROWS_PX = 180;

export class Composer {
  constructor(els, { onSend, onTyping }) {
    this.els = els; // {form, input}
    els.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.submit(onSend);
      }
    });
    els.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit(onSend);
    });
    els.input.addEventListener('input', () => {
      this.grow();
      if (els.input.value.trim()) onTyping(true);
    });
    els.input.addEventListener('blur', () => onTyping(false));
  }

  submit(onSend) {
    const text = this.els.input.value;
    if (!text.trim()) return;
    onSend(text.replace(/\s+$/, ''));
    this.els.input.value = '';
    this.grow();
    this.els.input.focus();
  }

  grow() {
    const t = this.els.input;
    t.style.height = 'auto';
    t.style.height = `${Math.min(t.scrollHeight, MAX_ROWS_PX)}px`;
  }

  focus() {
    this.els.input.focus();
  }
}
