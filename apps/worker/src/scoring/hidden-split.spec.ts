import { partitionHiddenSplit } from './hidden-split';

describe('the hidden split partition', () => {
  it('is fixed by the seed, disjoint, complete, and the public share is the set fraction', () => {
    const a = partitionHiddenSplit(1000, 0.3, 42);
    const b = partitionHiddenSplit(1000, 0.3, 42);
    expect(a).toEqual(b);
    expect(a.publicIdx).toHaveLength(300);
    expect(a.privateIdx).toHaveLength(700);
    expect(new Set([...a.publicIdx, ...a.privateIdx]).size).toBe(1000);
    // not simply the first 300 samples, and another seed gives another split
    expect(a.publicIdx.some((i) => i >= 300)).toBe(true);
    expect(partitionHiddenSplit(1000, 0.3, 43).publicIdx).not.toEqual(a.publicIdx);
  });

  it('keeps at least one sample on each side', () => {
    expect(partitionHiddenSplit(3, 0.01, 1).publicIdx).toHaveLength(1);
    expect(partitionHiddenSplit(3, 0.99, 1).privateIdx).toHaveLength(1);
  });
});
