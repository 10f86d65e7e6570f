import { buildReceipt, datasetDigest } from './receipt';

const files = [
  { name: 'train-labels', sha256: 'b'.repeat(64) },
  { name: 'train-images', sha256: 'a'.repeat(64) },
];
const env = { backend: 'wasm', tfjsVersion: '4.22.0', wasmBackendVersion: '4.22.0', nodeVersion: '20.20.2', nativeIsa: 'avx2', kernels: ['Conv2D'] };

describe('receipt', () => {
  it('digests a dataset by its files, whatever their order, and changes when one file does', () => {
    expect(datasetDigest(files)).toBe(datasetDigest([...files].reverse()));
    expect(datasetDigest(files)).toMatch(/^[0-9a-f]{64}$/);
    expect(datasetDigest([files[0], { ...files[1], sha256: 'c'.repeat(64) }])).not.toBe(datasetDigest(files));
  });

  it('records the spec, its seed, the fine-tune base and the environment', () => {
    const r = buildReceipt({ datasetId: 'd', datasetVersionId: 'v', spec: { seed: 42, epochs: 1 }, baseCheckpointId: null, frozenLayers: [] }, files, env);
    expect(r).toMatchObject({ version: 1, datasetId: 'd', datasetVersionId: 'v', seed: 42, spec: { seed: 42, epochs: 1 }, backend: 'wasm', kernels: ['Conv2D'], nativeIsa: 'avx2' });
    expect(r.datasetDigest).toBe(datasetDigest(files));
  });
});
