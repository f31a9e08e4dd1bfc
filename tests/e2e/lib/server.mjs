// server.mjs: starts and stops a real chorusd for the e2e tests: its own
// database in a temporary folder, --port 0 the first time (the port is read
// from "listening on http://127.0.0.1:PORT" on stdout) and the same port and
// database on a restart. Stopped by PID, also when a test fails.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const CHORUSD = process.env.CHORUSD || join(ROOT, 'build/dev/chorusd');
const START_TIMEOUT_MS = 15000;

const running = new Set();
process.on('exit', () => {
  for (const s of running) s.kill();
});

export class Chorusd {
  constructor(extraArgs = []) {
    this.dir = mkdtempSync(join(tmpdir(), 'chorus-e2e-'));
    this.db = join(this.dir, 'chorus.db');
    this.extraArgs = extraArgs;
    this.port = 0;
    this.proc = null;
    this.log = createWriteStream(join(this.dir, 'chorusd.log'), { flags: 'a' });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!existsSync(CHORUSD)) throw new Error(`chorusd not found at ${CHORUSD}: build it or set CHORUSD`);
    const args = ['--port', String(this.port), '--db', this.db, '--threads', '2',
      '--web-root', join(ROOT, 'web'), ...this.extraArgs];
    const proc = spawn(CHORUSD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    running.add(this);
    proc.stderr.on('data', (d) => this.log.write(d));
    const exited = new Promise((res) => proc.once('exit', (code, sig) => res({ code, sig })));
    this.exited = exited;
    const port = await new Promise((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`chorusd did not report its port in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      proc.stdout.on('data', (d) => {
        this.log.write(d);
        out += d;
        const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) {
          clearTimeout(timer);
          res(Number(m[1]));
        }
      });
      exited.then(({ code, sig }) => {
        clearTimeout(timer);
        rej(new Error(`chorusd exited (${code ?? sig}) before listening; log: ${join(this.dir, 'chorusd.log')}`));
      });
    });
    this.port = port;
    return this;
  }

  // SIGTERM, then SIGKILL if it takes more than 5 s.
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
    running.delete(this);
  }

  kill() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  async restart() {
    await this.stop();
    return this.start();
  }

  async cleanup() {
    await this.stop();
    this.log.end();
    if (!process.env.E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}
