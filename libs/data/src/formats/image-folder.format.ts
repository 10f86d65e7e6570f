import sharp from 'sharp';
import { z } from 'zod';
import { badInput } from '@trainyard/common';
import { ShardWriter } from '../internal';
import { ArchiveEntry, readAll, readArchive } from './archive';
import { DatasetFormat, fileError, IngestContext, IngestOutput, SourceFile } from './format';

const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;
const side = z.number().int().min(1).max(4096);

const options = z
  .object({
    /** [height, width] every image is resized to; default the most common size in the archive. */
    size: z.tuple([side, side]).optional(),
    /** 1 (grayscale) or 3 (RGB); default the most common channel count. */
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
    /** A corrupt or non-image file inside a class folder: skip it (and count it) or fail the ingest. */
    onCorrupt: z.enum(['skip', 'reject']).default('reject'),
    /** Class folder name to class index (MindSpore's class_indexing); default: sorted names. */
    classIndexing: z.record(z.string(), z.number().int().min(0)).optional(),
  })
  .strict();
type Options = z.infer<typeof options>;

interface Placed {
  split: 'train' | 'test';
  cls: string;
}

/** Where an archive member sits: [train|test/]class/file, under an optional common root folder. */
class Layout {
  private root = '';
  private splitLayout = false;

  constructor(paths: string[]) {
    const firsts = new Set(paths.map((p) => p.split('/')[0]));
    if (firsts.size === 1 && paths.every((p) => p.split('/').length >= 3)) {
      const [only] = firsts;
      if (only !== 'train' && only !== 'test') this.root = `${only}/`;
    }
    const rel = paths.map((p) => p.slice(this.root.length));
    this.splitLayout = rel.some((p) => p.startsWith('train/') && p.split('/').length >= 3);
  }

  get hasTest() {
    return this.splitLayout;
  }

  /** The split and class of a file path, or undefined when it is not inside a class folder. */
  place(path: string): Placed | undefined {
    if (!path.startsWith(this.root)) return undefined;
    const parts = path.slice(this.root.length).split('/');
    if (this.splitLayout) {
      if (parts.length !== 3 || (parts[0] !== 'train' && parts[0] !== 'test')) return undefined;
      return { split: parts[0] as 'train' | 'test', cls: parts[1] };
    }
    if (parts.length !== 2) return undefined;
    return { split: 'train', cls: parts[0] };
  }

  /** A directory that is a class folder: the split and class. */
  classDir(path: string): Placed | undefined {
    return this.place(`${path}/x`);
  }
}

const ignored = (name: string) => name.split('/').some((p) => p.startsWith('.') || p === '__MACOSX');

async function* entries(file: SourceFile, ctx: IngestContext<Options>): AsyncGenerator<ArchiveEntry> {
  for await (const e of readArchive(file, ctx.limits, ctx.tmpDir)) {
    if (ignored(e.name)) continue;
    yield e;
  }
}

interface Survey {
  layout: Layout;
  classes: string[];
  size: [number, number];
  channels: 1 | 3;
  sizes: Record<string, number>;
  files: number;
}

const mostCommon = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];

/** Pass 1: names, class folders, image headers (never pixels). */
async function survey(file: SourceFile, ctx: IngestContext<Options>): Promise<Survey> {
  const names: string[] = [];
  const dirs: string[] = [];
  const headers = new Map<string, { w: number; h: number; c: number } | string>();
  for await (const e of entries(file, ctx)) {
    if (e.dir) {
      dirs.push(e.name);
      continue;
    }
    names.push(e.name);
    if (!IMAGE_EXT.test(e.name)) continue;
    const bytes = await readAll(e.stream);
    try {
      const m = await sharp(bytes).metadata();
      headers.set(e.name, { w: m.width ?? 0, h: m.height ?? 0, c: m.channels ?? 0 });
    } catch (err) {
      headers.set(e.name, (err as Error).message);
    }
  }
  const layout = new Layout(names);
  const perClass = new Map<string, number>();
  const sizes = new Map<string, number>();
  const channels = new Map<string, number>();
  let files = 0;
  for (const d of dirs) {
    const p = layout.classDir(d);
    if (p && !perClass.has(`${p.split}/${p.cls}`)) perClass.set(`${p.split}/${p.cls}`, 0);
  }
  for (const n of names) {
    const p = layout.place(n);
    if (!p) continue;
    const key = `${p.split}/${p.cls}`;
    perClass.set(key, perClass.get(key) ?? 0);
    const h = headers.get(n);
    if (!h || typeof h === 'string') {
      if (ctx.options.onCorrupt === 'reject') {
        throw fileError(`${file.name}:${n}`, 'corrupt-image', h ? `not a readable image (${h.slice(0, 120)})` : 'not an image (expected .png, .jpg, .jpeg or .webp)');
      }
      continue;
    }
    if (h.w * h.h > ctx.limits.maxImagePixels) {
      throw fileError(`${file.name}:${n}`, 'too-many-pixels', `${h.w}x${h.h} is ${h.w * h.h} pixels, more than the limit of ${ctx.limits.maxImagePixels}`);
    }
    perClass.set(key, perClass.get(key)! + 1);
    sizes.set(`${h.h}x${h.w}`, (sizes.get(`${h.h}x${h.w}`) ?? 0) + 1);
    const c = h.c >= 3 ? '3' : '1';
    channels.set(c, (channels.get(c) ?? 0) + 1);
    files++;
  }
  for (const [key, n] of perClass) {
    if (n === 0) throw fileError(`${file.name}:${key.startsWith('train/') && !layout.hasTest ? key.slice(6) : key}/`, 'empty-class', 'the class folder holds no images');
  }
  const classes = [...new Set([...perClass.keys()].map((k) => k.slice(k.indexOf('/') + 1)))].sort();
  if (classes.length === 0) throw fileError(file.name, 'no-classes', 'no class folders with images found (expected class_name/image.png, optionally under train/ and test/)');
  if (classes.length === 1) throw fileError(file.name, 'single-class', `only one class folder (${JSON.stringify(classes[0])}); a classifier needs at least two`);
  if (classes.length > ctx.limits.maxClasses) throw fileError(file.name, 'too-many-classes', `${classes.length} classes, more than the limit of ${ctx.limits.maxClasses}`);
  const [h, w] = (ctx.options.size ?? mostCommon(sizes)!.split('x').map(Number)) as [number, number];
  return {
    layout,
    classes,
    size: [h, w],
    channels: ctx.options.channels ?? (Number(mostCommon(channels)) as 1 | 3),
    sizes: Object.fromEntries(sizes),
    files,
  };
}

