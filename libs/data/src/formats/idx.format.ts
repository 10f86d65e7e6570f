import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { badInput } from '@trainyard/common';
import { checkIdxHeader, idxHeaderBytes, IdxKind } from '../idx';
import { createIdxValidator } from '../idx-validator';
import { ShardWriter } from '../internal';
import { readAll } from './archive';
import { DatasetFormat, fileError, IngestContext, SourceFile } from './format';

/** The four MNIST-style files, named as the upload routes name them. */
export const IDX_FILES = ['train-images', 'train-labels', 'test-images', 'test-labels'] as const;

const options = z
  .object({
    /** Names for the classes 0..n-1 (Fashion-MNIST: T-shirt/top, Trouser, ...). Default: the digits. */
    classNames: z.array(z.string().min(1).max(100)).min(2).max(1000).optional(),
  })
  .strict();

async function decompressed(file: SourceFile): Promise<Readable> {
  const src = await file.open();
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const rest = Readable.from(
    (async function* () {
      if (!first.done) yield first.value;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    })(),
    { objectMode: false },
  );
  if (!first.done && first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b) {
    const gz = createGunzip();
    rest.on('error', (e) => gz.destroy(e));
    return rest.pipe(gz);
  }
  return rest;
}

/** zlib errors become a clear error naming the file. */
function gzipError(name: string, e: unknown): unknown {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return fileError(name, 'gzip', `not a valid gzip stream (${(e as Error).message})`);
  return e;
}

/** Reads an idx header from a stream, then hands out exact-size records until the declared end. */
async function* idxRecords(file: SourceFile, kind: IdxKind, recordBytes: (dims: number[]) => number): AsyncGenerator<{ dims: number[]; record: Uint8Array }> {
  const s = await decompressed(file);
  const headerLen = idxHeaderBytes(kind);
  let buf: Buffer = Buffer.alloc(0);
  let dims: number[] | undefined;
  let size = 0;
  let left = 0;
  let total = 0;
  try {
    for await (const chunk of s) {
      buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
      total += (chunk as Buffer).length;
      if (!dims) {
        if (buf.length < Math.min(4, headerLen)) continue;
        if (buf.length < headerLen) {
          checkIdxHeader(Buffer.concat([buf, Buffer.alloc(headerLen - buf.length)]).subarray(0, 4), kind, file.name);
          continue;
        }
        dims = checkIdxHeader(buf.subarray(0, headerLen), kind, file.name);
        size = recordBytes(dims);
        left = dims[0];
        buf = buf.subarray(headerLen);
      }
      let off = 0;
      while (buf.length - off >= size && left > 0) {
        yield { dims, record: buf.subarray(off, off + size) };
        off += size;
        left--;
      }
      buf = buf.subarray(off);
      if (left === 0 && buf.length > 0) {
        throw fileError(file.name, 'trailing', `bytes after the ${dims[0]} records the header declares`, { declared: dims[0] });
      }
    }
  } catch (e) {
    throw gzipError(file.name, e);
  } finally {
    s.destroy();
  }
  if (!dims) throw fileError(file.name, 'truncated', `truncated header: ${total} bytes, expected ${headerLen}`);
  if (left > 0) {
    throw fileError(file.name, 'truncated', `the header declares ${dims[0]} records but the file holds ${dims[0] - left} (${total} bytes)`, {
      declared: dims[0],
      actual: dims[0] - left,
    });
  }
}

/** The labels of an idx labels file (small: one byte per sample), with the exact-length checks. */
async function labelsOf(file: SourceFile): Promise<Uint8Array> {
  const s = await decompressed(file);
  const bytes = await readAll(s).catch((e) => {
    throw gzipError(file.name, e);
  });
  const headerLen = idxHeaderBytes('labels');
  if (bytes.length < headerLen) throw fileError(file.name, 'truncated', `truncated header: ${bytes.length} bytes, expected ${headerLen}`);
  const [count] = checkIdxHeader(bytes.subarray(0, headerLen), 'labels', file.name);
  const data = bytes.subarray(headerLen);
  if (data.length < count) {
    throw fileError(file.name, 'truncated', `the header declares ${count} labels but the file holds ${data.length}`, { declared: count, actual: data.length });
  }
  if (data.length > count) throw fileError(file.name, 'trailing', `${data.length - count} bytes after the ${count} labels the header declares`);
  return data;
}

