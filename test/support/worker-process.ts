import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const WORKER_MAIN = path.resolve(__dirname, '../../dist/apps/worker/src/main.js');

/** The compiled entry points (`npm run start:api` / `start:worker` / `start:serve` run these). */
export const APP_MAINS = {
  api: path.resolve(__dirname, '../../dist/apps/api/src/main.js'),
  worker: WORKER_MAIN,
  serve: path.resolve(__dirname, '../../dist/apps/serve/src/main.js'),
};

/** A worker (or api, serve: pass its main) as production runs it: its own OS process (compiled by `npm run build`), its own env. */
export class WorkerProcess {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, env: Record<string, string>, main: string = WORKER_MAIN) {
    this.child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => this.output.push(...chunk.toString().split('\n').filter(Boolean));
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid() {
    return this.child.pid!;
  }

  log(): string {
    return this.output.join('\n');
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.log().match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before ${pattern}:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${pattern} in ${timeoutMs} ms:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  signal(sig: NodeJS.Signals) {
    this.child.kill(sig);
  }

  async stop() {
    if (this.child.exitCode === null) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
