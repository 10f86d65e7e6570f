import { gunzipSync } from 'node:zlib';
import { invalidFile } from '@trainyard/common';

/**
 * The idx format (LeCun's MNIST files): a 4-byte magic `00 00 <type> <ndims>`, then `ndims` big-endian
 * uint32 dimension sizes, then the data, row-major. We only accept type 0x08 (unsigned byte).
 */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;
export type IdxKind = 'images' | 'labels';

export const magicOf: Record<IdxKind, number> = { images: IDX_IMAGES_MAGIC, labels: IDX_LABELS_MAGIC };
export const ndimsOf: Record<IdxKind, number> = { images: 3, labels: 1 };

/** Limits on what a header may declare, so a hostile header cannot make us wait for terabytes. */
export interface IdxLimits {
  /** Largest image height and width. */
  maxSide: number;
  /** Largest sample count. */
  maxCount: number;
}
export const DEFAULT_IDX_LIMITS: IdxLimits = { maxSide: 4096, maxCount: 10_000_000 };

export const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

export const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Checks the 4-byte magic (as soon as it has arrived, so a wrong file fails before its header is complete). */
export function checkIdxMagic(header: Uint8Array, expected: IdxKind, role: string): void {
  const magic = new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(0, false);
  if (magic !== magicOf[expected]) {
    const other: IdxKind = expected === 'images' ? 'labels' : 'images';
    const hint = magic === magicOf[other] ? ` (that is an idx ${other} file)` : header[0] === 0x1f ? '' : ' (not an idx file?)';
    throw invalidFile(`${role}: wrong magic number ${hex32(magic)}, expected ${hex32(magicOf[expected])} for idx ${expected}${hint}`, {
      role,
      problem: 'magic',
      expected: hex32(magicOf[expected]),
      actual: hex32(magic),
    });
  }
}

/**
 * Checks a complete header (magic + dims) and returns the dims. `role` names the file in errors
 * ("train-images"). Throws INVALID_DATASET_FILE.
 */
export function checkIdxHeader(header: Uint8Array, expected: IdxKind, role: string, limits: IdxLimits = DEFAULT_IDX_LIMITS): number[] {
  checkIdxMagic(header, expected, role);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const ndims = ndimsOf[expected];
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims[0] === 0) throw invalidFile(`${role}: the header declares 0 samples`, { role, problem: 'empty', dims });
  if (dims[0] > limits.maxCount) {
    throw invalidFile(`${role}: the header declares ${dims[0]} samples, more than the limit of ${limits.maxCount}`, { role, problem: 'dims', dims });
  }
  if (expected === 'images') {
    const [, rows, cols] = dims;
    if (rows === 0 || cols === 0 || rows > limits.maxSide || cols > limits.maxSide) {
      throw invalidFile(`${role}: image size ${rows}x${cols} is outside 1..${limits.maxSide}`, { role, problem: 'dims', dims });
    }
  }
  return dims;
}

export const idxHeaderBytes = (kind: IdxKind) => 4 + 4 * ndimsOf[kind];

export interface ParsedIdx {
  /** e.g. [60000, 28, 28] for images, [60000] for labels. */
  dims: number[];
  /** The data bytes, row-major, a view into the (decompressed) input. */
  data: Uint8Array;
}

/**
 * Parses a whole idx file held in memory (gunzipping it first when it starts with 1f 8b). The kind is
 * taken from the magic unless `expected` is given. For training; uploads go through the streaming
 * validator instead.
 */
export function parseIdx(input: Uint8Array, expected?: IdxKind, role: string = expected ?? 'idx'): ParsedIdx {
  const buf = isGzip(input) ? new Uint8Array(gunzipSync(input)) : input;
  if (buf.length < 4) throw invalidFile(`${role}: truncated: ${buf.length} bytes, not even a magic number`, { role, problem: 'truncated' });
  const kind: IdxKind | undefined =
    expected ?? (buf[0] === 0 && buf[1] === 0 && buf[2] === 8 ? (buf[3] === 3 ? 'images' : buf[3] === 1 ? 'labels' : undefined) : undefined);
  if (!kind) {
    throw invalidFile(`${role}: not an idx images or labels file (magic ${hex32(new DataView(buf.buffer, buf.byteOffset).getUint32(0))})`, {
      role,
      problem: 'magic',
    });
  }
  const headerLen = idxHeaderBytes(kind);
  if (buf.length < headerLen) {
    throw invalidFile(`${role}: truncated header: ${buf.length} bytes, expected ${headerLen}`, { role, problem: 'truncated' });
  }
  const dims = checkIdxHeader(buf.subarray(0, headerLen), kind, role);
  const dataLen = dims.reduce((a, b) => a * b, 1);
  const expectedTotal = headerLen + dataLen;
  if (buf.length < expectedTotal) {
    throw invalidFile(`${role}: truncated: expected ${expectedTotal} bytes, got ${buf.length}`, {
      role,
      problem: 'truncated',
      expectedBytes: expectedTotal,
      actualBytes: buf.length,
    });
  }
  if (buf.length > expectedTotal) {
    throw invalidFile(`${role}: ${buf.length - expectedTotal} trailing bytes after the ${expectedTotal} bytes the header declares`, {
      role,
      problem: 'trailing',
      expectedBytes: expectedTotal,
      actualBytes: buf.length,
    });
  }
  return { dims, data: buf.subarray(headerLen) };
}
