import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ShardCache } from './shard-cache';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shard-cache-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const KiB = 1024;
const fillWith = (bytes: number) => async (dir: string) => {
  await mkdir(path.join(dir, 'train'), { recursive: true });
  await writeFile(path.join(dir, 'train', 'shard-00000.bin'), new Uint8Array(bytes));
};
const cached = async () => (await readdir(root)).sort();
/** Makes a folder look last used `secondsAgo` ago. */
const age = (id: string, secondsAgo: number) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  return utimes(path.join(root, id, '.last-used'), t, t);
};

it('evicts the least recently used versions not in use once over the limit, never one in use', async () => {
  const existing = new Set(['a', 'b', 'c', 'd']);
  const cache = new ShardCache({ root, maxBytes: 100 * KiB, exists: async (id) => existing.has(id) });
  const a = await cache.acquire('a', fillWith(40 * KiB));
  await a.release();
  const b = await cache.acquire('b', fillWith(40 * KiB)); // still in use below
  const c = await cache.acquire('c', fillWith(10 * KiB));
  await c.release();
  await age('a', 300);
  await age('c', 100);
  expect(await cached()).toEqual(['a', 'b', 'c']);
  // d pushes the total to 130 KiB: a (oldest) goes; c (newer) and b (in use) stay.
  const d = await cache.acquire('d', fillWith(40 * KiB));
  expect(await cached()).toEqual(['b', 'c', 'd']);
  // A version larger than the whole limit still trains; only what is not in use is evicted.
  await age('c', 50);
  const big = await cache.acquire('e', fillWith(150 * KiB));
  existing.add('e');
  expect(await cached()).toEqual(['b', 'd', 'e']);
  expect(big.dir).toBe(path.join(root, 'e'));
  await Promise.all([b.release(), d.release(), big.release()]);
  // Nothing in use: b and d (used before e) go first, then e, which alone is over the limit.
  const { removed, bytes } = await cache.trim();
  expect(removed.slice(0, 2).sort()).toEqual(['b', 'd']);
  expect(removed[2]).toBe('e');
  expect(bytes).toBe(0);
});

it('removes the folder of a deleted version once no run uses it', async () => {
  const existing = new Set(['keep', 'gone']);
  const cache = new ShardCache({ root, maxBytes: 10 * 2 ** 20, exists: async (id) => existing.has(id) });
  const gone = await cache.acquire('gone', fillWith(KiB));
  (await cache.acquire('keep', fillWith(KiB))).release();
  existing.delete('gone');
  await cache.trim();
  expect(await cached()).toEqual(['gone', 'keep']); // in use: stays until released
  await gone.release();
  await cache.trim();
  expect(await cached()).toEqual(['keep']);
});

it('sweeps on a timer: a deleted version goes within an interval, without a load; a leased one stays', async () => {
  const existing = new Set(['keep', 'gone', 'leased']);
  const cache = new ShardCache({ root, maxBytes: 10 * 2 ** 20, exists: async (id) => existing.has(id) });
  await (await cache.acquire('keep', fillWith(KiB))).release();
  await (await cache.acquire('gone', fillWith(KiB))).release();
  const leased = await cache.acquire('leased', fillWith(KiB));
  existing.delete('gone');
  existing.delete('leased');
  const stop = cache.sweepEvery(50);
  try {
    const deadline = Date.now() + 20_000; // the sweep runs every 50 ms: this is only a bound for a very loaded machine
    while ((await cached()).includes('gone') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await cached()).toEqual(['keep', 'leased']);
    await leased.release();
    while ((await cached()).includes('leased') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await cached()).toEqual(['keep']);
  } finally {
    stop();
  }
}, 30_000);

it("treats a dead process's lease as stale", async () => {
  const cache = new ShardCache({ root, maxBytes: 0, exists: async () => true });
  await mkdir(path.join(root, 'orphan'), { recursive: true });
  await writeFile(path.join(root, 'orphan', 'shard'), new Uint8Array(KiB));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  await writeFile(path.join(root, 'orphan', `.lease-${dead}-1`), '');
  await writeFile(path.join(root, 'orphan', `.lease-${process.pid}-999`), ''); // a live lease: kept
  expect((await cache.trim()).removed).toEqual([]);
  await rm(path.join(root, 'orphan', `.lease-${process.pid}-999`));
  expect((await cache.trim()).removed).toEqual(['orphan']);
});

it('a failed fill releases its lease (the folder can then be evicted)', async () => {
  const cache = new ShardCache({ root, maxBytes: 0, exists: async () => true });
  await expect(
    cache.acquire('x', async (dir) => {
      await fillWith(KiB)(dir); // a partial copy
      throw new Error('store down');
    }),
  ).rejects.toThrow('store down');
  expect((await cache.trim()).removed).toEqual(['x']);
});
