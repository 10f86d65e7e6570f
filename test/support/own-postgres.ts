import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
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
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<OwnPostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-pg-'));
    const pg = new OwnPostgres(dir, await freePort());
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    await pg.run(`${BIN}/initdb`, ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await pg.up();
    return pg;
  }

  get url() {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async run(bin: string, args: string[]): Promise<void> {
    const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    await promisify(execFile)(cmd, argv as string[]);
  }

  private get data() {
    return path.join(this.dir, 'data');
  }

  /** Starts the server (data kept from before) with pg_ctl and waits until it accepts queries. */
  async up(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.run(`${BIN}/pg_ctl`, ['-D', this.data, '-o', options, '-l', path.join(this.dir, 'server.log'), '-w', 'start']);
    const c = new Client({ connectionString: this.url });
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
  }

  /** Fast shutdown: every connection is cut, the data stays. */
  async down(): Promise<void> {
    await this.run(`${BIN}/pg_ctl`, ['-D', this.data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  async destroy(): Promise<void> {
    await this.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
