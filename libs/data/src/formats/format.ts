import type { Readable, Transform } from 'node:stream';
import { z } from 'zod';
import { invalidFile } from '@trainyard/common';
import type { DatasetIndex, ShardSink, SplitPlan } from '../internal';

/** One uploaded source file, readable as many times as ingest needs (a second pass re-opens it). */
export interface SourceFile {
  /** The name it was uploaded as (archive.tar.gz, train-images, data.csv). */
  name: string;
  sizeBytes: number;
  open(): Promise<Readable>;
}

/** Safety limits on what one ingest may read (archives, images, tables). */
export interface IngestLimits {
  /** Entries an archive may hold. */
  maxEntries: number;
  /** Total bytes an archive may expand to. */
  maxExpandedBytes: number;
  /** Bytes of one archive entry. */
  maxEntryBytes: number;
  /** width * height of one image, checked from its header before decoding. */
  maxImagePixels: number;
  /** Samples in one dataset. */
  maxSamples: number;
  /** Distinct classes. */
  maxClasses: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxEntries: 2_000_000,
  maxExpandedBytes: 64 * 2 ** 30,
  maxEntryBytes: 2 ** 30,
  maxImagePixels: 40_000_000,
  maxSamples: 50_000_000,
  maxClasses: 100_000,
};

export interface IngestContext<O> {
  files: SourceFile[];
  options: O;
  split: SplitPlan;
  sink: ShardSink;
  limits: IngestLimits;
  /** Target shard size (bytes). */
  shardBytes?: number;
  /** A scratch folder for formats that need random access (zip). */
  tmpDir: string;
  log: (msg: string) => void;
}

/** What a format hands back; the driver adds the split plan and writes index.json. */
export type IngestOutput = Omit<DatasetIndex, 'formatVersion' | 'splitting'> & {
  /** Set when only the archive's layout tells whether it carries a test split (ImageFolder). */
  sourceHasTest?: boolean;
};

/**
 * One dataset format: how to read its upload into the internal form. Every format sits behind this
 * interface; nothing outside libs/data knows about idx headers, CIFAR records or archive layouts.
 */
export interface DatasetFormat<S extends z.ZodTypeAny = z.ZodTypeAny> {
  name: string;
  description: string;
  /** The user's options for this format (validated before anything is read). */
  options: S;
  /** Checks the set of uploaded file names before ingest starts (names and count). */
  checkFiles(names: string[]): void;
  /** Refuses a file name this format never takes (BAD_USER_INPUT); called before an upload starts. */
  acceptsFile?(name: string): void;
  /**
   * An early check run on the bytes while they upload (a pass-through stream and what it found), so
   * a wrong file is refused at once instead of at ingest. Optional.
   */
  uploadCheck?(name: string, options: z.infer<S>): { stream: Transform; report: Promise<object> } | undefined;
  /** Whether an upload that completes this set of files should start ingest by itself. */
  autoIngest?(names: string[]): boolean;
  /** Whether the source carries its own test split (else a seeded one is drawn). */
  hasTestSplit(names: string[], options: z.infer<S>): boolean;
  ingest(ctx: IngestContext<z.infer<S>>): Promise<IngestOutput>;
}

export const fileError = (file: string, problem: string, message: string, extra: Record<string, unknown> = {}) =>
  invalidFile(`${file}: ${message}`, { file, problem, ...extra });

/** A short, printable prefix of a bad value, for error messages. */
export const quote = (v: string, max = 32) => JSON.stringify(v.length > max ? `${v.slice(0, max)}...` : v);
