/**
 * Builders of small, real-shaped dataset uploads for tests: CIFAR binary archives, ImageFolder
 * zips/tars (including hostile ones: path escapes, links, bombs), CSV tables, and an in-memory sink.
 * The zip writer is hand-rolled on purpose: it must be able to write entries a careful library refuses.
 */
import { Readable } from 'node:stream';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import * as tar from 'tar-stream';
import type { SourceFile } from '../formats/format';
import type { ShardSink } from '../internal';

export const sourceOf = (name: string, bytes: Uint8Array): SourceFile => ({
  name,
  sizeBytes: bytes.length,
  open: async () => Readable.from([Buffer.from(bytes)]),
});

/** A ShardSink that keeps everything in memory (tests only). */
export class MemorySink implements ShardSink {
  readonly files = new Map<string, Uint8Array>();
  async put(name: string, bytes: Uint8Array) {
    this.files.set(name, bytes);
  }
  json(name = 'index.json') {
    return JSON.parse(new TextDecoder().decode(this.files.get(name)));
  }
}

/** Deterministic pseudo-random bytes. */
export function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

export interface TarMember {
  name: string;
  data?: Uint8Array | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  /** Declared size when it must lie. */
  size?: number;
}

export async function tarOf(members: TarMember[], gzip = false): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const m of members) {
    const type = m.type ?? 'file';
    if (type === 'file') {
      const data = typeof m.data === 'string' ? Buffer.from(m.data) : Buffer.from(m.data ?? new Uint8Array());
      pack.entry({ name: m.name, type }, data);
    } else {
      pack.entry({ name: m.name, type, linkname: m.linkname });
    }
  }
  pack.finalize();
  await done;
  const bytes = Buffer.concat(chunks);
  return new Uint8Array(gzip ? gzipSync(bytes) : bytes);
}

export interface ZipMember {
  name: string;
  data?: Uint8Array | string;
  symlink?: boolean;
  /** Store the data uncompressed (default deflate). */
  stored?: boolean;
}

