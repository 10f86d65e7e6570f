/**
 * A deployable model without a training run: a LeNet-5 (or cnn) with its initial (seeded) weights saved
 * as a real checkpoint in the store, with the dataset, experiment and checkpoint rows pointing at it,
 * exactly as the worker leaves them. For serve tests and bench:serve, where accuracy does not matter.
 */
import * as tf from '@tensorflow/tfjs';
import type { PrismaService } from '@trainyard/db';
import { buildModel, buildOptimizer, exportToOnnx, initBackend, modelFromCheckpoint, saveCheckpoint } from '@trainyard/engine';
import { ArtifactStore, keys } from '@trainyard/storage';

export const WALKTHROUGH_MAP = [
  { op: 'Resize', size: [32, 32] },
  { op: 'Rescale', rescale: 1 / (255 * 0.3081), shift: -0.1307 / 0.3081 },
  { op: 'TypeCast', dtype: 'float32' },
];

export interface SeededCheckpoint {
  checkpointId: string;
  experimentId: string;
  storageKey: string;
}

/** Writes the checkpoint bytes, then the rows (dataset READY, experiment SUCCEEDED, checkpoint). */
export async function seedCheckpoint(
  prisma: PrismaService,
  store: ArtifactStore,
  teamId: string,
  opts: { model?: 'lenet5' | 'cnn'; seed?: number; step?: number; datasetId?: string; experimentId?: string; classNames?: string[] } = {},
): Promise<SeededCheckpoint & { datasetId: string }> {
  await initBackend('auto');
  const modelName = opts.model ?? 'lenet5';
  const datasetId =
    opts.datasetId ??
    (
      await prisma.dataset.create({
        data: { teamId, name: `mnist-${Math.random().toString(36).slice(2, 8)}`, status: 'READY', imageShape: [28, 28, 1], numClasses: 10, trainCount: 100, testCount: 10 },
      })
    ).id;
  const spec = {
    model: { name: modelName, numClasses: 10 },
    imageShape: [28, 28, 1],
    pipeline: { map: WALKTHROUGH_MAP, shuffle: { bufferSize: 0 }, batch: { size: 32, dropRemainder: true } },
    loss: { name: 'SoftmaxCrossEntropyWithLogits', sparse: true },
    optimizer: { name: 'SGD', learningRate: 0.01 },
    epochs: 1,
    perPrintTimes: 10,
    seed: opts.seed ?? 1,
    checkpoint: { saveCheckpointSteps: 10, keepCheckpointMax: 10 },
  };
  // With class names: a READY dataset version whose index records them (as ingest leaves it), which the run trained on.
  const datasetVersionId = opts.classNames
    ? (
        await prisma.datasetVersion.create({
          data: { datasetId, version: 1, format: 'idx', options: {}, split: {}, status: 'READY', index: { classNames: opts.classNames }, sampleShape: [28, 28, 1], numClasses: 10 },
        })
      ).id
    : undefined;
  const experimentId =
    opts.experimentId ??
    (await prisma.experiment.create({ data: { teamId, datasetId, datasetVersionId, name: `${modelName}-seeded`, spec, status: 'SUCCEEDED', attempt: 1 } })).id;
  const step = opts.step ?? 10;
  const modelSpec = { name: modelName, inputShape: [32, 32, 1] as [number, number, number], numClasses: 10 };
  const model = buildModel(modelSpec as never);
  // Different seeds give different weights: perturb deterministically so versions answer differently.
  if (opts.seed && opts.seed > 1) {
    tf.tidy(() => {
      for (const w of model.weights) w.write(w.read().mul(1 + 0.05 * opts.seed!) as never);
    });
  }
  const optimizer = buildOptimizer({ name: 'SGD', learningRate: 0.01 } as never);
  const bytes = await saveCheckpoint(model, optimizer, { step, epoch: 0, stepInEpoch: step, modelSpec: modelSpec as never, optimizerSpec: { name: 'SGD', learningRate: 0.01 } as never });
  model.dispose();
  const storageKey = keys.checkpoint(teamId, experimentId, step, 1);
  await store.put(storageKey, bytes);
  const checkpoint = await prisma.checkpoint.create({ data: { experimentId, step, epoch: 0, storageKey, sizeBytes: bytes.length } });
  return { checkpointId: checkpoint.id, experimentId, storageKey, datasetId };
}

/**
 * What a succeeded exportCheckpoint job leaves: the checkpoint's ONNX file in the store (under the
 * job's key), then its CheckpointExport row. Serving then runs the version on onnxruntime-node.
 */
export async function seedOnnxExport(prisma: PrismaService, store: ArtifactStore, teamId: string, seeded: SeededCheckpoint): Promise<string> {
  const model = modelFromCheckpoint(await store.getBytes(seeded.storageKey));
  const onnx = exportToOnnx(model);
  model.dispose();
  const storageKey = keys.checkpointExport(teamId, seeded.experimentId, seeded.checkpointId, 'onnx');
  await store.put(storageKey, onnx.bytes);
  await prisma.checkpointExport.create({
    data: { checkpointId: seeded.checkpointId, format: 'ONNX', status: 'SUCCEEDED', storageKey, sizeBytes: onnx.bytes.length, opsetVersion: onnx.opsetVersion, finishedAt: new Date() },
  });
  return storageKey;
}
