import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from './redis-server';

const BIN = process.env.TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A Postgres cluster of the test's own (initdb in a temp folder, its own port), so a test can stop
 * and start it mid-run. Never the machine's Postgres. Runs as the `postgres` OS user when the test
 * runs as root (initdb refuses root).
 */
export class OwnPostgres {
  private child?: ChildProcess;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<OwnPostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-pg-'));
    const pg = new OwnPostgres(dir, await freePort());
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    pg.run(`${BIN}/initdb`, ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], true);
    await pg.up();
    return pg;
  }

  get url() {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(bin: string, args: string[], sync: true): void;
  private run(bin: string, args: string[], sync: false): ChildProcess;
  private run(bin: string, args: string[], sync: boolean): ChildProcess | void {
    const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    if (sync) {
      execFileSync(cmd as string, argv as string[], { stdio: 'ignore' });
      return;
    }
    return spawn(cmd as string, argv as string[], { stdio: 'ignore' });
  }

  /** Starts the server (data kept from before) and waits until it accepts queries. */
  async up(): Promise<void> {
    this.child = this.run(`${BIN}/postgres`, ['-D', path.join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], false);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = new Client({ connectionString: this.url });
      try {
        await c.connect();
        await c.query('SELECT 1');
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error(`own postgres on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Fast shutdown (SIGINT to the postmaster): every connection is cut, the data stays. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    // runuser forwards the signal to the postmaster.
    child.kill('SIGINT');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
