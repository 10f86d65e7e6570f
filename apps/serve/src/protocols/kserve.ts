import { randomUUID } from 'node:crypto';
import { badInput } from '@trainyard/common';
import type { InferResult, SampleInput, VersionStatus } from '../inference/inference.service';
import type { ResolvedModel } from '../inference/deployment-cache';
import { fromBase64 } from '../inference/images';
import { ModelSignature, topK } from '../inference/signature';
import { preview } from './body';
import { flattenNumbers, isB64, isPlainObject, NumericType } from './tensors';

/**
 * KServe / Open Inference Protocol v2 REST (kserve/open-inference-protocol,
 * specification/protocol/open_inference_rest.yaml) over the inference service. Pure functions.
 *
 * Inputs: one tensor named "image": numeric (FP32, FP64, UINT8, INT32, INT64) of shape
 * [n, ...one raw sample] with flat or nested data, or BYTES of shape [n] holding base64-encoded
 * PNG/JPEG images. Outputs: "probabilities" FP32 [n, classes], "top_k_classes" BYTES [n, k] and
 * "top_k_scores" FP32 [n, k] (k from parameters.top_k, default 5); `outputs` in the request picks some.
 */
export const NUMERIC: readonly NumericType[] = ['FP32', 'FP64', 'UINT8', 'INT32', 'INT64'];
export const OUTPUTS = ['probabilities', 'top_k_classes', 'top_k_scores'] as const;

export interface ParsedInfer {
  id: string;
  samples: SampleInput[];
  outputs: Array<(typeof OUTPUTS)[number]>;
  topK: number;
}

const product = (a: number[]) => a.reduce((p, d) => p * d, 1);

export function parseInferRequest(body: unknown, sig: ModelSignature, maxInstances: number): ParsedInfer {
  if (!isPlainObject(body)) throw badInput('the body must be a JSON inference request object: {"inputs": [...]}');
  if (body.id !== undefined && typeof body.id !== 'string') throw badInput('"id" must be a string');
  const params = body.parameters === undefined ? {} : body.parameters;
  if (!isPlainObject(params)) throw badInput('"parameters" must be an object');
  let k = Math.min(5, sig.numClasses);
  if (params.top_k !== undefined) {
    if (!Number.isInteger(params.top_k) || (params.top_k as number) < 1) throw badInput(`parameters.top_k must be a positive integer, got ${preview(params.top_k)}`);
    k = Math.min(params.top_k as number, sig.numClasses);
  }
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw badInput('"inputs" must be a non-empty array of tensors');
  if (inputs.length > 1) throw badInput(`this model takes one input ("${sig.inputName}"), got ${inputs.length}`);
  const input = inputs[0];
  if (!isPlainObject(input)) throw badInput('inputs[0] must be a tensor object {name, shape, datatype, data}');
  const { name, shape, datatype, data } = input;
  if (name !== sig.inputName) throw badInput(`unknown input ${preview(name)}; this model's input is "${sig.inputName}"`);
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw badInput(`inputs[0].shape must be a non-empty array of non-negative integers, got ${preview(shape)}`);
  }
  const n = shape[0] as number;
  if (n === 0) throw badInput('inputs[0].shape[0] (the batch) must be at least 1');
  if (n > maxInstances) throw badInput(`at most ${maxInstances} instances per request, got ${n}`);
  if (!Array.isArray(data)) throw badInput('inputs[0].data must be an array (flat or nested)');
  let samples: SampleInput[];
  if (datatype === 'BYTES') {
    if (product(shape as number[]) !== n) throw badInput(`BYTES input holds one encoded image per instance: shape must be [${n}] or [${n}, 1], got ${preview(shape)}`);
    const flat = (data as unknown[]).flat(2);
    if (flat.length !== n) throw badInput(`inputs[0].data has ${flat.length} elements, shape ${JSON.stringify(shape)} needs ${n}`);
    samples = flat.map((v, i) => {
      const where = `inputs[0].data[${i}]`;
      if (isB64(v)) return { kind: 'image', bytes: fromBase64(v.b64, where), where };
      if (typeof v !== 'string') throw badInput(`${where} must be a base64-encoded image string, got ${preview(v)}`);
      return { kind: 'image', bytes: fromBase64(v, where), where };
    });
  } else if ((NUMERIC as readonly unknown[]).includes(datatype)) {
    const per = product((shape as number[]).slice(1));
    if (per !== sig.rawSize) {
      throw badInput(`inputs[0].shape ${preview(shape)} does not fit this model: each instance must have shape [${sig.rawShape.join(', ')}] (${sig.rawSize} values)`);
    }
    const total = n * per;
    const values = new Float32Array(total);
    const count = flattenNumbers(data, values, 'inputs[0].data', datatype as NumericType);
    if (count !== total) throw badInput(`inputs[0].data has ${count} values, shape ${JSON.stringify(shape)} needs ${total}`);
    samples = Array.from({ length: n }, (_, i) => ({ kind: 'values', values: values.subarray(i * per, (i + 1) * per), where: `inputs[0] instance ${i}` }));
  } else {
    throw badInput(`inputs[0].datatype ${preview(datatype)} is not supported; use FP32, FP64, UINT8, INT32, INT64 or BYTES (encoded images)`);
  }
  let outputs: ParsedInfer['outputs'] = [...OUTPUTS];
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs) || body.outputs.length === 0) throw badInput('"outputs" must be a non-empty array of {name}');
    outputs = body.outputs.map((o, i) => {
      const on = isPlainObject(o) ? o.name : undefined;
      if (!(OUTPUTS as readonly unknown[]).includes(on)) throw badInput(`outputs[${i}].name ${preview(on)} is unknown; this model has ${OUTPUTS.join(', ')}`);
      return on as (typeof OUTPUTS)[number];
    });
  }
  return { id: (body.id as string | undefined) ?? randomUUID(), samples, outputs, topK: k };
}

