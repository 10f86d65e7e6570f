/**
 * Models. Every model, zoo or custom, is a Keras / tfjs layers topology (spec/models.ts generates the
 * zoo's); buildModel validates it (spec/topology.ts) and instantiates it with tfjs-layers' own
 * deserializer, so a built-in network and the same network submitted as a topology are the same
 * tf.LayersModel. Models end in logits (no softmax): the loss applies softmax itself, and
 * predictProbabilities applies it for serving.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import {
  analyzeTopology,
  MODEL_NAMES,
  MODELS,
  modelTopology,
  TopologyError,
  type KerasTopology,
  type ModelName,
  type ModelSummary,
  type TopologyLimits,
} from './spec';

export { MODEL_NAMES };
export type { ModelName };

export interface ModelSpec {
  name: ModelName;
  /** The model's parameters (spec/models.ts: MODELS[name].params); defaults when absent. */
  params?: Record<string, unknown>;
  /** The image shape as [height, width, channels], whatever the batch layout. */
  inputShape: [number, number, number];
  numClasses: number;
  /**
   * Layout of the batches fed to the model. 'channelsFirst' ([n, c, h, w], what HWC2CHW emits) puts a
   * Permute to NHWC at the input; everything after it is NHWC. Default 'channelsLast'.
   */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Seed for weight initialization (reproducible runs); random when absent. */
  seed?: number;
}

/** Throws badInput with a readable message when `spec` does not describe a buildable model. */
export function validateModelSpec(spec: unknown, limits: Partial<TopologyLimits> = {}): ModelSpec {
  modelSummary(spec, limits);
  return spec as ModelSpec;
}

/** Validates the spec and returns its Keras-style summary (layers, output shapes, parameter counts). */
export function modelSummary(spec: unknown, limits: Partial<TopologyLimits> = {}): ModelSummary {
  return analyzeModel(spec, limits).summary;
}

function analyzeModel(spec: unknown, limits: Partial<TopologyLimits>): { topology: KerasTopology; summary: ModelSummary; spec: ModelSpec } {
  const s = spec as Partial<ModelSpec> | null;
  if (s == null || typeof s !== 'object') throw badInput('model spec must be an object');
  if (!MODEL_NAMES.includes(s.name as ModelName)) {
    throw badInput(`unknown model "${String(s.name).slice(0, 40)}"; expected one of ${MODEL_NAMES.join(', ')}`, { field: 'model.name' });
  }
  const shape = s.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw badInput(`inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (!Number.isInteger(s.numClasses) || (s.numClasses as number) < 1) {
    throw badInput(`numClasses must be a positive integer, got ${s.numClasses}`);
  }
  if (s.dataFormat != null && s.dataFormat !== 'channelsLast' && s.dataFormat !== 'channelsFirst') {
    throw badInput(`dataFormat must be channelsLast or channelsFirst, got "${s.dataFormat}"`);
  }
  if (s.seed != null && !Number.isInteger(s.seed)) throw badInput(`seed must be an integer, got ${s.seed}`);
  const params = MODELS[s.name as ModelName].params.safeParse(s.params ?? {});
  if (!params.success) {
    const issue = params.error.issues[0];
    const field = ['model', 'params', ...issue.path].join('.');
    throw badInput(`${field}: ${issue.message}`, { field });
  }
  const ctx = { inputShape: shape as [number, number, number], numClasses: s.numClasses as number, dataFormat: s.dataFormat, seed: s.seed };
  try {
    const topology = modelTopology({ name: s.name as ModelName, params: params.data as Record<string, unknown> }, ctx);
    const [h, w, c] = ctx.inputShape;
    const summary = analyzeTopology(topology, { ...limits, inputShape: ctx.dataFormat === 'channelsFirst' ? [c, h, w] : [h, w, c], numClasses: ctx.numClasses });
    return { topology, summary, spec: s as ModelSpec };
  } catch (e) {
    if (e instanceof TopologyError) {
      throw badInput(`model ${s.name}: ${e.message}`, { field: s.name === 'custom' ? 'model.params.topology' : 'model', ...(e.layer ? { layer: e.layer } : {}) });
    }
    throw e;
  }
}

/**
 * Builds an uncompiled model (the Trainer runs its own step, so no compile()). No parameter limit
 * here: the team's limit was applied when the experiment was submitted (a team may allow more than
 * the default), and a checkpoint's model was accepted the same way.
 */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  return modelFromTopology(analyzeModel(spec, { maxParams: Number.POSITIVE_INFINITY }).topology);
}

/**
 * Instantiates a Keras-format (snake_case) topology with tfjs-layers' deserializer, synchronously
 * (tf.models.modelFromJSON does the same, but async). Validate it with analyzeTopology first.
 */
export function modelFromTopology(topology: KerasTopology): tf.LayersModel {
  const ts = pythonicToTs(topology) as { className: string; config: tf.serialization.ConfigDict };
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[ts.className];
  if (!entry) throw badInput(`unknown model class ${ts.className}`);
  const [cls, fromConfig] = entry as unknown as [tf.serialization.SerializableConstructor<tf.LayersModel>, (c: unknown, cfg: unknown) => tf.LayersModel];
  return fromConfig(cls, ts.config);
}

/** tfjs-layers' convertPythonicToTs: snake_case keys and string values to camelCase, names kept. */
function pythonicToTs(v: unknown, key?: string): unknown {
  if (v === null) return null;
  if (typeof v === 'string') return toCamelCase(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    return v.map((item, i) =>
      (key === 'inboundNodes' || key === 'outputLayers' || key === 'inputLayers') && i === 0 && typeof item === 'string' ? item : pythonicToTs(item, key),
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'name' && typeof val === 'string') out[k] = val;
    else {
      const tk = toCamelCase(k);
      out[tk] = pythonicToTs(val, tk);
    }
  }
  return out;
}

function toCamelCase(s: string): string {
  if (s.length <= 1 || !s.includes('_')) return s;
  return s.replace(/[_]+(\w|$)/g, (_, c: string) => c.toUpperCase());
}
