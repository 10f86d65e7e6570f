import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { ArtifactStore } from '../artifact-store';
import { keys } from '../keys';

/** `total` deterministic pseudo-random bytes in 64 KiB chunks; fails with `failAfter` bytes sent when given. */
export function byteStream(total: number, opts: { failAfter?: number; seed?: number } = {}): Readable {
  let x = opts.seed ?? 12345;
  let sent = 0;
  return new Readable({
    read() {
      if (opts.failAfter !== undefined && sent >= opts.failAfter) {
        this.destroy(new Error('source failed mid-way'));
        return;
      }
      if (sent >= total) return void this.push(null);
      const n = Math.min(64 * 1024, total - sent);
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      sent += n;
      this.push(b);
    },
  });
}

export async function sha256Of(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { hex: h.digest('hex'), bytes };
}

async function expectNotFound(p: Promise<unknown>, key: string) {
  await expect(p).rejects.toBeInstanceOf(TrainyardError);
  await p.catch((e: TrainyardError) => {
    expect(e.code).toBe(ErrorCode.NOT_FOUND);
    expect(e.message).toContain(key);
  });
}

/** The behaviour every ArtifactStore must have; each implementation's spec runs it. */
export function artifactStoreContract(name: string, setup: () => Promise<{ store: ArtifactStore; teardown?: () => Promise<void> }>) {
  describe(`${name} (ArtifactStore contract)`, () => {
    let store: ArtifactStore;
    let teardown: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ store, teardown } = await setup());
      await store.init();
      await store.init(); // idempotent
    });
    afterAll(async () => teardown?.());

    it('round-trips a multi-MB stream (multipart on S3) and reports its size', async () => {
      const key = keys.datasetFile('team1', 'ds1', 'train-images', 'up1');
      const size = 12 * 1024 * 1024 + 123;
      const expected = await sha256Of(byteStream(size));
      const { sizeBytes } = await store.put(key, byteStream(size), { contentType: 'application/octet-stream' });
      expect(sizeBytes).toBe(size);
      expect(await sha256Of(await store.get(key))).toEqual(expected);
      expect(await store.exists(key)).toBe(true);
    }, 60_000);

    it('puts bytes and reads them back with getBytes; a second put replaces the first', async () => {
      const key = keys.checkpoint('team1', 'exp1', 100);
      expect(await store.put(key, new Uint8Array([1, 2, 3]))).toEqual({ sizeBytes: 3 });
      expect(Array.from(await store.getBytes(key))).toEqual([1, 2, 3]);
      await store.put(key, new Uint8Array([9]));
      expect(Array.from(await store.getBytes(key))).toEqual([9]);
    });

    it('a missing key is NOT_FOUND for get and getBytes, false for exists', async () => {
      const key = keys.checkpoint('team1', 'nope', 1);
      await expectNotFound(store.get(key), key);
      await expectNotFound(store.getBytes(key), key);
      expect(await store.exists(key)).toBe(false);
    });

    it('delete is idempotent', async () => {
      const key = keys.export('team1', 'exp1', 'onnx', 'model.onnx');
      await store.put(key, new Uint8Array([1]));
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      await store.delete(key);
      await store.delete(keys.export('team1', 'never', 'onnx', 'model.onnx'));
    });

    it('lists by string prefix, sorted, with sizes', async () => {
      for (const step of [30, 10, 20]) await store.put(keys.checkpoint('team2', 'exp9', step), new Uint8Array(step));
      await store.put(keys.checkpoint('team2', 'exp99', 1), new Uint8Array(1));
      await store.put(keys.export('team2', 'exp9', 'onnx', 'model.onnx'), new Uint8Array(5));
      const listed = await store.list(keys.checkpoints('team2', 'exp9'));
      expect(listed).toEqual([10, 20, 30].map((s) => ({ key: keys.checkpoint('team2', 'exp9', s), sizeBytes: s })));
      expect(listed.map((o) => keys.checkpointStep(o.key))).toEqual([10, 20, 30]);
      expect((await store.list('teams/team2/experiments/exp9')).map((o) => o.key)).toHaveLength(5); // exp9/ and exp99/
      expect((await store.list(keys.experiment('team2', 'exp9'))).map((o) => o.key)).toHaveLength(4);
      expect(await store.list('teams/nobody/')).toEqual([]);
    });

    it.each([
      ['small (single put)', 100 * 1024],
      ['large (multipart)', 11 * 1024 * 1024],
    ])('a body that fails mid-way leaves no object, and does not touch an existing one: %s', async (_what, failAfter) => {
      const fresh = keys.datasetFile('team3', 'ds', 'train-labels', `fail-${failAfter}`);
      await expect(store.put(fresh, byteStream(20 * 1024 * 1024, { failAfter }))).rejects.toThrow('source failed mid-way');
      expect(await store.exists(fresh)).toBe(false);
      expect(await store.list(keys.dataset('team3', 'ds'))).toEqual([]);

      const existing = keys.checkpoint('team3', 'exp', failAfter);
      await store.put(existing, new Uint8Array([4, 2]));
      await expect(store.put(existing, byteStream(20 * 1024 * 1024, { failAfter }))).rejects.toThrow('source failed mid-way');
      expect(Array.from(await store.getBytes(existing))).toEqual([4, 2]);
    }, 60_000);

    it.each(['../escape', '/abs/path', 'a/../b', 'a//b', '', 'a\\b', './a'])('rejects the key %j', async (key) => {
      await expect(store.put(key, new Uint8Array([1]))).rejects.toThrow(/invalid artifact key/);
      await expect(store.get(key)).rejects.toThrow(/invalid artifact key/);
    });
  });
}