export function inferResponse(r: InferResult, req: ParsedInfer) {
  const K = r.signature.numClasses;
  const n = r.probabilities.length / K;
  const tops = req.outputs.some((o) => o !== 'probabilities')
    ? Array.from({ length: n }, (_, i) => topK(r.probabilities.subarray(i * K, (i + 1) * K), req.topK, r.signature.classNames))
    : [];
  const k = tops[0]?.length ?? 0;
  const outputs = req.outputs.map((name) => {
    if (name === 'probabilities') return { name, shape: [n, K], datatype: 'FP32', data: Array.from(r.probabilities) };
    if (name === 'top_k_classes') return { name, shape: [n, k], datatype: 'BYTES', data: tops.flatMap((t) => t.map((c) => c.name)) };
    return { name, shape: [n, k], datatype: 'FP32', data: tops.flatMap((t) => t.map((c) => c.probability)) };
  });
  return {
    model_name: r.model,
    model_version: String(r.version),
    id: req.id,
    parameters: { cold_start: r.cold, runtime: r.runtime },
    outputs,
  };
}

export function modelMetadata(model: ResolvedModel, status: VersionStatus) {
  const sig = status.version.signature;
  return {
    name: model.name,
    versions: [...model.versions.keys()].map(String),
    platform: (status.runtime ?? (status.version.onnxStorageKey ? 'onnx' : 'tfjs')) === 'onnx' ? 'onnxruntime_onnx' : 'tensorflowjs',
    inputs: [{ name: sig.inputName, datatype: 'FP32', shape: [-1, ...sig.rawShape] }],
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [-1, sig.numClasses] },
      { name: 'top_k_classes', datatype: 'BYTES', shape: [-1, -1] },
      { name: 'top_k_scores', datatype: 'FP32', shape: [-1, -1] },
    ],
  };
}
