import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { checkpointLayerNames, initFromCheckpoint } from './finetune';
import { buildModel, ModelSpec } from './models';
import { buildOptimizer } from './optimizers';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const spec = (numClasses: number, seed: number): ModelSpec => ({ name: 'lenet5', inputShape: [16, 16, 1], numClasses, seed });

async function checkpointOf(model: tf.LayersModel, s: ModelSpec) {
  const opt = { name: 'SGD' as const, learningRate: 0.1 };
  return loadCheckpoint(await saveCheckpoint(model, buildOptimizer(opt), { step: 1, epoch: 0, stepInEpoch: 1, modelSpec: s, optimizerSpec: opt }));
}

const values = (model: tf.LayersModel, name: string) => Array.from(model.weights.find((w) => w.originalName === name)!.read().dataSync());

describe('initFromCheckpoint', () => {
  it('loads every weight, replaces the head when the class count differs, and training leaves frozen layers as loaded', async () => {
    const base = buildModel(spec(10, 1));
    const ckpt = await checkpointOf(base, spec(10, 1));
    expect(checkpointLayerNames(ckpt)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);

    const tuned = buildModel(spec(3, 99));
    const freshHead = values(tuned, 'fc3/kernel');
    const report = initFromCheckpoint(tuned, ckpt, ['conv1', 'conv2']);
    expect(report.reinitialized).toEqual(['fc3/kernel', 'fc3/bias']);
    expect(report.frozen).toEqual(['conv1', 'conv2']);
    expect(values(tuned, 'conv1/kernel')).toEqual(values(base, 'conv1/kernel'));
    expect(values(tuned, 'fc2/kernel')).toEqual(values(base, 'fc2/kernel'));
    expect(values(tuned, 'fc3/kernel')).toEqual(freshHead);
    expect((tuned.outputs[0].shape as number[])[1]).toBe(3);

    const trainer = new Trainer({ model: tuned, optimizer: buildOptimizer({ name: 'SGD', learningRate: 0.5 }) });
    const batch = { x: new Float32Array(4 * 256).map((_, i) => Math.sin(i)), xShape: [4, 16, 16, 1], y: new Int32Array([0, 1, 2, 1]) };
    tf.dispose(trainer.trainStep(batch as never));
    expect(values(tuned, 'conv1/kernel')).toEqual(values(base, 'conv1/kernel')); // frozen
    expect(values(tuned, 'conv2/bias')).toEqual(values(base, 'conv2/bias')); // frozen
    expect(values(tuned, 'fc1/kernel')).not.toEqual(values(base, 'fc1/kernel')); // trained
    expect(values(tuned, 'fc3/kernel')).not.toEqual(freshHead); // trained
  });

  it('names an unknown layer to freeze, and refuses a checkpoint of another architecture', async () => {
    const ckpt = await checkpointOf(buildModel(spec(10, 1)), spec(10, 1));
    expect(() => initFromCheckpoint(buildModel(spec(10, 2)), ckpt, ['conv9'])).toThrow(/cannot freeze layer "conv9".*it has conv1, conv2, fc1, fc2, fc3/);
    const other = { name: 'cnn', inputShape: [16, 16, 1], numClasses: 10, seed: 3 } as ModelSpec;
    expect(() => initFromCheckpoint(buildModel(other), ckpt)).toThrow(/conv1\/kernel is \[3,3,1,32\] in the new model but \[5,5,1,6\]/);
  });
});
