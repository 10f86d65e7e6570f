import { createHash, Hash } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, Gunzip } from 'node:zlib';
import { invalidFile } from '@trainyard/common';
import { checkIdxHeader, checkIdxMagic, DEFAULT_IDX_LIMITS, idxHeaderBytes, IdxKind, IdxLimits } from './idx';

export interface IdxValidatorOptions {
  /** How the file is named in errors: 'train-labels', 't10k-images'. Defaults to the kind. */
  role?: string;
  /** Labels must lie in 0..numClasses-1. Default 10 (MNIST). */
  numClasses?: number;
  limits?: Partial<IdxLimits>;
}

/** What a valid idx upload turned out to hold. */
export interface IdxFileReport {
  role: string;
  kind: IdxKind;
  /** Samples in the file (the first dimension). */
  count: number;
  /** All dimensions from the header: [count, rows, cols] or [count]. */
  dims: number[];
  /** Labels only: samples per class, numClasses entries. */
  classHistogram?: number[];
  /** Labels only: the bound they were checked against. */
  numClasses?: number;
  /** Whether the upload was gzipped. */
  gzipped: boolean;
  /** sha256 (hex) and size of the bytes as uploaded (compressed when gzipped). */
  sha256: string;
  sizeBytes: number;
  /** Size of the idx content after decompression. */
  idxBytes: number;
}

/** Trailing bytes we count past the declared end before giving up on reading the rest. */
const TRAILING_READ_LIMIT = 1 << 20;

/**
 * Incremental idx checker over decompressed bytes: header, then data (label range checks and
 * histogram), then exact length at `finish()`. Holds only the header and a histogram in memory.
 */
class IdxChecker {
  private readonly headerLen: number;
  private readonly header: Uint8Array;
  private headerFill = 0;
  private magicChecked = false;
  dims: number[] | undefined;
  private dataExpected = 0;
  private dataSeen = 0;
  total = 0;
  readonly histogram: Uint32Array;

  constructor(
    private readonly kind: IdxKind,
    private readonly role: string,
    private readonly numClasses: number,
    private readonly limits: IdxLimits,
  ) {
    this.headerLen = idxHeaderBytes(kind);
    this.header = new Uint8Array(this.headerLen);
    this.histogram = new Uint32Array(numClasses);
  }

  update(chunk: Uint8Array): void {
    this.total += chunk.length;
    let off = 0;
    if (!this.dims) {
      const take = Math.min(this.headerLen - this.headerFill, chunk.length);
      this.header.set(chunk.subarray(0, take), this.headerFill);
      this.headerFill += take;
      off = take;
      if (!this.magicChecked && this.headerFill >= 4) {
        checkIdxMagic(this.header, this.kind, this.role);
        this.magicChecked = true;
      }
      if (this.headerFill < this.headerLen) return;
      this.dims = checkIdxHeader(this.header, this.kind, this.role, this.limits);
      this.dataExpected = this.dims.reduce((a, b) => a * b, 1);
    }
    const room = this.dataExpected - this.dataSeen;
    const n = Math.min(room, chunk.length - off);
    if (this.kind === 'labels' && n > 0) this.countLabels(chunk, off, n);
    this.dataSeen += n;
    const extra = chunk.length - off - n;
    if (extra > 0 && this.total - this.expectedTotal() > TRAILING_READ_LIMIT) {
      throw this.trailingError(true);
    }
  }

  private countLabels(chunk: Uint8Array, off: number, n: number) {
    const h = this.histogram;
    const k = this.numClasses;
    for (let i = 0; i < n; i++) {
      const v = chunk[off + i];
      if (v >= k) {
        const index = this.dataSeen + i;
        throw invalidFile(`${this.role}: label ${v} at index ${index} is outside 0..${k - 1}`, {
          role: this.role,
          problem: 'label-range',
          index,
          value: v,
          numClasses: k,
        });
      }
      h[v]++;
    }
  }

  private expectedTotal() {
    return this.headerLen + this.dataExpected;
  }

  private trailingError(partial: boolean) {
    const expected = this.expectedTotal();
    const extra = this.total - expected;
    return invalidFile(
      `${this.role}: ${partial ? 'at least ' : ''}${extra} trailing bytes after the ${expected} bytes the header declares (${this.describe()})`,
      { role: this.role, problem: 'trailing', expectedBytes: expected, actualBytes: this.total },
    );
  }

  private describe() {
    const d = this.dims!;
    return this.kind === 'images' ? `${d[0]} images of ${d[1]}x${d[2]}` : `${d[0]} labels`;
  }

