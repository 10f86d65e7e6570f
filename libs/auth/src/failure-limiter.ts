import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import Redis from 'ioredis';

const WINDOW_MS = 60_000;
/** Addresses remembered at once; the oldest are forgotten first (a flood of addresses cannot grow memory). */
const MAX_ADDRESSES = 50_000;
/** A Redis that does not answer within this is skipped (this process's own count is used instead). */
const REDIS_TIMEOUT_MS = 500;
/**
 * How long one read of an address's shared count is reused by this process before Redis is asked
 * again. An application calling predict thousands of times a second from one address costs a few
 * Redis reads a second, not one per request; a failure counted by another process is seen here within
 * this long (this process's own failures are seen at once).
 */
export const SHARED_COUNT_REUSE_MS = 500;
/** One failure: count it, and start the window's clock on the first one (atomic, one round trip). */
const INCR_WINDOW = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

interface Window {
  failures: number;
  /** ms until the window ends */
  remainingMs: number;
}

/** Where the failure counts live: this process's memory, or Redis shared by every api and serve process. */
interface FailureStore {
  get(address: string): Promise<Window | undefined>;
  fail(address: string): Promise<void>;
  close(): void;
}

class MemoryStore implements FailureStore {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  constructor(private readonly now: () => number) {}

  async get(address: string) {
    const w = this.current(address);
    return w && { failures: w.failures, remainingMs: w.start + WINDOW_MS - this.now() };
  }

  async fail(address: string) {
    const w = this.current(address);
    if (w) {
      w.failures++;
      return;
    }
    this.windows.set(address, { start: this.now(), failures: 1 });
    if (this.windows.size > MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
  }

  close() {}

  private current(address: string) {
    const w = this.windows.get(address);
    if (w && this.now() - w.start < WINDOW_MS) return w;
    if (w) this.windows.delete(address);
    return undefined;
  }
}

/** Fixed windows as Redis keys `<QUEUE_PREFIX>:authfail:<address>` that expire with their window. */
class RedisStore implements FailureStore {
  private client?: Redis;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {}

  /** Connected on first use: a process that never authenticates (a CLI, a worker) opens nothing. */
  private get redis(): Redis {
    if (!this.client) {
      this.client = new Redis(this.url, { maxRetriesPerRequest: 1, commandTimeout: REDIS_TIMEOUT_MS, connectTimeout: 2_000 });
      this.client.on('error', () => undefined); // a Redis outage is handled per call (the local count stands in)
    }
    return this.client;
  }

  private key(address: string) {
    return `${this.prefix}:authfail:${address}`;
  }

  async get(address: string) {
    const res = await this.redis.multi().get(this.key(address)).pttl(this.key(address)).exec();
    const failures = Number(res?.[0]?.[1] ?? 0);
    const remainingMs = Number(res?.[1]?.[1] ?? -2);
    return failures > 0 && remainingMs > 0 ? { failures, remainingMs } : undefined;
  }

  async fail(address: string) {
    await this.redis.eval(INCR_WINDOW, 1, this.key(address), WINDOW_MS);
  }

  close() {
    this.client?.disconnect();
  }
}

/**
 * Failed authentications per client address, in fixed one-minute windows: past
 * AUTH_FAILURES_PER_MINUTE an address gets RATE_LIMITED (429, Retry-After) until its window ends,
 * even with a valid key, so keys cannot be guessed at speed. With REDIS_URL set the counts live in
 * Redis, shared by every api and serve process (N replicas still allow the limit once, not N times);
 * in the embedded mode (no Redis) they live in this process's memory. A read of the shared count is
 * reused for SHARED_COUNT_REUSE_MS (so a busy client costs a few Redis reads a second, not one per
 * request), and a window over the limit until it ends. When Redis does not answer
 * within half a second, this process's own count stands in, so authentication never waits on it.
 */
@Injectable()
export class AuthFailureLimiter implements OnModuleDestroy {
  private readonly limit: number;
  private readonly memory: MemoryStore;
  private readonly shared?: FailureStore;
  private readonly logger = new Logger('AuthFailureLimiter');
  private warned = false;
  /** Recent reads of the shared counts: the window read, and until when it may be reused. */
  private readonly recent = new Map<string, { window?: Window; readAt: number; until: number }>();

  constructor(@Optional() @Inject(APP_CONFIG) config?: AppConfig, @Optional() private readonly now: () => number = Date.now) {
    this.limit = config?.http?.authFailuresPerMinute ?? 20;
    this.memory = new MemoryStore(this.now);
    if (config?.queue?.kind === 'redis') {
      this.shared = new RedisStore(config.queue.url, config.queue.prefix);
    }
  }

  /** Throws RATE_LIMITED when the address used up its failures in the current window. */
  async check(address: string | undefined): Promise<void> {
    if (!address) return;
    const w = await this.window(address);
    if (w && w.failures >= this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil(w.remainingMs / 1000));
      throw new TrainyardError(ErrorCode.RATE_LIMITED, `too many failed authentications from this address; retry in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
  }

  async fail(address: string | undefined): Promise<void> {
    if (!address) return;
    this.recent.delete(address);
    await this.use((s) => s.fail(address));
  }

  /**
   * The address's current window. Read from the shared store at most every SHARED_COUNT_REUSE_MS; a
   * window already over the limit is reused until it ends (it cannot get better before then).
   */
  private async window(address: string): Promise<Window | undefined> {
    if (!this.shared) return this.memory.get(address);
    const now = this.now();
    const hit = this.recent.get(address);
    if (hit && now < hit.until) return hit.window && { failures: hit.window.failures, remainingMs: hit.window.remainingMs - (now - hit.readAt) };
    const window = await this.use((s) => s.get(address));
    const over = !!window && window.failures >= this.limit;
    this.recent.delete(address); // re-inserted last: the Map's order is the eviction order
    this.recent.set(address, { window, readAt: now, until: now + (over ? window!.remainingMs : SHARED_COUNT_REUSE_MS) });
    if (this.recent.size > MAX_ADDRESSES) this.recent.delete(this.recent.keys().next().value!);
    return window;
  }

  onModuleDestroy() {
    this.shared?.close();
  }

  private async use<T>(op: (store: FailureStore) => Promise<T>): Promise<T> {
    if (this.shared) {
      try {
        return await op(this.shared);
      } catch (err) {
        if (!this.warned) this.logger.warn(`Redis unavailable for the failed-authentication counts; counting in this process meanwhile (${(err as Error).message})`);
        this.warned = true;
      }
    }
    return op(this.memory);
  }
}
