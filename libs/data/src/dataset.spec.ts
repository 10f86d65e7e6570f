import { Dataset, shuffleOrder, shuffleStream } from './dataset';
import { createRng, mixSeed } from './rng';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);

describe('shuffle(buffer_size)', () => {
  it('is a permutation and deterministic for a seed', () => {
    const a = shuffleOrder(1000, 100, createRng(42));
    const b = shuffleOrder(1000, 100, createRng(42));
    const c = shuffleOrder(1000, 100, createRng(43));
    expect(sorted(a)).toEqual(range(1000));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a)).not.toEqual(range(1000));
  });

  it('buffer_size 1 keeps the order; a small buffer only moves samples locally', () => {
    expect(Array.from(shuffleOrder(50, 1, createRng(1)))).toEqual(range(50));
    // With a buffer of 10, sample i cannot come out before position i - 9.
    const order = shuffleOrder(1000, 10, createRng(7));
    order.forEach((sample, pos) => expect(pos).toBeGreaterThanOrEqual(sample - 9));
  });

  it('a buffer at least the dataset size shuffles uniformly (first position, chi-square-ish)', () => {
    const counts = new Array(5).fill(0);
    for (let s = 0; s < 5000; s++) counts[shuffleOrder(5, 10, createRng(mixSeed(s)))[0]]++;
    counts.forEach((c) => expect(Math.abs(c - 1000)).toBeLessThan(120));
  });

  it('shuffleStream and shuffleOrder agree', () => {
    expect(Array.from(shuffleStream(range(30), 8, createRng(5)))).toEqual(Array.from(shuffleOrder(30, 8, createRng(5))));
  });
});

describe('Dataset', () => {
  const ds = Dataset.from(() => range(10));

  it('batch with and without drop_remainder', () => {
    expect(ds.batch(4).toArray()).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(ds.batch(4, true).toArray()).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(ds.batch(20, true).toArray()).toEqual([]);
  });

  it('repeat re-shuffles each pass; the whole sequence is reproducible', () => {
    const r = ds.shuffle(10, 3).repeat(3).toArray();
    expect(r).toHaveLength(30);
    const passes = [r.slice(0, 10), r.slice(10, 20), r.slice(20)];
    passes.forEach((p) => expect(sorted(p)).toEqual(range(10)));
    expect(passes[0]).not.toEqual(passes[1]);
    expect(ds.shuffle(10, 3).repeat(3).toArray()).toEqual(r);
    expect(ds.shuffle(10, 3).repeat(3).toArray(1)).not.toEqual(r); // the next epoch differs
  });

  it('batch after repeat spans passes, as in MindSpore; map and zip', () => {
    expect(ds.repeat(2).batch(4).toArray().map((b) => b.length)).toEqual([4, 4, 4, 4, 4]);
    const z = Dataset.zip(ds.map((x) => x * 2), Dataset.from(['a', 'b', 'c'])).toArray();
    expect(z).toEqual([[0, 'a'], [2, 'b'], [4, 'c']]);
  });
});
