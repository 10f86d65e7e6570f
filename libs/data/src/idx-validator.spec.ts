import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { createIdxValidator, validateIdxStream } from './idx-validator';
import { chunked, idxBytes, mnistPath } from './testing/idx-fixtures';

const labels = (values: number[]) => idxBytes('labels', [values.length], values);
const images = (count: number, rows = 2, cols = 3) =>
  idxBytes('images', [count, rows, cols], Array.from({ length: count * rows * cols }, (_, i) => i % 256));

async function rejection(p: Promise<unknown>): Promise<TrainyardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TrainyardError);
    expect((e as TrainyardError).code).toBe(ErrorCode.INVALID_DATASET_FILE);
    return e as TrainyardError;
  }
  throw new Error('expected a rejection');
}

describe.each([
  ['raw', (b: Uint8Array) => b],
  ['gzip', (b: Uint8Array) => new Uint8Array(gzipSync(b))],
])('createIdxValidator (%s)', (_mode, encode) => {
  it('reports count, dims, histogram, sha256 and size of the uploaded bytes', async () => {
    const upload = encode(labels([0, 1, 1, 9, 9, 9]));
    const r = await validateIdxStream(chunked(upload, 3), 'labels', { role: 'train-labels' });
    expect(r).toMatchObject({ role: 'train-labels', kind: 'labels', count: 6, dims: [6], numClasses: 10, sizeBytes: upload.length });
    expect(r.classHistogram).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect(r.sha256).toBe(createHash('sha256').update(upload).digest('hex'));
    expect(r.gzipped).toBe(_mode === 'gzip');
    expect(r.idxBytes).toBe(8 + 6);
  });

  it('accepts images and reports their dims', async () => {
    const r = await validateIdxStream(chunked(encode(images(5)), 5), 'images');
    expect(r).toMatchObject({ count: 5, dims: [5, 2, 3], kind: 'images' });
    expect(r.classHistogram).toBeUndefined();
  });

  it('rejects a wrong magic number, naming the role and both magics', async () => {
    const e = await rejection(validateIdxStream(chunked(encode(labels([1, 2]))), 'images', { role: 'train-images' }));
    expect(e.message).toMatch(/^train-images: wrong magic number 0x00000801, expected 0x00000803 for idx images \(that is an idx labels file\)/);
    expect(e.details).toMatchObject({ role: 'train-images', problem: 'magic' });
  });

  it('rejects a truncated file with expected vs actual bytes', async () => {
    const full = images(4);
    const e = await rejection(validateIdxStream(chunked(encode(full.subarray(0, full.length - 5))), 'images', { role: 't10k-images' }));
    expect(e.message).toBe(`t10k-images: truncated: expected ${16 + 24} bytes (4 images of 2x3), got ${16 + 24 - 5}`);
    expect(e.details).toMatchObject({ expectedBytes: 40, actualBytes: 35, problem: 'truncated' });
  });

  it('rejects a truncated header', async () => {
    const e = await rejection(validateIdxStream(chunked(encode(images(1).subarray(0, 10))), 'images'));
    expect(e.message).toMatch(/truncated header: got 10 bytes, an idx images header is 16/);
  });

  it('rejects trailing bytes', async () => {
    const bytes = Buffer.concat([Buffer.from(labels([1, 2, 3])), Buffer.from('junk')]);
    const e = await rejection(validateIdxStream(chunked(encode(bytes)), 'labels', { role: 'train-labels' }));
    expect(e.message).toBe('train-labels: 4 trailing bytes after the 11 bytes the header declares (3 labels)');
    expect(e.details).toMatchObject({ problem: 'trailing', expectedBytes: 11, actualBytes: 15 });
  });

  it('rejects a label outside 0..numClasses-1, naming index and value', async () => {
    const e = await rejection(validateIdxStream(chunked(encode(labels([0, 1, 2, 3, 4, 12, 5]))), 'labels', { role: 'train-labels' }));
    expect(e.message).toBe('train-labels: label 12 at index 5 is outside 0..9');
    expect(e.details).toMatchObject({ index: 5, value: 12 });
  });

  it('honours numClasses', async () => {
    const e = await rejection(validateIdxStream(chunked(encode(labels([0, 1, 2]))), 'labels', { numClasses: 2 }));
    expect(e.message).toMatch(/label 2 at index 2 is outside 0..1/);
  });

  it('rejects zero-sized images and empty files', async () => {
    const zero = idxBytes('images', [3, 0, 28], []);
    expect((await rejection(validateIdxStream(chunked(encode(zero)), 'images'))).message).toMatch(/image size 0x28 is outside 1..4096/);
    const none = idxBytes('labels', [0], []);
    expect((await rejection(validateIdxStream(chunked(encode(none)), 'labels'))).message).toMatch(/declares 0 samples/);
  });
});

describe('createIdxValidator as a pass-through', () => {
  it('passes the uploaded bytes through unchanged while checking them', async () => {
    const upload = new Uint8Array(gzipSync(labels([3, 1, 4, 1, 5])));
    const v = createIdxValidator('labels');
    const seen: Buffer[] = [];
    await pipeline(chunked(upload, 4), v, new Writable({ write: (c, _e, cb) => (seen.push(c), cb()) }));
    expect(Buffer.concat(seen).equals(Buffer.from(upload))).toBe(true);
    expect((await v.report).count).toBe(5);
  });

  it('fails the pipeline (so an upload aborts) on corrupt gzip', async () => {
    const gz = Buffer.from(gzipSync(labels([1, 2, 3, 4, 5, 6, 7, 8])));
    gz[12] ^= 0xff;
    gz[13] ^= 0xff;
    const v = createIdxValidator('labels', { role: 'test-labels' });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const e = await rejection(pipeline(Readable.from([gz]), v, sink));
    expect(e.message).toMatch(/^test-labels: /);
    await expect(v.report).rejects.toBe(e);
  });
});

describe('real MNIST files', () => {
  it('streams t10k labels and images, raw and gzipped', async () => {
    const l = await validateIdxStream(fs.createReadStream(mnistPath('t10k-labels-idx1-ubyte')), 'labels', { role: 't10k-labels' });
    expect(l.count).toBe(10_000);
    expect(l.classHistogram).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    const gz = gzipSync(fs.readFileSync(mnistPath('t10k-images-idx3-ubyte')));
    const i = await validateIdxStream(chunked(gz, 64 * 1024), 'images', { role: 't10k-images' });
    expect(i).toMatchObject({ count: 10_000, dims: [10_000, 28, 28], gzipped: true, sizeBytes: gz.length, idxBytes: 16 + 10_000 * 784 });
  });
});
