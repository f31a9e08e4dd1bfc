// acker.js: manual delivery acks (login ackMode "manual"). The app notes the
// highest convSeq of each conversation it has taken in on this connection;
// a short timer sends one `ack` per conversation, so the server's cursor for
// this device only moves past what the page really has. What was not acked
// when a connection drops is sent again at the next login (state.js dedupes).

const FLUSH_MS = 300;

export class Acker {
  constructor(conn) {
    this.conn = conn;
    this.pending = new Map(); // conv -> convSeq
    this.acked = new Map(); // conv -> convSeq acked on this connection
    this.generation = -1;
    this.timer = 0;
  }

  // A new login: acks of the old connection would be refused (code 1001).
  reset() {
    this.pending.clear();
    this.acked.clear();
    this.generation = this.conn.generation;
  }

  note(conv, convSeq) {
    if (this.generation !== this.conn.generation) this.reset();
    if (convSeq <= (this.pending.get(conv) || this.acked.get(conv) || 0)) return;
    this.pending.set(conv, convSeq);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    this.timer = 0;
    if (this.generation !== this.conn.generation || !this.conn.online) return this.reset();
    for (const [conv, convSeq] of this.pending) {
      this.acked.set(conv, convSeq);
      this.conn.request('ack', { conv, convSeq }).then((res) => {
        if (res.code !== 200 && res.code !== 0) console.warn('ack refused', conv, convSeq, res);
      });
    }
    this.pending.clear();
  }
}
