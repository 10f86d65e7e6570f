import type { Transport } from './transport';

/**
 * Hosted predictions over REST, in the two protocols the server speaks. These shapes are the
 * protocols' (TF Serving REST, KServe Open Inference Protocol v2), not the GraphQL schema's.
 */

/** A sample as nested numbers: MNIST as [28][28], [28][28][1] or a flat 784 (raw pixels 0-255). */
export type Tensor = number | Tensor[];
/** An image by value: base64 of a PNG/JPEG... (TF Serving's `{"b64": ...}`). */
export interface B64 {
  b64: string;
}
/** One instance: a tensor, an image, or named inputs ({"image": ...}). */
export type Instance = Tensor | B64 | { [input: string]: Tensor | B64 };

/** Which version answers: a number, a label (stable, canary...), or the default. */
export interface ModelTarget {
  version?: number;
  label?: string;
  signal?: AbortSignal;
}

export type PredictRequest = { instances: Instance[]; signature_name?: string } | { inputs: Tensor[] | B64 | { [input: string]: Tensor[] | B64 }; signature_name?: string };
export interface PredictRowResponse {
  /** Per instance, the class probabilities. */
  predictions: number[][];
}
export interface PredictColumnarResponse {
  outputs: number[][];
}
export interface ClassifyResponse {
  /** Per example, [class name, probability] pairs, best first (top k). */
  results: Array<Array<[string, number]>>;
}

export type KServeDatatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BYTES';
export type KServeInput =
  | { name: string; shape: number[]; datatype: Exclude<KServeDatatype, 'BYTES'>; data: Tensor[] | number[]; parameters?: Record<string, unknown> }
  /** BYTES: base64-encoded images, shape [n]. */
  | { name: string; shape: number[]; datatype: 'BYTES'; data: string[]; parameters?: Record<string, unknown> };
export interface KServeInferRequest {
  id?: string;
  inputs: KServeInput[];
  outputs?: Array<{ name: 'probabilities' | 'top_k_classes' | 'top_k_scores' | (string & {}); parameters?: Record<string, unknown> }>;
  parameters?: { top_k?: number; [k: string]: unknown };
}
export interface KServeOutput {
  name: string;
  shape: number[];
  datatype: KServeDatatype;
  data: Array<number | string>;
}
export interface KServeInferResponse {
  model_name: string;
  model_version?: string;
  id: string;
  parameters?: Record<string, unknown>;
  outputs: KServeOutput[];
}

/** The response headers that say which version and runtime answered. */
export interface Served<T> {
  body: T;
  modelVersion?: string;
  runtime?: string;
}

const target = (model: string, t: ModelTarget = {}) =>
  `${encodeURIComponent(model)}${t.version !== undefined ? `/versions/${t.version}` : t.label !== undefined ? `/labels/${encodeURIComponent(t.label)}` : ''}`;

const served = <T>(r: { body: T; headers: Headers }): Served<T> => ({
  body: r.body,
  modelVersion: r.headers.get('x-model-version') ?? undefined,
  runtime: r.headers.get('x-model-runtime') ?? undefined,
});

