import * as net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * A Postgres wire-protocol server in front of one PGlite instance that accepts any number of
 * connections and lends PGlite's single session to one connection at a time, for whole protocol
 * cycles: from a connection's first message until the backend is idle outside a transaction at a
 * cycle boundary (after Sync or a simple Query). An open transaction keeps the session, so other
 * connections' queries queue behind it and never run inside it.
 *
 * Why not PGLiteSocketServer (@electric-sql/pglite-socket 0.2.17): by default it serves one
 * connection and answers any other with the bare text "Too many connections" (which pg reports as
 * "Connection terminated unexpectedly"); with maxConnections > 1 it queues single protocol messages,
 * so one connection's Parse/Bind/Execute can interleave with another's outside a transaction. Its
 * handshake handling (SSL refusal, forwarding the startup packet to PGlite) is what this mirrors.
 *
 * Shared session caveats (none matter to pg/Prisma, which use unnamed statements): named prepared
 * statements, SET and temporary tables are visible across connections; pg_advisory_lock (session
 * level) is one lock holder for everyone, so use pg_advisory_xact_lock; a connection that keeps a
 * transaction open blocks all others until it ends (or disconnects: then it is rolled back).
 */
export class PgliteSessionServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly lock = new Mutex();

  /** onError hears failures that cost a connection its session (the connection is closed). */
  constructor(
    private readonly db: PGlite,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Stops accepting, closes every connection, and waits until PGlite is idle. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // whoever holds the session rolls back on close; waiting for the lock waits for that
    const release = await this.lock.acquire();
    release();
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const conn = new Connection(socket, this.db, this.lock, this.onError);
    socket.on('data', (chunk) => conn.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      void conn.closed();
    });
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]); // 'S', length 4

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private release: (() => void) | null = null;
  /** Messages of this connection run strictly in order. */
  private chain: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly db: PGlite,
    private readonly lock: Mutex,
    private readonly onError: (e: unknown) => void,
  ) {}

  receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const message = this.nextMessage();
      if (!message) break;
      this.chain = this.chain.then(() => this.handle(message)).catch((e) => this.fail(e));
    }
  }

  /** Cuts one complete message off the buffer: untyped (length first) before startup, typed after. */
  private nextMessage(): { type: number | null; bytes: Buffer } | null {
    const b = this.buffer;
    if (!this.started) {
      if (b.length < 8) return null;
      const length = b.readInt32BE(0);
      if (b.length < length) return null;
      this.buffer = b.subarray(length);
      const code = b.readInt32BE(4);
      if (code === PROTOCOL_3) this.started = true;
      return { type: null, bytes: b.subarray(0, length) };
    }
    if (b.length < 5) return null;
    const length = 1 + b.readInt32BE(1);
    if (b.length < length) return null;
    this.buffer = b.subarray(length);
    return { type: b[0], bytes: b.subarray(0, length) };
  }

  private async handle({ type, bytes }: { type: number | null; bytes: Buffer }): Promise<void> {
    if (this.ended) return;
    if (type === null) {
      const code = bytes.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N'); // no encryption; the client goes on in plain text
        return;
      }
      if (code === CANCEL_REQUEST || code !== PROTOCOL_3) {
        this.socket.end(); // cancelling is not supported
        return;
      }
      await this.run(bytes);
      this.releaseIfIdle(); // the startup reply ends with ReadyForQuery
      return;
    }
    if (type === 0x58 /* 'X' Terminate */) {
      this.ended = true;
      await this.cleanUp();
      this.socket.end();
      return;
    }
    await this.run(bytes);
    if (type === 0x53 /* 'S' Sync */ || type === 0x51 /* 'Q' Query */) this.releaseIfIdle();
  }

  private async run(bytes: Buffer): Promise<void> {
    if (!this.release) this.release = await this.lock.acquire();
    if (this.ended) return;
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(new Uint8Array(bytes), {
        onRawData: (data) => {
          if (data.length > 0 && this.socket.writable) this.socket.write(Buffer.from(data));
        },
      }),
    );
  }

  private releaseIfIdle(): void {
    if (this.release && !this.db.isInTransaction()) {
      const release = this.release;
      this.release = null;
      release();
    }
  }

  /** Leaves the shared session as a fresh connection would find it, and gives it back. */
  private async cleanUp(): Promise<void> {
    if (!this.release) return;
    try {
      // end any half-sent extended-protocol cycle, then abandon an open transaction
      await this.db.runExclusive(() => this.db.execProtocolRawStream(new Uint8Array(SYNC), { onRawData: () => undefined }));
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } catch (e) {
      this.onError(e);
    } finally {
      const release = this.release;
      this.release = null;
      release?.();
    }
  }

  async closed(): Promise<void> {
    this.ended = true;
    await this.chain;
    await this.cleanUp();
  }

  private async fail(e: unknown): Promise<void> {
    this.onError(e);
    this.ended = true;
    this.socket.destroy();
    await this.cleanUp();
  }
}

/** FIFO mutex: acquire() resolves with the function that releases it. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
