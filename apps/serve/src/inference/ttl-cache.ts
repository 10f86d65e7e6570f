/**
 * A small read-through cache with a short time to live, shared by the key and deployment caches.
 * Within `ttlMs` an entry is served as is. Past it, the first caller starts one refresh and every
 * caller keeps getting the old value while it runs, up to `maxStaleMs`; past that, callers wait for
 * fresh data. Failures (a not-found, say) are cached like values, so a bad name cannot hammer the
 * database. `prepare` runs on a fresh value before it replaces the old one (serving uses it to load
 * and warm a new default before traffic moves).
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { at: number; value?: V; error?: unknown }>();
  private readonly inflight = new Map<K, Promise<void>>();

  constructor(
    private readonly fetch: (key: K) => Promise<V>,
    private readonly ttlMs: number,
    private readonly maxStaleMs: number,
    private readonly prepare: (value: V, previous: V | undefined) => Promise<void> = async () => undefined,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: K): Promise<V> {
    const e = this.entries.get(key);
    const age = e ? this.now() - e.at : Infinity;
    if (e && age <= this.ttlMs) return this.unwrap(e);
    let refreshing = this.inflight.get(key);
    if (!refreshing) {
      refreshing = this.refresh(key, e?.value).finally(() => this.inflight.delete(key));
      this.inflight.set(key, refreshing);
    }
    if (e && age <= this.maxStaleMs) return this.unwrap(e);
    await refreshing;
    return this.unwrap(this.entries.get(key)!);
  }

  private unwrap(e: { value?: V; error?: unknown }): V {
    if (e.error !== undefined) throw e.error;
    return e.value as V;
  }

  private async refresh(key: K, previous: V | undefined): Promise<void> {
    let next: { at: number; value?: V; error?: unknown };
    try {
      let value!: V;
      let fetchedAt = 0;
      // A slow prepare (loading a model) may outlast newer changes: then read again and prepare what
      // is current, so a refresh never publishes a value older than its own ttl (at most 3 rounds).
      for (let round = 0; round < 3; round++) {
        fetchedAt = this.now();
        value = await this.fetch(key);
        const t = this.now();
        await this.prepare(value, previous).catch(() => undefined);
        if (this.now() - t <= this.ttlMs) break;
      }
      next = { at: fetchedAt, value };
    } catch (error) {
      next = { at: this.now(), error };
    }
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, next);
  }

  /** Drops an entry, so the next get reads fresh (used after a change made in this process). */
  invalidate(key: K): void {
    this.entries.delete(key);
  }
}