/** A tensor's shape, read from its nesting. */
export function shapeOf(t: Tensor): number[] {
  const shape: number[] = [];
  let cur: Tensor = t;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** TensorFlow Serving's REST API: `:predict`, `:classify`, metadata. */
export class TfServing {
  constructor(private readonly t: Transport) {}

  async predict(model: string, body: { instances: Instance[]; signature_name?: string }, opts?: ModelTarget): Promise<Served<PredictRowResponse>>;
  async predict(model: string, body: Extract<PredictRequest, { inputs: unknown }>, opts?: ModelTarget): Promise<Served<PredictColumnarResponse>>;
  async predict(model: string, body: PredictRequest | { inputs: unknown; signature_name?: string }, opts: ModelTarget = {}): Promise<Served<PredictRowResponse | PredictColumnarResponse>> {
    return served(await this.t.json<PredictRowResponse>('POST', `/v1/models/${target(model, opts)}:predict`, body, { signal: opts.signal, what: `predict (${model})` }));
  }

  /**
   * The top classes per example, best first. `input`: examples ({"image": tensor or {b64}}), or an
   * image file's bytes (PNG, JPEG...) sent as the body.
   */
  async classify(model: string, input: Array<Record<string, Tensor | B64>> | Uint8Array, opts: ModelTarget & { topK?: number; contentType?: string } = {}): Promise<Served<ClassifyResponse>> {
    const q = opts.topK !== undefined ? `?top_k=${opts.topK}` : '';
    const path = `/v1/models/${target(model, opts)}:classify${q}`;
    if (input instanceof Uint8Array) {
      return served(await this.t.json<ClassifyResponse>('POST', path, input, { headers: { 'content-type': opts.contentType ?? imageType(input) }, signal: opts.signal, what: `classify (${model})` }));
    }
    return served(await this.t.json<ClassifyResponse>('POST', path, { examples: input }, { signal: opts.signal, what: `classify (${model})` }));
  }

  /** TF Serving's metadata (signature_def), plus `trainyard`: runtime, classes, batching. */
  async metadata(model: string, opts: ModelTarget = {}): Promise<TfServingMetadata> {
    return (await this.t.json<TfServingMetadata>('GET', `/v1/models/${target(model, opts)}/metadata`, undefined, { signal: opts.signal, what: `metadata (${model})` })).body;
  }
}

export interface TfServingMetadata {
  model_spec: { name: string; signature_name: string; version: string };
  metadata: { signature_def: { signature_def: Record<string, unknown> } };
  trainyard: { version: number; default_version: number | null; labels: string[]; runtime: string; loaded: boolean; class_names: string[]; raw_input_shape: number[]; model_input_shape: number[]; [k: string]: unknown };
}

/** KServe's Open Inference Protocol v2: `/infer` and metadata. */
export class KServe {
  constructor(private readonly t: Transport) {}

  async infer(model: string, body: KServeInferRequest, opts: Omit<ModelTarget, 'label'> = {}): Promise<Served<KServeInferResponse>> {
    return served(await this.t.json<KServeInferResponse>('POST', `/v2/models/${target(model, { version: opts.version })}/infer`, body, { signal: opts.signal, what: `infer (${model})` }));
  }

  async metadata(model: string, opts: Omit<ModelTarget, 'label'> = {}): Promise<Record<string, unknown>> {
    return (await this.t.json<Record<string, unknown>>('GET', `/v2/models/${target(model, { version: opts.version })}`, undefined, { signal: opts.signal })).body;
  }

  /** Images (PNG, JPEG... bytes) as one BYTES input; answers the top k classes and scores per image. */
  async inferImages(model: string, images: Uint8Array[], opts: Omit<ModelTarget, 'label'> & { topK?: number; inputName?: string } = {}): Promise<Array<Array<{ label: string; score: number }>>> {
    const r = await this.infer(
      model,
      {
        inputs: [{ name: opts.inputName ?? 'image', shape: [images.length], datatype: 'BYTES', data: images.map((b) => Buffer.from(b).toString('base64')) }],
        parameters: { top_k: opts.topK ?? 5 },
        outputs: [{ name: 'top_k_classes' }, { name: 'top_k_scores' }],
      },
      opts,
    );
    return topKOf(r.body);
  }
}

/** Per sample, {label, score} pairs from a v2 answer's top_k_classes and top_k_scores outputs. */
export function topKOf(res: KServeInferResponse): Array<Array<{ label: string; score: number }>> {
  const classes = res.outputs.find((o) => o.name === 'top_k_classes');
  const scores = res.outputs.find((o) => o.name === 'top_k_scores');
  if (!classes || !scores) return [];
  const [n, k] = scores.shape;
  return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => ({ label: String(classes.data[i * k + j]), score: Number(scores.data[i * k + j]) })));
}

/** The image type from its first bytes (PNG, JPEG, GIF, WebP), else octet-stream. */
export function imageType(b: Uint8Array): string {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'image/gif';
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  return 'application/octet-stream';
}
