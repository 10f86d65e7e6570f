import * as fs from 'node:fs/promises';
import * as nodeModule from 'node:module';
import type { PGlite as PGliteClass } from '@electric-sql/pglite';
import { PgliteSessionServer } from './session-server';

/**
 * PGlite loads its WASM and Node built-ins with dynamic import(), which Jest's module sandbox
 * rejects (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG). Node's own require loads it outside that
 * sandbox (Jest hands out its own 'module' built-in, so it is taken from process.getBuiltinModule,
 * Node >= 20.16); in a normal process this is the same as a plain import.
 */
const realModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:module') as typeof nodeModule | undefined;
const { PGlite } = (realModule ?? nodeModule).createRequire(__filename)('@electric-sql/pglite') as { PGlite: typeof PGliteClass };

export interface EmbeddedPostgresOptions {
  /** Folder PGlite keeps the database in; created on first start, reopened after. */
  dataDir: string;
  /** Loopback port to serve on; a free one when omitted. */
  port?: number;
  /** Called with errors that cost a client its connection (logged by the caller, not thrown). */
  onError?: (e: unknown) => void;
}

export interface EmbeddedPostgres {
  /** postgresql:// URL for pg, @prisma/adapter-pg, the migrator, psql. */
  url: string;
  port: number;
  /** Closes every client connection, then shuts PGlite down cleanly (data flushed to dataDir). */
  stop(): Promise<void>;
}

/**
 * Postgres for a machine with no DATABASE_URL: PGlite (Postgres 17 compiled to WASM) persisted to
 * dataDir and served over the Postgres wire protocol on 127.0.0.1, so the app reaches it through
 * the same pg / @prisma/adapter-pg code as a real server. Any number of connections, from this and
 * other processes, share PGlite's single session whole protocol cycles and transactions at a time
 * (see PgliteSessionServer). One process owns a dataDir at a time.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  await fs.mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  const server = new PgliteSessionServer(db, options.onError);
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, '127.0.0.1');
  } catch (e) {
    await db.close();
    throw e;
  }
  let stopped: Promise<void> | null = null;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () =>
      (stopped ??= (async () => {
        await server.close();
        await db.close();
      })()),
  };
}
