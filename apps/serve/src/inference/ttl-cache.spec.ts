import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now = 0;
  const clock = () => now;

  it('reads once per ttl, serves stale during one refresh, waits when too stale', async () => {
    let version = 1;
    let fetches = 0;
    const cache = new TtlCache(async () => (fetches++, version), 100, 300, undefined, 100, clock);
    expect(await cache.get('a')).toBe(1);
    version = 2;
    now = 50;
    expect(await cache.get('a')).toBe(1);
    expect(fetches).toBe(1);
    now = 150; // stale: answers the old value, refreshes once however many ask
    expect(await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')])).toEqual([1, 1, 1]);
    await new Promise((r) => setImmediate(r));
    expect(fetches).toBe(2);
    expect(await cache.get('a')).toBe(2);
    version = 3;
    now = 1000; // past maxStale: waits for fresh data
    expect(await cache.get('a')).toBe(3);
  });

  it('caches failures for the ttl too, and fetches a missing key once for concurrent callers', async () => {
    let fetches = 0;
    const cache = new TtlCache(async (k: string) => {
      fetches++;
      await new Promise((r) => setTimeout(r, 5));
      if (k === 'bad') throw new Error('nope');
      return k.length;
    }, 100, 200, undefined, 100, clock);
    now = 0;
    await expect(cache.get('bad')).rejects.toThrow('nope');
    await expect(cache.get('bad')).rejects.toThrow('nope');
    expect(fetches).toBe(1);
    await Promise.all([cache.get('good'), cache.get('good')]);
    expect(fetches).toBe(2);
  });

  it('runs prepare on the new value before publishing it', async () => {
    const order: string[] = [];
    let v = 1;
    const cache = new TtlCache(async () => v, 10, 10_000, async (next, prev) => {
      order.push(`prepare ${prev}->${next}`);
      await new Promise((r) => setTimeout(r, 20));
    }, 100, clock);
    now = 0;
    await cache.get('k');
    v = 2;
    now = 20;
    expect(await cache.get('k')).toBe(1); // prepare of 2 is running: 1 still answers
    expect(await cache.get('k')).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(await cache.get('k')).toBe(2);
    expect(order).toEqual(['prepare undefined->1', 'prepare 1->2']);
  });

  it('reads again when prepare outlasted the ttl, so it never publishes what changed meanwhile', async () => {
    let v = 1;
    let t = 0;
    const cache = new TtlCache(
      async () => v,
      100,
      10_000,
      async (next) => {
        if (next === 2) {
          v = 3; // changed while 2 was loading
          t += 500; // a slow load
        }
      },
      100,
      () => t,
    );
    expect(await cache.get('k')).toBe(1);
    v = 2;
    t = 200;
    await cache.get('k'); // stale: starts the refresh
    await new Promise((r) => setTimeout(r, 10));
    expect(await cache.get('k')).toBe(3);
  });
});
