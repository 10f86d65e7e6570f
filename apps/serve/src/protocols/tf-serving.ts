import { badInput } from '@trainyard/common';
import type { InferResult, SampleInput, VersionStatus } from '../inference/inference.service';
import type { ResolvedModel, ServedVersion } from '../inference/deployment-cache';
import { ModelSignature, topK } from '../inference/signature';
import { preview } from './body';
import { isB64, isPlainObject, sampleOf } from './tensors';

/**
 * TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest) over the
 * inference service: request bodies to samples, results to response bodies. Pure functions.
 */
export const SIGNATURES = ['serving_default', 'predict', 'classification'] as const;

function checkSignature(body: Record<string, unknown>) {
  const s = body.signature_name;
  if (s === undefined || s === '') return;
  if (typeof s !== 'string' || !(SIGNATURES as readonly string[]).includes(s)) {
    throw badInput(`Serving signature name: ${preview(s)} not found in signature def; this model has ${SIGNATURES.join(', ')}`);
  }
}

/** One instance (row format) or one batch element (columnar), possibly as named inputs. */
function instanceSample(value: unknown, sig: ModelSignature, where: string): SampleInput {
  if (isPlainObject(value) && !isB64(value)) {
    const extra = Object.keys(value).find((k) => k !== sig.inputName);
    if (extra !== undefined) throw badInput(`${where} names input ${preview(extra)}; this model's only input is "${sig.inputName}"`);
    if (!(sig.inputName in value)) throw badInput(`${where} has no "${sig.inputName}" input`);
    return sampleOf(value[sig.inputName], sig.rawSize, `${where}.${sig.inputName}`);
  }
  return sampleOf(value, sig.rawSize, where);
}

export function predictSamples(body: unknown, sig: ModelSignature): { samples: SampleInput[]; format: 'row' | 'columnar' } {
  if (!isPlainObject(body)) throw badInput('the body must be a JSON object: {"instances": [...]} or {"inputs": ...}');
  checkSignature(body);
  const hasInstances = 'instances' in body;
  const hasInputs = 'inputs' in body;
  if (hasInstances && hasInputs) throw badInput('send either "instances" (row format) or "inputs" (columnar format), not both');
  if (hasInstances) {
    const instances = body.instances;
    if (!Array.isArray(instances) || instances.length === 0) throw badInput('"instances" must be a non-empty list');
    return { samples: instances.map((v, i) => instanceSample(v, sig, `instances[${i}]`)), format: 'row' };
  }
  if (hasInputs) {
    let batch = body.inputs;
    if (isPlainObject(batch) && !isB64(batch)) {
      const extra = Object.keys(batch).find((k) => k !== sig.inputName);
      if (extra !== undefined) throw badInput(`inputs names input ${preview(extra)}; this model's only input is "${sig.inputName}"`);
      batch = batch[sig.inputName];
    }
    if (isB64(batch)) batch = [batch];
    if (!Array.isArray(batch) || batch.length === 0) throw badInput('"inputs" must be a non-empty list of samples (or {"image": [...]})');
    return { samples: batch.map((v, i) => sampleOf(v, sig.rawSize, `inputs[${i}]`)), format: 'columnar' };
  }
  throw badInput('the body needs "instances" (row format) or "inputs" (columnar format)');
}

/** :classify and :regress take tf.Example-like objects: {"examples": [{feature: value}], "context": {...}}. */
export function exampleSamples(body: unknown, sig: ModelSignature): SampleInput[] {
  if (!isPlainObject(body)) throw badInput('the body must be a JSON object: {"examples": [...]}');
  checkSignature(body);
  const context = body.context === undefined ? {} : body.context;
  if (!isPlainObject(context)) throw badInput('"context" must be an object of features');
  const examples = body.examples;
  if (!Array.isArray(examples) || examples.length === 0) throw badInput('"examples" must be a non-empty list');
  return examples.map((ex, i) => {
    if (!isPlainObject(ex)) throw badInput(`examples[${i}] must be an object of features, got ${preview(ex)}`);
    const features = { ...context, ...ex };
    if (!(sig.inputName in features)) throw badInput(`examples[${i}] has no "${sig.inputName}" feature (nor does the context)`);
    return sampleOf(features[sig.inputName], sig.rawSize, `examples[${i}].${sig.inputName}`);
  });
}

