/**
 * Fine-tuning: start a new model from another run's checkpoint. Weights are matched by name
 * (`conv1/kernel`...); the classification head (the model's last layer) is left freshly initialized
 * when its shape differs (another class count); chosen layers are frozen, so the Trainer, which
 * trains `model.trainableWeights`, leaves them as loaded. Optimizer state is not carried over.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import { LoadedCheckpoint } from './checkpoint';

export interface FineTuneReport {
  /** Weights copied from the checkpoint. */
  loaded: string[];
  /** Weights left as initialized: the head, when the class count changed. */
  reinitialized: string[];
  frozen: string[];
}

/** Names of the model's layers that hold weights: what `freezeLayers` may name. */
export function layersWithWeights(model: tf.LayersModel): string[] {
  return model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
}

/** Layer names in a checkpoint's weight manifest ('fc3/kernel' -> 'fc3'), in order, once each. */
export function checkpointLayerNames(ckpt: Pick<LoadedCheckpoint, 'model'>): string[] {
  return [...new Set(ckpt.model.map((w) => w.name.split('/')[0]))];
}

/** BAD_USER_INPUT naming the first layer that is not one of `known`. */
export function checkFreezeLayers(freeze: readonly string[], known: readonly string[]): void {
  for (const name of freeze) {
    if (!known.includes(name)) {
      throw badInput(`cannot freeze layer "${String(name).slice(0, 64)}": the model has no such layer with weights (it has ${known.join(', ')})`, {
        field: 'freezeLayers',
      });
    }
  }
}

/**
 * Loads `ckpt`'s weights into `model` (same architecture, perhaps another head) and freezes
 * `freeze`. Throws BAD_USER_INPUT when a non-head weight is missing or has another shape.
 */
export function initFromCheckpoint(model: tf.LayersModel, ckpt: Pick<LoadedCheckpoint, 'model'>, freeze: readonly string[] = []): FineTuneReport {
  checkFreezeLayers(freeze, layersWithWeights(model));
  const head = model.layers[model.layers.length - 1].name;
  const saved = new Map(ckpt.model.map((a) => [a.name, a]));
  const report: FineTuneReport = { loaded: [], reinitialized: [], frozen: [] };
  for (const w of model.weights) {
    const name = w.originalName;
    const s = saved.get(name);
    const layer = name.split('/')[0];
    if (s && s.shape.join('x') === w.shape.join('x')) {
      const t = tf.tensor(s.data, s.shape, s.dtype);
      (w as unknown as { write(t: tf.Tensor): void }).write(t);
      t.dispose();
      report.loaded.push(name);
    } else if (layer === head) {
      report.reinitialized.push(name);
    } else {
      throw badInput(
        s
          ? `weight ${name} is [${w.shape}] in the new model but [${s.shape}] in the checkpoint: only the head (${head}) may change`
          : `the checkpoint has no weight ${name}: is it the same model?`,
      );
    }
  }
  for (const layer of model.layers) {
    if (freeze.includes(layer.name)) {
      layer.trainable = false;
      report.frozen.push(layer.name);
    }
  }
  return report;
}

/** Freezes the named layers (checked as initFromCheckpoint does); a resumed fine-tune re-applies this. */
export function freezeLayers(model: tf.LayersModel, freeze: readonly string[]): void {
  checkFreezeLayers(freeze, layersWithWeights(model));
  for (const layer of model.layers) if (freeze.includes(layer.name)) layer.trainable = false;
}
