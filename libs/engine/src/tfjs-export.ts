/**
 * A checkpoint as a plain TensorFlow.js layers model: the `model.json` that `tf.loadLayersModel`
 * reads (topology plus a weights manifest) and one binary weights file. Optimizer state is left out:
 * what comes out is for inference or further training elsewhere, with stock tfjs and nothing of ours.
 */
import * as tf from '@tensorflow/tfjs';
import { LoadedCheckpoint, modelFromCheckpoint } from './checkpoint';

/** The name model.json's weights manifest gives the weights file (resolved relative to model.json). */
export const TFJS_WEIGHTS_FILE = 'weights.bin';

export interface TfjsLayersModel {
  /** The model.json document (format 'layers-model'). */
  modelJson: tf.io.ModelJSON;
  /** The concatenated weights the manifest describes. */
  weights: Uint8Array;
}

/** Converts an existing model. */
export async function exportLayersModel(model: tf.LayersModel): Promise<TfjsLayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const a = artifacts!;
  const data = a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]);
  const modelJson: tf.io.ModelJSON = {
    format: 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: 'Trainyard',
    modelTopology: a.modelTopology as object,
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: a.weightSpecs ?? [] }],
  };
  return { modelJson, weights: new Uint8Array(data) };
}

/** Converts a Trainyard checkpoint (bytes or decoded). */
export async function checkpointToLayersModel(checkpoint: Uint8Array | LoadedCheckpoint): Promise<TfjsLayersModel> {
  const model = modelFromCheckpoint(checkpoint);
  try {
    return await exportLayersModel(model);
  } finally {
    model.dispose();
  }
}
