import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ingestDataset } from '@trainyard/data';
import { mnistSubset } from '../../../data/src/testing/idx-fixtures';
import { loadCheckpoint } from '../checkpoint';
import { TrainingDivergedError, type CheckpointMeta, type LossReport } from '../callbacks';
import { syntheticImages } from '../testing/synthetic';
import { runEvaluationThread, runTrainingThread } from './runner';
import type { TrainRequest } from './protocol';

jest.setTimeout(60_000);

// 64 training images, batch 16 → 4 steps per epoch, 2 epochs = 8 steps.
const request = (over: Partial<TrainRequest> = {}): TrainRequest => ({
  spec: {
    model: { name: 'lenet5', numClasses: 4 },
    pipeline: {
      map: [{ op: 'Rescale', rescale: 1 / 255, shift: 0 }],
      shuffle: { bufferSize: 64 },
      batch: { size: 16, dropRemainder: true },
    },
    loss: { name: 'SoftmaxCrossEntropyWithLogits', sparse: true },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    epochs: 2,
    perPrintTimes: 2,
    seed: 7,
    checkpoint: { saveCheckpointSteps: 3, keepCheckpointMax: 2 },
  },
  train: syntheticImages(64, [32, 32, 1], 4, 1),
  test: syntheticImages(20, [32, 32, 1], 4, 2),
  backend: 'wasm',
  ...over,
});

async function collect(req: TrainRequest, stopAtStep?: number) {
  const progress: LossReport[] = [];
  const checkpoints: Array<{ bytes: Uint8Array; meta: CheckpointMeta }> = [];
  let backend = '';
  let storing = false;
  const thread = runTrainingThread(req, {
    onBackend: (name) => void (backend = name),
    onProgress: (p) => {
      progress.push(p);
      if (stopAtStep && p.step >= stopAtStep) thread.stop();
    },
    onCheckpoint: async (bytes, meta) => {
      // The thread must not deliver another checkpoint while one is being stored.
      expect(storing).toBe(false);
      storing = true;
      await new Promise((r) => setTimeout(r, 100));
      storing = false;
      checkpoints.push({ bytes, meta });
    },
  });
  const result = await thread.done;
  return { result, progress, checkpoints, backend };
}

describe('runTrainingThread', () => {
  let full: Awaited<ReturnType<typeof collect>>;
  beforeAll(async () => {
    full = await collect(request());
  });

  it('trains, reports progress every perPrintTimes steps, evaluates', () => {
    expect(full.backend).toBe('wasm');
    expect(full.progress.map((p) => p.step)).toEqual([2, 4, 6, 8]);
    expect(full.progress.map((p) => p.epoch)).toEqual([0, 0, 1, 1]);
    for (const p of full.progress) {
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(p.samplesPerSecond).toBeGreaterThan(0);
    }
    expect(full.result).toMatchObject({ stopped: false, step: 8, epoch: 1, stepInEpoch: 4, backend: 'wasm' });
    const metrics = full.result.metrics!;
    expect(metrics.count).toBe(20);
    expect(metrics.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(20);
    expect(metrics.perClass.map((c) => c.support)).toEqual([5, 5, 5, 5]);
  });

  it('sends checkpoints in order with the keep policy, the last one final', () => {
    expect(full.checkpoints.map((c) => c.meta)).toEqual([
      { step: 3, epoch: 0, stepInEpoch: 3, final: false, expired: [] },
      { step: 6, epoch: 1, stepInEpoch: 2, final: false, expired: [] },
      { step: 8, epoch: 1, stepInEpoch: 4, final: true, expired: [3] },
    ]);
    for (const c of full.checkpoints) expect(loadCheckpoint(c.bytes).header.step).toBe(c.meta.step);
  });

  it('resumes from a checkpoint to the same final weights as the uninterrupted run', async () => {
    const resumed = await collect(request({ resume: full.checkpoints[0].bytes, existingCheckpointSteps: [3] }));
    expect(resumed.progress.map((p) => p.step)).toEqual([4, 6, 8]);
    expect(resumed.checkpoints.map((c) => c.meta.step)).toEqual([6, 8]);
    const a = loadCheckpoint(full.checkpoints[2].bytes).model;
    const b = loadCheckpoint(resumed.checkpoints[1].bytes).model;
    a.forEach((t, i) => expect(Buffer.compare(Buffer.from(b[i].data.buffer), Buffer.from(t.data.buffer))).toBe(0));
    expect(resumed.result.metrics!.accuracy).toBe(full.result.metrics!.accuracy);
  });

  it('stops on request, with a final checkpoint and no evaluation', async () => {
    const spec = { ...request().spec, perPrintTimes: 1, epochs: 50, checkpoint: { saveCheckpointSteps: 1000, keepCheckpointMax: 2 } };
    const run = await collect(request({ spec }), 2);
    expect(run.result.stopped).toBe(true);
    expect(run.result.metrics).toBeUndefined();
    expect(run.result.step).toBeGreaterThanOrEqual(2);
    expect(run.result.step).toBeLessThan(20);
    expect(run.checkpoints.map((c) => c.meta)).toEqual([
      { step: run.result.step, epoch: run.result.epoch, stepInEpoch: run.result.stepInEpoch, final: true, expired: [] },
    ]);
  });

  it('fails with TrainingDivergedError naming the step when the loss stops being finite', async () => {
    // SGD at lr 1e6 overflows the weights: loss ~1.6, ~3e29, then NaN at step 3 (same on cpu).
    const spec = { ...request().spec, optimizer: { name: 'SGD' as const, learningRate: 1e6 } };
    const thread = runTrainingThread(request({ spec }));
    const error = await thread.done.catch((e) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(error.message).toMatch(/^training diverged: loss is (NaN|-?Infinity) at step 3$/);
    expect(error.step).toBe(3);
  });

  it('rejects with the handler error when the host cannot store a checkpoint', async () => {
    const thread = runTrainingThread(request(), {
      onCheckpoint: () => Promise.reject(new Error('store is down')),
    });
    await expect(thread.done).rejects.toThrow('store is down');
  });

  it('rejects a bad spec with its coded error', async () => {
    const bad = request({ spec: { ...request().spec, optimizer: { name: 'Momentum', learningRate: -0.1 } } });
    await expect(runTrainingThread(bad).done).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'learningRate: learningRate must be > 0',
    });
  });
});

