import { flattenNumbers } from './tensors';

describe('flattenNumbers', () => {
  it('flattens nested arrays row-major and counts values beyond the buffer', () => {
    const out = new Float32Array(4);
    expect(flattenNumbers([[1, 2], [3, [4, 5]]], out, 'x')).toBe(5);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(flattenNumbers([[0.5]], new Float32Array(1), 'x', 'FP32', 0)).toBe(1);
  });

  it('names the first bad element exactly, however deep', () => {
    expect(() => flattenNumbers([[1, 2], [3, 'a']], new Float32Array(4), 'instances[0]')).toThrow(/instances\[0\]\[1\]\[1\] must be a finite number/);
    expect(() => flattenNumbers([1, Infinity], new Float32Array(2), 'x')).toThrow(/x\[1\] must be a finite number/);
    expect(() => flattenNumbers([1, null], new Float32Array(2), 'x')).toThrow(/x\[1\] must be a finite number/);
    expect(() => flattenNumbers(['7'], new Float32Array(1), 'x')).toThrow(/x\[0\] must be a finite number or an array of them, got "7"/);
    expect(flattenNumbers(7, new Float32Array(1), 'x')).toBe(1); // a bare number is one value, as before
  });

  it('checks integer dtypes', () => {
    expect(flattenNumbers([0, 255], new Float32Array(2), 'd', 'UINT8')).toBe(2);
    expect(() => flattenNumbers([0, 256], new Float32Array(2), 'd', 'UINT8')).toThrow(/d\[1\] must be an integer 0-255 for UINT8/);
    expect(() => flattenNumbers([1.5], new Float32Array(1), 'd', 'INT32')).toThrow(/d\[0\] must be an integer for INT32/);
    expect(flattenNumbers([1.5], new Float32Array(1), 'd', 'FP64')).toBe(1);
  });
});
