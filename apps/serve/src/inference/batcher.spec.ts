import { DynamicBatcher } from './batcher';

/** A runtime that doubles each value and records the batch sizes it was called with. */
function doubling(delayMs = 0) {
  const calls: number[] = [];
  const run = async (x: Float32Array, n: number) => {
    calls.push(n);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return x.map((v) => v * 2);
  };
  return { calls, run };
}

const opts = { inSize: 2, outSize: 2, maxBatchSize: 8, maxWaitMs: 0, maxQueue: 100 };

describe('DynamicBatcher', () => {
  it('batches concurrent calls into one runtime call and gives each call its own rows', async () => {
    const rt = doubling();
    const b = new DynamicBatcher(rt.run, opts);
    const jobs = [1, 2, 3].map((i) => b.submit(Float32Array.from([i, i + 0.5]), 1).result);
    const out = await Promise.all(jobs);
    expect(rt.calls).toEqual([3]);
    expect(out.map((o) => Array.from(o))).toEqual([[2, 3], [4, 5], [6, 7]]);
    expect(b.maxBatchSeen).toBe(3);
  });

  it('never exceeds maxBatchSize (except a single larger call) and runs one batch at a time', async () => {
    const rt = doubling(5);
    const b = new DynamicBatcher(rt.run, { ...opts, maxBatchSize: 4 });
    const jobs = Array.from({ length: 10 }, (_, i) => b.submit(new Float32Array(2).fill(i), 1).result);
    const big = b.submit(new Float32Array(12), 6).result;
    await Promise.all([...jobs, big]);
    expect(rt.calls.reduce((a, c) => a + c, 0)).toBe(16);
    expect(rt.calls.filter((c) => c > 4)).toEqual([6]);
  });

  it('waits up to maxWaitMs for company, and runs at once when the batch is full', async () => {
    const rt = doubling();
    const b = new DynamicBatcher(rt.run, { ...opts, maxWaitMs: 30, maxBatchSize: 3 });
    const t = Date.now();
    const a = b.submit(new Float32Array(2), 1).result;
    await new Promise((r) => setTimeout(r, 5));
    const c = b.submit(new Float32Array(2), 1).result;
    await Promise.all([a, c]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(25);
    expect(rt.calls).toEqual([2]);
    const t2 = Date.now();
    await Promise.all([1, 2, 3].map(() => b.submit(new Float32Array(2), 1).result));
    expect(Date.now() - t2).toBeLessThan(25);
  });

  it('refuses at once when the queue is full (503), and cancelled calls never run', async () => {
    const rt = doubling(20);
    const b = new DynamicBatcher(rt.run, { ...opts, maxQueue: 4, maxBatchSize: 2 });
    const first = b.submit(new Float32Array(4), 2).result; // runs
    await new Promise((r) => setImmediate(r));
    const queued = [b.submit(new Float32Array(4), 2), b.submit(new Float32Array(4), 2)];
    expect(() => b.submit(new Float32Array(2), 1)).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
    queued[1].cancel();
    await Promise.all([first, queued[0].result]);
    await new Promise((r) => setTimeout(r, 50));
    expect(rt.calls).toEqual([2, 2]);
    expect(b.depth).toBe(0);
  });

  it('fails every call of a batch whose runtime call fails, and keeps serving', async () => {
    let fail = true;
    const b = new DynamicBatcher(async (x) => {
      if (fail) throw new Error('boom');
      return x;
    }, opts);
    const a = b.submit(new Float32Array(2), 1).result;
    const c = b.submit(new Float32Array(2), 1).result;
    await expect(a).rejects.toThrow('boom');
    await expect(c).rejects.toThrow('boom');
    fail = false;
    await expect(b.submit(Float32Array.from([1, 2]), 1).result).resolves.toEqual(Float32Array.from([1, 2]));
  });
});
