import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { badInput } from '@trainyard/common';
import { DatasetIndex, INDEX_FILE, INDEX_FORMAT_VERSION, ShardSink } from '../internal';
import { cifar100Format, cifar10Format } from './cifar.format';
import { csvFormat } from './csv.format';
import { DatasetFormat, DEFAULT_INGEST_LIMITS, IngestLimits, SourceFile } from './format';
import { idxFormat } from './idx.format';
import { imageFolderFormat } from './image-folder.format';

/** Every dataset format Trainyard reads, by name. Adding a format is one entry here. */
export const DATASET_FORMATS = {
  idx: idxFormat,
  cifar10: cifar10Format,
  cifar100: cifar100Format,
  imagefolder: imageFolderFormat,
  csv: csvFormat,
} satisfies Record<string, DatasetFormat>;

export type DatasetFormatName = keyof typeof DATASET_FORMATS;
export const DATASET_FORMAT_NAMES = Object.keys(DATASET_FORMATS) as DatasetFormatName[];

export function datasetFormat(name: string): DatasetFormat {
  const f = (DATASET_FORMATS as Record<string, DatasetFormat>)[name];
  if (!f) throw badInput(`unknown dataset format ${JSON.stringify(name.slice(0, 40))}; known: ${DATASET_FORMAT_NAMES.join(', ')}`, { field: 'format' });
  return f;
}

/** How test and validation splits are drawn when the source lacks them. */
export const splitOptionsSchema = z
  .object({
    testFraction: z.number().min(0).max(0.9).default(0.1),
    validationFraction: z.number().min(0).max(0.9).default(0),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  })
  .strict();
export type SplitOptions = z.infer<typeof splitOptionsSchema>;

function parse<S extends z.ZodTypeAny>(schema: S, value: unknown, field: string): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    const at = [field, ...i.path].join('.');
    throw badInput(`${at}: ${i.message}`, { field: at });
  }
  return r.data;
}

/** Checks a format name, its options and the split options before anything is uploaded or read. */
export function validateIngestRequest(format: string, options: unknown, split: unknown) {
  const f = datasetFormat(format);
  const o = parse(f.options, options, 'options');
  const s = parse(splitOptionsSchema, split, 'split');
  if (s.testFraction + s.validationFraction >= 1) throw badInput('split.testFraction + split.validationFraction must be below 1', { field: 'split' });
  return { format: f, options: o, split: s };
}

export interface IngestRequest {
  format: string;
  options?: unknown;
  split?: unknown;
  files: SourceFile[];
  sink: ShardSink;
  limits?: Partial<IngestLimits>;
  shardBytes?: number;
  tmpDir?: string;
  log?: (msg: string) => void;
}

/**
 * Reads an upload in any registered format into the internal form: shards through `sink`, then
 * index.json last (so a version with an index is complete). Throws INVALID_DATASET_FILE naming the
 * file and the problem, or BAD_USER_INPUT for bad options.
 */
export async function ingestDataset(req: IngestRequest): Promise<DatasetIndex> {
  const { format, options, split } = validateIngestRequest(req.format, req.options, req.split);
  const names = req.files.map((f) => f.name);
  format.checkFiles(names);
  const sourceHasTest = format.hasTestSplit(names, options);
  const tmp = await mkdtemp(path.join(req.tmpDir ?? tmpdir(), 'ingest-'));
  const log = req.log ?? (() => undefined);
  try {
    const out = await format.ingest({
      files: req.files,
      options,
      split: { sourceHasTest, testFraction: split.testFraction, validationFraction: split.validationFraction, seed: split.seed },
      sink: req.sink,
      limits: { ...DEFAULT_INGEST_LIMITS, ...req.limits },
      shardBytes: req.shardBytes,
      tmpDir: tmp,
      log,
    });
    const { sourceHasTest: fromLayout, ...rest } = out;
    const hasTest = fromLayout ?? sourceHasTest;
    const index: DatasetIndex = {
      formatVersion: INDEX_FORMAT_VERSION,
      ...rest,
      splitting: {
        testFrom: hasTest ? 'source' : 'seeded',
        ...(hasTest ? {} : { testFraction: split.testFraction }),
        ...(split.validationFraction > 0 ? { validationFraction: split.validationFraction } : {}),
        seed: split.seed,
      },
    };
    await req.sink.put(INDEX_FILE, new TextEncoder().encode(JSON.stringify(index)));
    log(`ingested ${format.name}: ${Object.entries(index.splits).map(([k, v]) => `${k} ${v!.count}`).join(', ')}`);
    return index;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