function classIndex(classes: string[], indexing: Record<string, number> | undefined): Map<string, number> {
  if (!indexing) return new Map(classes.map((c, i) => [c, i]));
  const missing = classes.filter((c) => !(c in indexing));
  if (missing.length) throw badInput(`classIndexing has no entry for class folder ${JSON.stringify(missing[0])}`, { field: 'options.classIndexing' });
  const used = Object.values(indexing).slice().sort((a, b) => a - b);
  if (used.some((v, i) => v !== i)) throw badInput('classIndexing must map the classes to 0..n-1, each index once', { field: 'options.classIndexing' });
  return new Map(Object.entries(indexing));
}

async function ingestImageFolder(ctx: IngestContext<Options>): Promise<IngestOutput> {
  const file = ctx.files[0];
  const s = await survey(file, ctx);
  const index = classIndex(s.classes, ctx.options.classIndexing);
  const [h, w] = s.size;
  const c = s.channels;
  ctx.log(`${s.files} images in ${s.classes.length} classes; storing ${h}x${w}x${c}`);
  const writer = new ShardWriter(ctx.sink, { dtype: 'uint8', sampleShape: [h, w, c], task: 'classification', numClasses: index.size, split: { ...ctx.split, sourceHasTest: s.layout.hasTest }, shardBytes: ctx.shardBytes });
  const skipped: string[] = [];
  let done = 0;
  for await (const e of entries(file, ctx)) {
    if (e.dir) continue;
    const p = s.layout.place(e.name);
    if (!p) continue;
    const bytes = await readAll(e.stream);
    let pixels: Buffer;
    try {
      if (!IMAGE_EXT.test(e.name)) throw new Error('not an image file');
      let img = sharp(bytes, { limitInputPixels: ctx.limits.maxImagePixels }).resize(w, h, { fit: 'fill' });
      img = c === 1 ? img.grayscale() : img.removeAlpha().toColourspace('srgb');
      const out = await img.raw().toBuffer({ resolveWithObject: true });
      if (out.info.channels !== c) throw new Error(`decoded to ${out.info.channels} channels`);
      pixels = out.data;
    } catch (err) {
      if (ctx.options.onCorrupt === 'reject') throw fileError(`${file.name}:${e.name}`, 'corrupt-image', `not a readable image (${(err as Error).message.slice(0, 120)})`);
      skipped.push(e.name);
      continue;
    }
    await writer.add(p.split, index.get(p.cls)!, pixels);
    if (++done % 5000 === 0) ctx.log(`${done}/${s.files} images`);
  }
  return {
    source: 'imagefolder',
    task: 'classification',
    dtype: 'uint8',
    sampleShape: [h, w, c],
    classNames: [...index].sort((a, b) => a[1] - b[1]).map(([name]) => name),
    splits: await writer.finish(),
    skipped: { count: skipped.length, examples: skipped.slice(0, 10) },
    notes: { originalSizes: s.sizes },
    sourceHasTest: s.layout.hasTest,
  };
}

/** torchvision/MindSpore ImageFolder: class_name/*.png|jpg|jpeg|webp in a .zip, .tar or .tar.gz. */
export const imageFolderFormat: DatasetFormat<typeof options> = {
  name: 'imagefolder',
  description: 'ImageFolder: a .zip, .tar or .tar.gz of class_name/image files (png, jpg, webp), optionally under train/ and test/',
  options,
  checkFiles(names) {
    if (names.length !== 1) throw badInput(`imagefolder takes exactly one archive file, got ${names.length}`, { problem: 'file-count' });
  },
  // Known only after reading the archive's names; ingest decides (the driver asks again after the survey).
  hasTestSplit: () => false,
  ingest: ingestImageFolder,
};
