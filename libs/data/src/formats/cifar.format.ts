import { z } from 'zod';
import { badInput } from '@trainyard/common';
import { ShardWriter } from '../internal';
import { readAll, readArchive } from './archive';
import { DatasetFormat, fileError, IngestContext, IngestOutput } from './format';

const PLANE = 32 * 32;
const PIXELS = 3 * PLANE;

interface CifarLayout {
  name: 'cifar10' | 'cifar100';
  /** Label bytes before the pixels of each record. */
  labelBytes: number;
  /** Which label byte to use and how many classes it has. */
  pick(options: { labels?: 'fine' | 'coarse' }): { offset: number; numClasses: number; namesFile: string };
  /** Which split a .bin member belongs to, or undefined for other members. */
  splitOf(base: string): 'train' | 'test' | undefined;
}

const cifar10: CifarLayout = {
  name: 'cifar10',
  labelBytes: 1,
  pick: () => ({ offset: 0, numClasses: 10, namesFile: 'batches.meta.txt' }),
  splitOf: (base) => (/^data_batch_\d+\.bin$/.test(base) ? 'train' : base === 'test_batch.bin' ? 'test' : undefined),
};

const cifar100: CifarLayout = {
  name: 'cifar100',
  labelBytes: 2,
  pick: (o) => (o.labels === 'coarse' ? { offset: 0, numClasses: 20, namesFile: 'coarse_label_names.txt' } : { offset: 1, numClasses: 100, namesFile: 'fine_label_names.txt' }),
  splitOf: (base) => (base === 'train.bin' ? 'train' : base === 'test.bin' ? 'test' : undefined),
};

/** CHW record pixels to HWC. */
function toHwc(src: Uint8Array, off: number, dst: Uint8Array) {
  for (let p = 0; p < PLANE; p++) {
    dst[3 * p] = src[off + p];
    dst[3 * p + 1] = src[off + PLANE + p];
    dst[3 * p + 2] = src[off + 2 * PLANE + p];
  }
}

async function ingestCifar(layout: CifarLayout, ctx: IngestContext<{ labels?: 'fine' | 'coarse' }>): Promise<IngestOutput> {
  const archive = ctx.files[0];
  const { offset, numClasses, namesFile } = layout.pick(ctx.options);
  const recordBytes = layout.labelBytes + PIXELS;
  const writer = new ShardWriter(ctx.sink, { dtype: 'uint8', sampleShape: [32, 32, 3], task: 'classification', numClasses, split: ctx.split, shardBytes: ctx.shardBytes });
  let classNames: string[] | undefined;
  const seen: Record<string, number> = {};
  const sample = new Uint8Array(PIXELS);
  for await (const entry of readArchive(archive, ctx.limits, ctx.tmpDir)) {
    if (entry.dir) continue;
    const base = entry.name.split('/').pop()!;
    if (base === namesFile) {
      classNames = (await readAll(entry.stream)).toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      continue;
    }
    const split = layout.splitOf(base);
    if (!split) continue;
    if (entry.size % recordBytes !== 0 || entry.size === 0) {
      throw fileError(`${archive.name}:${entry.name}`, 'record-size', `${entry.size} bytes is not a whole number of ${recordBytes}-byte records`, {
        sizeBytes: entry.size,
        recordBytes,
      });
    }
    let buf: Buffer = Buffer.alloc(0);
    let n = 0;
    for await (const chunk of entry.stream) {
      buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
      let off = 0;
      for (; buf.length - off >= recordBytes; off += recordBytes, n++) {
        const label = buf[off + offset];
        if (label >= numClasses) {
          throw fileError(`${archive.name}:${entry.name}`, 'label-range', `record ${n}: label ${label} is outside 0..${numClasses - 1}`, { record: n, label });
        }
        toHwc(buf, off + layout.labelBytes, sample);
        await writer.add(split, label, sample);
      }
      buf = buf.subarray(off);
    }
    if (buf.length !== 0) throw fileError(`${archive.name}:${entry.name}`, 'record-size', `cut off inside record ${n}`);
    seen[split] = (seen[split] ?? 0) + n;
    ctx.log(`${entry.name}: ${n} records (${split})`);
  }
  if (!seen.train) {
    throw fileError(archive.name, 'missing-member', layout.name === 'cifar10' ? 'no data_batch_N.bin in the archive (is this the CIFAR-10 binary version?)' : 'no train.bin in the archive (is this the CIFAR-100 binary version?)');
  }
  if (classNames && classNames.length !== numClasses) {
    throw fileError(`${archive.name}:${namesFile}`, 'class-names', `${classNames.length} class names, expected ${numClasses}`);
  }
  const splits = await writer.finish();
  return {
    source: layout.name,
    task: 'classification',
    dtype: 'uint8',
    sampleShape: [32, 32, 3],
    classNames: classNames ?? Array.from({ length: numClasses }, (_, k) => String(k)),
    splits,
    skipped: { count: 0, examples: [] },
    notes: { classNamesFrom: classNames ? namesFile : 'indices', ...(layout.name === 'cifar100' ? { labels: ctx.options.labels ?? 'fine' } : {}) },
  };
}

const oneArchive = (names: string[]) => {
  if (names.length !== 1) throw badInput(`this format takes exactly one archive file, got ${names.length}`, { problem: 'file-count' });
};

const cifar10Options = z.object({}).strict();
const cifar100Options = z.object({ labels: z.enum(['fine', 'coarse']).default('fine') }).strict();

/** CIFAR-10 binary version: data_batch_1..5.bin + test_batch.bin + batches.meta.txt in a .tar.gz. */
export const cifar10Format: DatasetFormat<typeof cifar10Options> = {
  name: 'cifar10',
  description: 'CIFAR-10 binary version (.tar.gz with data_batch_N.bin, test_batch.bin, batches.meta.txt)',
  options: cifar10Options,
  checkFiles: oneArchive,
  // The archive is the source of truth; a missing test_batch.bin would leave test empty, so the
  // split plan asks for a seeded test split only when the user sets testFraction explicitly.
  hasTestSplit: () => true,
  ingest: (ctx) => ingestCifar(cifar10, ctx),
};

/** CIFAR-100 binary version: train.bin + test.bin (coarse byte, fine byte, pixels) + label name files. */
export const cifar100Format: DatasetFormat<typeof cifar100Options> = {
  name: 'cifar100',
  description: 'CIFAR-100 binary version (.tar.gz with train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt); labels fine (100) or coarse (20)',
  options: cifar100Options,
  checkFiles: oneArchive,
  hasTestSplit: () => true,
  ingest: (ctx) => ingestCifar(cifar100, ctx),
};