function rows(r: InferResult): number[][] {
  const k = r.signature.numClasses;
  const out: number[][] = [];
  for (let o = 0; o < r.probabilities.length; o += k) out.push(Array.from(r.probabilities.subarray(o, o + k)));
  return out;
}

export function predictResponse(r: InferResult, format: 'row' | 'columnar') {
  return format === 'row' ? { predictions: rows(r) } : { outputs: rows(r) };
}

/** TF Serving's classify answer: per example, [label, score] pairs (here the top k, best first). */
export function classifyResponse(r: InferResult, k: number) {
  const K = r.signature.numClasses;
  const results: Array<Array<[string, number]>> = [];
  for (let o = 0; o < r.probabilities.length; o += K) {
    results.push(topK(r.probabilities.subarray(o, o + K), k, r.signature.classNames).map((c) => [c.name, c.probability]));
  }
  return { results };
}

const AVAILABLE = { state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } };

export function statusResponse(versions: ServedVersion[]) {
  return { model_version_status: versions.map((v) => ({ version: String(v.version), ...AVAILABLE })) };
}

function tensorInfo(name: string, dims: number[]) {
  return {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: dims.map((d) => ({ size: String(d), name: '' })), unknown_rank: false },
    name: `${name}:0`,
  };
}

export function metadataResponse(model: ResolvedModel, status: VersionStatus) {
  const v = status.version;
  const sig = v.signature;
  const predict = {
    inputs: { [sig.inputName]: tensorInfo(sig.inputName, [-1, ...sig.rawShape]) },
    outputs: { [sig.outputName]: tensorInfo(sig.outputName, [-1, sig.numClasses]) },
    method_name: 'tensorflow/serving/predict',
  };
  const classify = {
    inputs: { inputs: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: '-1', name: '' }], unknown_rank: false }, name: 'tf_example:0' } },
    outputs: {
      classes: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: '-1', name: '' }, { size: String(sig.numClasses), name: '' }], unknown_rank: false }, name: 'classes:0' },
      scores: tensorInfo('scores', [-1, sig.numClasses]),
    },
    method_name: 'tensorflow/serving/classify',
  };
  return {
    model_spec: { name: model.name, signature_name: '', version: String(v.version) },
    metadata: { signature_def: { signature_def: { serving_default: predict, predict, classification: classify } } },
    trainyard: versionDetails(model, status),
  };
}

/** What TF Serving has no field for: runtime, load state, cold start, labels, classes, preprocessing. */
export function versionDetails(model: ResolvedModel, status: VersionStatus) {
  const v = status.version;
  return {
    version: v.version,
    default_version: model.defaultVersion,
    labels: Object.entries(model.labels).filter(([, n]) => n === v.version).map(([l]) => l),
    runtime: status.runtime ?? (v.onnxStorageKey ? 'onnx' : 'tfjs'),
    loaded: status.loaded,
    cold_start_ms: status.coldStartMs === undefined ? null : Math.round(status.coldStartMs * 10) / 10,
    max_batch_size: v.maxBatchSize,
    max_batch_wait_ms: v.maxBatchWaitMs,
    largest_batch_seen: status.maxBatchSeen ?? 0,
    class_names: v.signature.classNames,
    raw_input_shape: v.signature.rawShape,
    model_input_shape: v.signature.modelShape,
    deployed_at: v.createdAt.toISOString(),
    deployed_by: v.deployedBy,
    checkpoint_id: v.checkpointId,
  };
}