/** A minimal zip writer (local headers, central directory, end record). */
export function zipOf(members: ZipMember[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const raw = typeof m.data === 'string' ? Buffer.from(m.data) : Buffer.from(m.data ?? new Uint8Array());
    const body = m.stored ? raw : deflateRawSync(raw);
    const method = m.stored ? 0 : 8;
    const crc = crc32(raw);
    const name = Buffer.from(m.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    const mode = m.symlink ? 0o120777 : m.name.endsWith('/') ? 0o040755 : 0o100644;
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/** One CIFAR record: label byte(s) then 3072 bytes of R, G, B planes. Pixel values encode the label. */
export function cifarRecords(labels: Array<number | [number, number]>, seed = 1): Uint8Array {
  const lb = Array.isArray(labels[0]) ? 2 : 1;
  const rec = lb + 3072;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((l, i) => {
    const ls = Array.isArray(l) ? l : [l];
    ls.forEach((v, k) => (out[i * rec + k] = v));
    const px = noise(3072, seed + i);
    // The red plane's first pixel carries the record index, for order checks.
    px[0] = i & 0xff;
    out.set(px, i * rec + lb);
  });
  return out;
}

export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** A CIFAR-10 binary .tar.gz: `perBatch` records in each of `batches` data batches, `test` in test_batch. */
export async function cifar10Archive(opts: { batches?: number; perBatch?: number; test?: number; meta?: boolean; truncate?: boolean } = {}) {
  const { batches = 2, perBatch = 30, test = 20, meta = true } = opts;
  const members: TarMember[] = [{ name: 'cifar-10-batches-bin', type: 'directory' }];
  if (meta) members.push({ name: 'cifar-10-batches-bin/batches.meta.txt', data: CIFAR10_NAMES.join('\n') + '\n\n' });
  for (let b = 1; b <= batches; b++) {
    let recs = cifarRecords(Array.from({ length: perBatch }, (_, i) => (i + b) % 10), b * 1000);
    if (opts.truncate && b === 1) recs = recs.subarray(0, recs.length - 100);
    members.push({ name: `cifar-10-batches-bin/data_batch_${b}.bin`, data: recs });
  }
  if (test) members.push({ name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords(Array.from({ length: test }, (_, i) => i % 10), 99) });
  return tarOf(members, true);
}

/** A CIFAR-100 binary .tar.gz (coarse = fine % 20). */
export async function cifar100Archive(opts: { train?: number; test?: number } = {}) {
  const { train = 200, test = 100 } = opts;
  const lab = (n: number) => Array.from({ length: n }, (_, i) => [i % 20, i % 100] as [number, number]);
  return tarOf(
    [
      { name: 'cifar-100-binary/fine_label_names.txt', data: Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n') },
      { name: 'cifar-100-binary/coarse_label_names.txt', data: Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n') },
      { name: 'cifar-100-binary/train.bin', data: cifarRecords(lab(train), 5) },
      { name: 'cifar-100-binary/test.bin', data: cifarRecords(lab(test), 6) },
    ],
    true,
  );
}

/** A solid-colour image (PNG by default) whose colour encodes its class, with a little noise. */
export async function imageBytes(w: number, h: number, rgb: [number, number, number], format: 'png' | 'jpeg' | 'webp' = 'png', channels: 1 | 3 | 4 = 3): Promise<Buffer> {
  const px = Buffer.alloc(w * h * channels);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < channels; k++) px[i * channels + k] = k < 3 ? rgb[Math.min(k, 2)] : 255;
  }
  const img = sharp(px, { raw: { width: w, height: h, channels } });
  return format === 'png' ? img.png().toBuffer() : format === 'jpeg' ? img.jpeg({ quality: 95 }).toBuffer() : img.webp({ lossless: true }).toBuffer();
}

export const CLASS_COLOURS: Record<string, [number, number, number]> = {
  cat: [200, 30, 30],
  dog: [30, 200, 30],
  fox: [30, 30, 200],
};

/**
 * ImageFolder members: `perClass` images per class, mostly 12x10 (w x h), one of each class 8x8,
 * and mixed PNG/JPEG/WebP. With `split`, under train/ and test/.
 */
export async function imageFolderMembers(opts: { classes?: string[]; perClass?: number; split?: boolean; root?: string } = {}): Promise<TarMember[]> {
  const { classes = ['cat', 'dog', 'fox'], perClass = 4, split = false, root = '' } = opts;
  const out: TarMember[] = [];
  const formats = ['png', 'jpeg', 'webp'] as const;
  for (const s of split ? ['train/', 'test/'] : ['']) {
    for (const c of classes) {
      out.push({ name: `${root}${s}${c}/`, type: 'directory' });
      for (let i = 0; i < perClass; i++) {
        const [w, h] = i === 0 ? [8, 8] : [12, 10];
        const fmt = formats[i % 3];
        out.push({ name: `${root}${s}${c}/${i}.${fmt === 'jpeg' ? 'jpg' : fmt}`, data: await imageBytes(w, h, CLASS_COLOURS[c] ?? [90, 90, 90], fmt) });
      }
    }
  }
  return out;
}

export const zipFromMembers = (members: TarMember[]) =>
  zipOf(members.filter((m) => m.type !== 'directory' || true).map((m) => ({ name: m.type === 'directory' && !m.name.endsWith('/') ? `${m.name}/` : m.name, data: m.data, symlink: m.type === 'symlink' })));

/** A CSV with features f1..fN; classes from `label(i)`. */
export function csvOf(rows: number, opts: { features?: number; label?: (i: number) => string | number; header?: string[]; mutate?: (cells: string[][]) => void } = {}): Uint8Array {
  const f = opts.features ?? 3;
  const header = opts.header ?? [...Array.from({ length: f }, (_, k) => `f${k + 1}`), 'label'];
  const cells: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const label = opts.label ? opts.label(i) : ['setosa', 'versicolor', 'virginica'][i % 3];
    const cls = typeof label === 'number' ? label : i % 3;
    cells.push([...Array.from({ length: f }, (_, k) => String(cls * 2 + k * 0.5 + ((i * 7 + k) % 5) / 10)), String(label)]);
  }
  opts.mutate?.(cells);
  return new TextEncoder().encode([header.join(','), ...cells.map((c) => c.join(','))].join('\n') + '\n');
}
