import { badInput, classNamesFor } from '@trainyard/common';
import { compileMap, deterministicMap, MapOpSpec, SampleProgram } from '@trainyard/data';

/**
 * What a deployed version takes and gives, derived once from its experiment's spec: one input
 * `image` (a raw sample in the dataset's shape [h, w, c], pixel values as stored, e.g. 0-255), run
 * through the experiment's deterministic map ops (Resize, Rescale, HWC2CHW, TypeCast: the same
 * compiled program evaluation uses; shuffle and batch are training-only), and one output
 * `probabilities` (softmax over the classes). Nothing here assumes MNIST.
 */
export interface ModelSignature {
  inputName: string;
  /** One raw sample: [height, width, channels]. */
  rawShape: [number, number, number];
  rawSize: number;
  /** The model's input per sample, after the map ops. */
  modelShape: number[];
  modelSize: number;
  outputName: string;
  numClasses: number;
  classNames: string[];
  program: SampleProgram;
}

export const INPUT_NAME = 'image';
export const OUTPUT_NAME = 'probabilities';

interface StoredSpec {
  imageShape?: unknown;
  model?: { numClasses?: unknown };
  pipeline?: { map?: unknown };
  classNames?: unknown;
}

export function signatureFromSpec(specJson: unknown, datasetClassNames?: string[]): ModelSignature {
  const spec = (specJson ?? {}) as StoredSpec;
  const shape = spec.imageShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw badInput('the deployed experiment has no valid imageShape');
  }
  const rawShape = shape as [number, number, number];
  const numClasses = Number(spec.model?.numClasses);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw badInput('the deployed experiment has no valid model.numClasses');
  const map = (Array.isArray(spec.pipeline?.map) ? spec.pipeline!.map : []) as MapOpSpec[];
  // Evaluation's view of the map: random augmentations dropped (RandomCrop becomes CenterCrop).
  const program = compileMap(deterministicMap(map), rawShape);
  const classNames = classNamesFor(spec.classNames, datasetClassNames, numClasses);
  return {
    inputName: INPUT_NAME,
    rawShape,
    rawSize: rawShape[0] * rawShape[1] * rawShape[2],
    modelShape: program.outShape,
    modelSize: program.outSize,
    outputName: OUTPUT_NAME,
    numClasses,
    classNames,
    program,
  };
}

/** Softmax of each row of `logits` ([n, k]) in place; returns it. */
export function softmaxRows(logits: Float32Array, k: number): Float32Array {
  for (let r = 0; r < logits.length; r += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (logits[r + j] > max) max = logits[r + j];
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(logits[r + j] - max);
      logits[r + j] = e;
      sum += e;
    }
    for (let j = 0; j < k; j++) logits[r + j] /= sum;
  }
  return logits;
}

/** The k best classes of one probability row, best first. */
export function topK(probs: ArrayLike<number>, k: number, classNames: string[]): Array<{ index: number; name: string; probability: number }> {
  const idx = Array.from({ length: probs.length }, (_, i) => i);
  idx.sort((a, b) => probs[b] - probs[a] || a - b);
  return idx.slice(0, Math.max(0, Math.min(k, probs.length))).map((i) => ({ index: i, name: classNames[i], probability: probs[i] }));
}