describe('runEvaluationThread (the evaluate job on the training thread runner)', () => {
  it("scores a checkpoint on a split off the host's event loop, with the same metrics as the run's own test", async () => {
    const run = await collect(request());
    const last = run.checkpoints[run.checkpoints.length - 1];
    const spec = request().spec;
    // The host's loop keeps turning while the thread works: count timer ticks during the evaluation.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let backend = '';
    const started = Date.now();
    const t = runEvaluationThread(
      { checkpoint: last.bytes, split: request().test, pipeline: spec.pipeline, seed: spec.seed, loss: spec.loss, backend: 'wasm', classNames: ['a', 'b', 'c', 'd'] },
      { onBackend: (b) => void (backend = b) },
    );
    const result = await t.done.finally(() => clearInterval(timer));
    expect(backend).toBe('wasm');
    expect(result).toMatchObject({ backend: 'wasm', step: 8, model: 'lenet5' });
    // the final checkpoint is the trained model the run itself tested on the same split
    expect(result.metrics.confusionMatrix).toEqual(run.result.metrics!.confusionMatrix);
    expect(result.metrics.loss).toBeCloseTo(run.result.metrics!.loss, 5);
    expect(result.metrics.perClass.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(ticks).toBeGreaterThan((Date.now() - started) / 5 / 4);
  });

  it('rejects corrupt checkpoint bytes with their coded error', async () => {
    const spec = request().spec;
    const t = runEvaluationThread({ checkpoint: new Uint8Array(40), split: request().test, pipeline: spec.pipeline, seed: spec.seed, backend: 'wasm' });
    await expect(t.done).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/invalid checkpoint/) });
  });
});

describe('training threads end with their run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runner-threads-'));
    const file = (name: string, bytes: Uint8Array) => ({ name, sizeBytes: bytes.length, open: async () => Readable.from([Buffer.from(bytes)]) });
    await ingestDataset({
      format: 'idx',
      files: [
        file('train-images', mnistSubset('images', 'train', 128)),
        file('train-labels', mnistSubset('labels', 'train', 128)),
        file('test-images', mnistSubset('images', 't10k', 32)),
        file('test-labels', mnistSubset('labels', 't10k', 32)),
      ],
      sink: {
        put: async (name: string, bytes: Uint8Array) => {
          await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
          await writeFile(path.join(dir, name), bytes);
        },
      },
    });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const osThreads = () => readdirSync('/proc/self/task').length;
  const settle = async (target: number) => {
    for (let i = 0; i < 50 && osThreads() > target; i++) await new Promise((r) => setTimeout(r, 100));
    return osThreads();
  };

  it('leaves no thread behind, prefetch threads included, also when a resume from the final checkpoint trains no epoch', async () => {
    if (!existsSync('/proc/self/task')) return; // Linux only
    const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    const split = (name: string) => ({ kind: 'sharded' as const, index, split: name, dir });
    const sharded = (resume?: Uint8Array) => request({ spec: { ...request().spec, model: { name: 'lenet5', numClasses: 10 } }, train: split('train'), test: split('test'), ...(resume ? { resume } : {}) });
    const before = osThreads();
    const full = await collect(sharded());
    expect(full.result.stopped).toBe(false);
    expect(await settle(before)).toBe(before);
    const final = full.checkpoints[full.checkpoints.length - 1];
    expect(final.meta.final).toBe(true);
    for (let i = 0; i < 2; i++) {
      const again = await runTrainingThread(sharded(final.bytes)).done;
      expect(again).toMatchObject({ stopped: false, step: final.meta.step });
      expect(await settle(before)).toBe(before);
    }
  });
});