/** MNIST, Fashion-MNIST, KMNIST, EMNIST: idx images + labels per split, gzipped or not. */
export const idxFormat: DatasetFormat<typeof options> = {
  name: 'idx',
  description: 'MNIST-style idx files: train-images, train-labels, and optionally test-images, test-labels (gzipped or not)',
  options,
  checkFiles(names) {
    for (const n of names) {
      if (!(IDX_FILES as readonly string[]).includes(n)) throw badInput(`idx datasets take files named ${IDX_FILES.join(', ')}; got ${JSON.stringify(n)}`);
    }
    for (const need of ['train-images', 'train-labels']) if (!names.includes(need)) throw badInput(`idx dataset: ${need} is missing`, { problem: 'missing-file' });
    const test = names.filter((n) => n.startsWith('test-'));
    if (test.length === 1) throw badInput(`idx dataset: ${test[0]} was uploaded without its partner`, { problem: 'missing-file' });
  },
  acceptsFile(name) {
    if (!(IDX_FILES as readonly string[]).includes(name)) throw badInput(`unknown file "${name.slice(0, 40)}"; expected one of ${IDX_FILES.join(', ')}`, { field: 'file' });
  },
  uploadCheck(name, o) {
    const kind: IdxKind = name.endsWith('-images') ? 'images' : 'labels';
    const stream = createIdxValidator(kind, { role: name, numClasses: o.classNames?.length ?? 10 });
    return { stream, report: stream.report };
  },
  autoIngest: (names) => IDX_FILES.every((n) => names.includes(n)),
  hasTestSplit: (names) => names.includes('test-images'),

  async ingest(ctx: IngestContext<z.infer<typeof options>>) {
    const file = (n: string) => ctx.files.find((f) => f.name === n);
    const splits = (['train', 'test'] as const).filter((s) => file(`${s}-images`));
    const labels: Record<string, Uint8Array> = {};
    let maxLabel = 0;
    for (const s of splits) {
      labels[s] = await labelsOf(file(`${s}-labels`)!);
      for (const l of labels[s]) if (l > maxLabel) maxLabel = l;
    }
    const numClasses = ctx.options.classNames?.length ?? maxLabel + 1;
    if (maxLabel >= numClasses) throw fileError('train-labels', 'label-range', `label ${maxLabel} is outside 0..${numClasses - 1} (${numClasses} class names given)`);

    let writer: ShardWriter | undefined;
    let shape: [number, number, number] | undefined;
    for (const s of splits) {
      const name = `${s}-images`;
      let i = 0;
      for await (const { dims, record } of idxRecords(file(name)!, 'images', (d) => d[1] * d[2])) {
        if (i === 0) {
          if (dims[0] !== labels[s].length) {
            throw fileError(name, 'count-mismatch', `${dims[0]} images but ${s}-labels holds ${labels[s].length} labels`, { images: dims[0], labels: labels[s].length });
          }
          if (shape && (shape[0] !== dims[1] || shape[1] !== dims[2])) {
            throw fileError(name, 'shape-mismatch', `images are ${dims[1]}x${dims[2]} but train images are ${shape[0]}x${shape[1]}`);
          }
          shape ??= [dims[1], dims[2], 1];
          writer ??= new ShardWriter(ctx.sink, { dtype: 'uint8', sampleShape: shape, task: 'classification', numClasses, split: ctx.split, shardBytes: ctx.shardBytes });
        }
        await writer!.add(s, labels[s][i], record);
        if (++i % 20000 === 0) ctx.log(`${name}: ${i} samples`);
      }
    }
    const present = new Set<number>();
    for (const s of splits) for (const l of labels[s]) present.add(l);
    if (present.size < 2) throw fileError('train-labels', 'single-class', `only one class (${[...present][0]}) occurs; a classifier needs at least two`);
    return {
      source: 'idx',
      task: 'classification',
      dtype: 'uint8',
      sampleShape: shape!,
      classNames: ctx.options.classNames ?? Array.from({ length: numClasses }, (_, k) => String(k)),
      splits: await writer!.finish(),
      skipped: { count: 0, examples: [] },
      notes: {},
    };
  },
};
