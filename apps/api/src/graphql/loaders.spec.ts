import type { CheckpointExportRepository, CheckpointRepository, ExperimentRepository } from '@trainyard/db';
import { Loaders } from './loaders';

type ExportRow = Awaited<ReturnType<CheckpointExportRepository['forCheckpoints']>>[number];

describe('Loaders.exports', () => {
  const row = (id: string, checkpointId: string) => ({ id, checkpointId, format: 'ONNX' }) as unknown as ExportRow;

  function loaders(rows: ExportRow[]) {
    const forCheckpoints = jest.fn(async (ids: string[], _format?: string) => rows.filter((r) => ids.includes(r.checkpointId)));
    const repo = { forCheckpoints } as unknown as CheckpointExportRepository;
    return { l: new Loaders({} as CheckpointRepository, {} as ExperimentRepository, repo), forCheckpoints };
  }

  it('answers the exports of many checkpoints of one request with one query, each checkpoint its own rows', async () => {
    const { l, forCheckpoints } = loaders([row('e1', 'c1'), row('e2', 'c2'), row('e3', 'c1')]);
    const req = {};
    const [a, b, c] = await Promise.all([l.exports(req, 'c1'), l.exports(req, 'c2'), l.exports(req, 'c3')]);
    expect(forCheckpoints).toHaveBeenCalledTimes(1);
    expect(forCheckpoints.mock.calls[0][0].sort()).toEqual(['c1', 'c2', 'c3']);
    expect(a.map((r) => r.id)).toEqual(['e1', 'e3']);
    expect(b.map((r) => r.id)).toEqual(['e2']);
    expect(c).toEqual([]);
  });

  it('keeps requests and format filters apart', async () => {
    const { l, forCheckpoints } = loaders([row('e1', 'c1')]);
    await Promise.all([l.exports({}, 'c1'), l.exports({}, 'c1'), l.exports({}, 'c1', 'ONNX')]);
    expect(forCheckpoints).toHaveBeenCalledTimes(3);
    expect(forCheckpoints.mock.calls.map((c) => c[1])).toEqual(expect.arrayContaining([undefined, 'ONNX']));
  });
});
