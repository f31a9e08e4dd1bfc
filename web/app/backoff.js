// backoff.js: reconnect delays, exponential with jitter: attempt n waits a
// random time between half and all of min(cap, base * 2^n), so that many
// clients that lost the same server do not all come back at once.

export class Backoff {
  constructor({ base = 500, cap = 10000 } = {}) {
    this.base = base;
    this.cap = cap;
    this.attempt = 0;
  }

  next() {
    const ceiling = Math.min(this.cap, this.base * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling * (0.5 + Math.random() * 0.5));
  }

  reset() {
    this.attempt = 0;
  }
}