  finish(): void {
    if (!this.dims) {
      throw invalidFile(`${this.role}: truncated header: got ${this.total} bytes, an idx ${this.kind} header is ${this.headerLen}`, {
        role: this.role,
        problem: 'truncated',
        expectedBytes: this.headerLen,
        actualBytes: this.total,
      });
    }
    const expected = this.expectedTotal();
    if (this.total < expected) {
      throw invalidFile(`${this.role}: truncated: expected ${expected} bytes (${this.describe()}), got ${this.total}`, {
        role: this.role,
        problem: 'truncated',
        expectedBytes: expected,
        actualBytes: this.total,
      });
    }
    if (this.total > expected) throw this.trailingError(false);
  }
}

/**
 * A pass-through Transform that validates an idx upload as it streams by: pipe the upload through it
 * into the artifact store, and the store sees the bytes unchanged while this checks them. Accepts
 * gzipped (magic 1f 8b, decompressed on the fly) or raw idx. On a problem the stream errors with
 * INVALID_DATASET_FILE (so a `pipeline()` into a store aborts the upload); on success `report`
 * resolves after the stream finishes. Nothing is buffered beyond zlib's window and one chunk.
 */
export interface IdxValidatorStream extends Transform {
  readonly report: Promise<IdxFileReport>;
}

export function createIdxValidator(expected: IdxKind, opts: IdxValidatorOptions = {}): IdxValidatorStream {
  const role = opts.role ?? expected;
  const numClasses = opts.numClasses ?? 10;
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 256) {
    throw new RangeError(`numClasses must be an integer in 1..256, got ${numClasses}`);
  }
  const checker = new IdxChecker(expected, role, numClasses, { ...DEFAULT_IDX_LIMITS, ...opts.limits });
  const hash: Hash = createHash('sha256');
  let size = 0;
  let mode: 'undecided' | 'raw' | 'gzip' = 'undecided';
  let pending: Buffer | undefined; // the first byte, while we cannot yet tell gzip from raw
  let gunzip: Gunzip | undefined;
  let failure: Error | undefined;
  let resolveReport!: (r: IdxFileReport) => void;
  let rejectReport!: (e: Error) => void;
  const report = new Promise<IdxFileReport>((res, rej) => {
    resolveReport = res;
    rejectReport = rej;
  });
  report.catch(() => undefined); // a caller may only listen to the stream's error

  const feed = (b: Uint8Array) => {
    if (failure) return;
    try {
      checker.update(b);
    } catch (e) {
      failure = e as Error;
    }
  };

  const startGunzip = () => {
    gunzip = createGunzip();
    gunzip.on('data', feed);
    gunzip.on('error', (e) => {
      failure ??= invalidFile(`${role}: not a valid gzip stream: ${e.message}`, { role, problem: 'gzip' });
      // zlib does not call back pending writes after an error: fail the stream here.
      stream.destroy(failure);
    });
  };

  const route = (b: Buffer, done: (err?: Error | null) => void) => {
    if (mode === 'gzip') {
      gunzip!.write(b, () => done(failure));
    } else {
      feed(b);
      done(failure);
    }
  };

  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (failure) return cb(failure);
      hash.update(chunk);
      size += chunk.length;
      this.push(chunk);
      let b = chunk;
      if (mode === 'undecided') {
        b = pending ? Buffer.concat([pending, chunk]) : chunk;
        pending = undefined;
        if (b.length < 2) {
          pending = b;
          return cb();
        }
        mode = b[0] === 0x1f && b[1] === 0x8b ? 'gzip' : 'raw';
        if (mode === 'gzip') startGunzip();
      }
      route(b, (err) => cb(err ?? null));
    },
    flush(cb: TransformCallback) {
      const end = () => {
        if (!failure) {
          try {
            checker.finish();
          } catch (e) {
            failure = e as Error;
          }
        }
        if (failure) return cb(failure);
        cb();
        resolveReport({
          role,
          kind: expected,
          count: checker.dims![0],
          dims: checker.dims!,
          ...(expected === 'labels' ? { classHistogram: Array.from(checker.histogram), numClasses } : {}),
          gzipped: mode === 'gzip',
          sha256: hash.digest('hex'),
          sizeBytes: size,
          idxBytes: checker.total,
        });
      };
      if (pending) feed(pending); // a 1-byte file
      if (mode !== 'gzip') return end();
      gunzip!.once('end', end);
      gunzip!.once('error', () => end());
      gunzip!.end();
    },
  });
  stream.once('error', (e) => {
    rejectReport(e);
    gunzip?.destroy();
  });
  return Object.assign(stream, { report }) as IdxValidatorStream;
}

/**
 * Validates a whole idx stream and returns its report (the bytes are discarded). For checking a file
 * already in the store; during an upload pipe through `createIdxValidator` instead.
 */
export async function validateIdxStream(
  source: Readable | AsyncIterable<Uint8Array>,
  expected: IdxKind,
  opts: IdxValidatorOptions = {},
): Promise<IdxFileReport> {
  const v = createIdxValidator(expected, opts);
  v.on('data', () => undefined); // drop the pass-through copy
  await pipeline(source, v);
  return v.report;
}
