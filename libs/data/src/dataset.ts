import { badInput } from '@trainyard/common';
import { createRng, mixSeed, Rng } from './rng';

/**
 * MindSpore's shuffle(buffer_size): keep a buffer of `bufferSize` samples; once it is full, each new
 * sample takes the place of a randomly chosen buffered one, which is emitted; at the end the buffer
 * drains in random order. bufferSize >= the dataset size gives a uniform full shuffle; 1 gives none.
 */
export function* shuffleStream<T>(source: Iterable<T>, bufferSize: number, rng: Rng): Generator<T> {
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw badInput(`shuffle buffer_size must be a positive integer, got ${bufferSize}`);
  const buf: T[] = [];
  for (const item of source) {
    if (buf.length < bufferSize) {
      buf.push(item);
      continue;
    }
    const j = rng.int(bufferSize);
    const out = buf[j];
    buf[j] = item;
    yield out;
  }
  while (buf.length > 0) {
    const j = rng.int(buf.length);
    const out = buf[j];
    buf[j] = buf[buf.length - 1];
    buf.pop();
    yield out;
  }
}

function* range(n: number) {
  for (let i = 0; i < n; i++) yield i;
}

/** The order shuffleStream gives to samples 0..n-1: exactly what Dataset.shuffle would emit. */
export function shuffleOrder(n: number, bufferSize: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  let k = 0;
  for (const i of shuffleStream(range(n), Math.min(bufferSize, Math.max(n, 1)), rng)) order[k++] = i;
  return order;
}

/**
 * A lazy, re-iterable dataset with MindSpore's dataset-level vocabulary. Each iteration is one pass;
 * a shuffle re-seeds per pass (seed + pass number), like MindSpore's reshuffle each epoch, so passes
 * differ but the whole sequence is reproducible. The training path uses buildBatchSource, which
 * gives the same shuffle over sample indices without the per-sample generator overhead.
 */
export class Dataset<T> implements Iterable<T> {
  private constructor(private readonly passes: (pass: number) => Iterable<T>) {}

  static from<T>(items: Iterable<T> | (() => Iterable<T>)): Dataset<T> {
    return new Dataset(() => (typeof items === 'function' ? items() : items));
  }

  /** Yields (a, b) pairs until the shorter one ends, like MindSpore's zip. */
  static zip<A, B>(a: Dataset<A>, b: Dataset<B>): Dataset<[A, B]> {
    return new Dataset(function* (pass) {
      const ib = b.iterate(pass)[Symbol.iterator]();
      for (const x of a.iterate(pass)) {
        const y = ib.next();
        if (y.done) return;
        yield [x, y.value] as [A, B];
      }
    });
  }

  /** The samples of pass `pass` (0 for the first iteration). */
  iterate(pass = 0): Iterable<T> {
    return this.passes(pass);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.iterate(0)[Symbol.iterator]();
  }

  map<U>(fn: (item: T) => U): Dataset<U> {
    const self = this;
    return new Dataset(function* (pass) {
      for (const x of self.iterate(pass)) yield fn(x);
    });
  }

  shuffle(bufferSize: number, seed: number): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw badInput(`shuffle buffer_size must be a positive integer, got ${bufferSize}`);
    return new Dataset((pass) => shuffleStream(this.iterate(pass), bufferSize, createRng(mixSeed(seed, pass))));
  }

  batch(batchSize: number, dropRemainder = false): Dataset<T[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw badInput(`batch_size must be a positive integer, got ${batchSize}`);
    const self = this;
    return new Dataset(function* (pass) {
      let cur: T[] = [];
      for (const x of self.iterate(pass)) {
        cur.push(x);
        if (cur.length === batchSize) {
          yield cur;
          cur = [];
        }
      }
      if (cur.length > 0 && !dropRemainder) yield cur;
    });
  }

  /** `count` passes in a row (pass numbers count * p .. count * p + count - 1, so shuffles differ). */
  repeat(count: number): Dataset<T> {
    if (!Number.isInteger(count) || count < 1) throw badInput(`repeat count must be a positive integer, got ${count}`);
    const self = this;
    return new Dataset(function* (pass) {
      for (let r = 0; r < count; r++) yield* self.iterate(pass * count + r);
    });
  }

  toArray(pass = 0): T[] {
    return Array.from(this.iterate(pass));
  }
}
