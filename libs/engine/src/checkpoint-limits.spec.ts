import { CHECKPOINT_MAGIC, CheckpointFormatError, crc32, loadCheckpoint } from './checkpoint';

/** Hand-built checkpoint bytes with any header: what a hostile file can declare. */
function bytesWith(header: Record<string, unknown>, data = new Uint8Array(0), headerLengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ dataByteLength: data.byteLength, dataCrc32: crc32(data), ...header }));
  const dataStart = (16 + json.byteLength + 7) & ~7;
  const out = new Uint8Array(dataStart + data.byteLength);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, 1, true);
  view.setUint32(12, headerLengthOverride ?? json.byteLength, true);
  out.set(json, 16);
  out.set(data, dataStart);
  return out;
}

const base = {
  format: 'trainyard-checkpoint',
  version: 1,
  modelSpec: { name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10 },
  tensors: [] as unknown[],
};
const tensor = (over: Record<string, unknown> = {}) => ({ name: 'w', group: 'model', dtype: 'float32', shape: [2], offset: 0, byteLength: 8, ...over });

const reason = (bytes: Uint8Array) => {
  try {
    loadCheckpoint(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointFormatError);
    return (e as Error).message;
  }
  return 'loaded';
};

describe('loadCheckpoint on hostile headers', () => {
  it('loads a well-formed hand-built file', () => {
    expect(reason(bytesWith({ ...base, tensors: [tensor()] }, new Uint8Array(8)))).toBe('loaded');
  });

  it('refuses a header length over the limit before reading it', () => {
    expect(reason(bytesWith(base, undefined, 0xffffffff))).toMatch(/header of 4294967295 bytes is over the 1048576-byte limit/);
  });

  it.each([
    [{ tensors: Array.from({ length: 5000 }, () => tensor()) }, /5000 tensors; at most 4096/],
    [{ tensors: [tensor({ group: 'constructor' })] }, /unknown group/],
    [{ tensors: [tensor({ group: '__proto__' })] }, /unknown group/],
    [{ tensors: [tensor({ dtype: 'float64' })] }, /unsupported dtype/],
    [{ tensors: [tensor({ shape: [1e6, 1e6], byteLength: 4e12 })] }, /more than 268435456 elements/],
    [{ tensors: [tensor({ shape: [-2] })] }, /shape must be/],
    [{ tensors: [tensor({ shape: 'x' })] }, /shape must be/],
    [{ tensors: [tensor({ offset: 4 })] }, /do not fit the data section/],
    [{ tensors: [tensor({ name: 'n'.repeat(300) })] }, /name missing or over 256/],
    [{ modelSpec: { name: 'lenet5', inputShape: [32, 32, 1], numClasses: 1e9 } }, /numClasses/],
    [{ modelSpec: { name: 'lenet5', inputShape: [1e6, 1e6, 3], numClasses: 10 } }, /inputShape/],
    [{ dataByteLength: -1 }, /dataByteLength/],
  ])('refuses %#', (over, message) => {
    expect(reason(bytesWith({ ...base, ...over }, new Uint8Array(8)))).toMatch(message);
  });
});
