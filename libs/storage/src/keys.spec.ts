import { keys } from './keys';

describe('keys', () => {
  it('lays artifacts out under the team', () => {
    expect(keys.datasetFile('t1', 'd1', 'train-images', 'u1')).toBe('teams/t1/datasets/d1/files/train-images/u1');
    expect(keys.checkpoint('t1', 'e1', 1875)).toBe('teams/t1/experiments/e1/checkpoints/step-000000001875.a1.ckpt');
    expect(keys.checkpoint('t1', 'e1', 1875, 3)).toBe('teams/t1/experiments/e1/checkpoints/step-000000001875.a3.ckpt');
    expect(keys.checkpointStep(keys.checkpoint('t1', 'e1', 1875))).toBe(1875);
    expect(keys.export('t1', 'e1', 'onnx', 'model.onnx')).toBe('teams/t1/experiments/e1/exports/onnx/model.onnx');
    expect(keys.checkpoint('t1', 'e1', 5).startsWith(keys.checkpoints('t1', 'e1'))).toBe(true);
    expect(keys.checkpointExport('t1', 'e1', 'c1', 'onnx')).toBe('teams/t1/experiments/e1/exports/onnx/c1.onnx');
    expect(keys.checkpointExport('t1', 'e1', 'c1', 'onnx').startsWith(keys.experiment('t1', 'e1'))).toBe(true);
  });

  it('refuses ids that are not one path segment', () => {
    expect(() => keys.datasetFile('t1', '../d', 'r', 'u')).toThrow(/datasetId/);
    expect(() => keys.checkpoint('a/b', 'e', 1)).toThrow(/teamId/);
    expect(() => keys.checkpoint('t', 'e', -1)).toThrow(/step/);
    expect(() => keys.export('t', 'e', 'onnx', '..')).toThrow(/file/);
    expect(() => keys.checkpointExport('t', 'e', 'c/../x', 'onnx')).toThrow(/checkpointId/);
  });
});
