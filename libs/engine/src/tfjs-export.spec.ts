import * as tf from '@tensorflow/tfjs';
import { saveCheckpoint } from './checkpoint';
import { predictProbabilities } from './evaluate';
import { buildModel, ModelSpec } from './models';
import { buildOptimizer } from './optimizers';
import { checkpointToLayersModel, TFJS_WEIGHTS_FILE } from './tfjs-export';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A stock-tfjs IOHandler over the two exported files, as a browser would fetch them. */
function fromFiles(modelJson: tf.io.ModelJSON, weights: Uint8Array): tf.io.IOHandler {
  return {
    load: async () => {
      const m = JSON.parse(JSON.stringify(modelJson)) as tf.io.ModelJSON;
      expect(m.weightsManifest[0].paths).toEqual([TFJS_WEIGHTS_FILE]);
      return {
        modelTopology: m.modelTopology,
        weightSpecs: m.weightsManifest.flatMap((g) => g.weights),
        weightData: weights.slice().buffer,
        format: m.format,
      };
    },
  };
}

describe('checkpointToLayersModel', () => {
  it.each<[string, Partial<ModelSpec>]>([
    ['lenet5 channels-last', { name: 'lenet5', inputShape: [32, 32, 1] }],
    ['cnn channels-first (a Permute at the input)', { name: 'cnn', inputShape: [8, 8, 3], dataFormat: 'channelsFirst' }],
  ])('gives a model.json + weights that stock tf.loadLayersModel predicts with exactly as Trainyard does (%s)', async (_name, over) => {
    const spec = { numClasses: 10, seed: 7, ...over } as ModelSpec;
    const model = buildModel(spec);
    const bytes = await saveCheckpoint(model, buildOptimizer({ name: 'SGD', learningRate: 0.1 }), {
      step: 3,
      epoch: 0,
      stepInEpoch: 3,
      modelSpec: spec,
      optimizerSpec: { name: 'SGD', learningRate: 0.1 },
    });
    const { modelJson, weights } = await checkpointToLayersModel(bytes);
    expect(modelJson.format).toBe('layers-model');
    expect(weights.byteLength).toBe(model.countParams() * 4);

    const stock = await tf.loadLayersModel(fromFiles(modelJson, weights));
    const [h, w, c] = spec.inputShape;
    const shape = spec.dataFormat === 'channelsFirst' ? [4, c, h, w] : [4, h, w, c];
    const x = tf.randomUniform(shape, 0, 1, 'float32', 3);
    const theirs = tf.softmax(stock.predict(x) as tf.Tensor2D).dataSync();
    const ours = predictProbabilities(model, x.dataSync() as Float32Array, shape);
    expect(Array.from(theirs)).toEqual(Array.from(ours));
    // Not a constant: different samples get different probabilities.
    expect(theirs[0]).not.toBe(theirs[10]);
    tf.dispose([x]);
    stock.dispose();
    model.dispose();
  });
});
