/**
 * tfjs LayersModel -> ONNX ModelProto bytes. Walks the model's layers in dependency order (sequential
 * and functional graphs alike), hands each one to its converter in `LAYER_CONVERTERS`, and encodes the
 * result with `onnx-proto`.
 *
 * The ONNX input is the tfjs input, unchanged: NHWC images (the preprocessed tensor tfjs eats); the
 * graph transposes to NCHW once inside, before the first convolution. Outputs are the tfjs outputs
 * (for the zoo: logits, no softmax).
 */
import type * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import { OnnxExportError } from './errors';
import { GraphBuilder, OPSET_VERSION, Value, floatValueInfo } from './graph';
import { LAYER_CONVERTERS, LayerContext, SUPPORTED_LAYERS } from './layers';

export interface OnnxExportOptions {
  /** The graph's name; the model's name by default. */
  graphName?: string;
  /** Written to the model's doc_string. */
  docString?: string;
  /** Extra metadata_props (e.g. the checkpoint it came from). */
  metadata?: Record<string, string>;
}

export interface OnnxModel {
  /** The serialized ModelProto: what a `.onnx` file holds. */
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** tfjs shapes, batch first (null for the batch). */
  inputShape: (number | null)[];
  outputShape: (number | null)[];
  opsetVersion: number;
  /** ONNX nodes by op type, for logs and tests. */
  opCounts: Record<string, number>;
}

type Symbolic = tf.SymbolicTensor;

const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Converts `model`; throws OnnxExportError naming the first layer it cannot convert. */
export function exportToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxModel {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new OnnxExportError(`models with one input and one output only (this one has ${model.inputs.length} and ${model.outputs.length})`);
  }
  const g = new GraphBuilder();
  const values = new Map<number, Value>();

  const input = model.inputs[0] as Symbolic;
  const inputName = model.inputNames?.[0] ?? 'input';
  g.reserve(inputName);
  values.set(input.id, { name: inputName, shape: input.shape, layout: 'tf' });
  const outputName = model.outputNames?.[0] ?? 'output';
  if (outputName === inputName) throw new OnnxExportError(`the input and the output are both named ${inputName}`);
  g.reserve(outputName);

  const pending = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  while (pending.length > 0) {
    const ready = pending.findIndex((l) => inputsOf(l).every((t) => values.has(t.id)));
    if (ready < 0) {
      const l = pending[0];
      throw new OnnxExportError(`layer "${l.name}" (${l.getClassName()}) reads a tensor no earlier layer produces`);
    }
    const [layer] = pending.splice(ready, 1);
    const outputs = asList(layer.output as Symbolic | Symbolic[]);
    if (outputs.length !== 1) {
      throw new OnnxExportError(`layer "${layer.name}" (${layer.getClassName()}) has ${outputs.length} outputs; one only`);
    }
    const result = convertLayer(g, layer, inputsOf(layer).map((t) => values.get(t.id) as Value), outputs[0].shape);
    values.set(outputs[0].id, result);
  }

  const output = model.outputs[0] as Symbolic;
  const last = values.get(output.id);
  if (!last) throw new OnnxExportError('the model output is not produced by any layer');
  // Name the result after the tfjs output, through an Identity that ONNX Runtime removes.
  g.identityAs(g.toTf(last).name, outputName);

  const graph = g.finish(
    options.graphName ?? model.name,
    [floatValueInfo(inputName, input.shape)],
    [floatValueInfo(outputName, output.shape)],
  );
  const opCounts: Record<string, number> = {};
  for (const n of graph.node ?? []) opCounts[n.opType as string] = (opCounts[n.opType as string] ?? 0) + 1;

  const proto = onnx.ModelProto.create({
    irVersion: onnx.Version.IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'trainyard',
    producerVersion: '1',
    docString: options.docString ?? 'Exported from TensorFlow.js by Trainyard. Input is NHWC, as the tfjs model takes it.',
    graph,
    metadataProps: Object.entries({ input_layout: 'NHWC', ...options.metadata }).map(([key, value]) => ({ key, value })),
  });
  return {
    bytes: onnx.ModelProto.encode(proto).finish(),
    inputName,
    outputName,
    inputShape: input.shape,
    outputShape: output.shape,
    opsetVersion: OPSET_VERSION,
    opCounts,
  };
}

/** The symbolic tensors a layer reads (it must be applied exactly once). */
function inputsOf(layer: tf.layers.Layer): Symbolic[] {
  const nodes = (layer as unknown as { inboundNodes: unknown[] }).inboundNodes;
  if (nodes.length !== 1) {
    throw new OnnxExportError(
      `layer "${layer.name}" (${layer.getClassName()}) is applied ${nodes.length} times; shared layers are not supported`,
    );
  }
  return asList(layer.input as Symbolic | Symbolic[]);
}

function convertLayer(g: GraphBuilder, layer: tf.layers.Layer, inputs: Value[], outputShape: (number | null)[]): Value {
  const className = layer.getClassName();
  const fail = (reason: string) =>
    new OnnxExportError(`layer "${layer.name}" (${className}): ${reason}`, { layer: layer.name, className });
  const converter = LAYER_CONVERTERS[className];
  if (!converter) {
    throw new OnnxExportError(
      `layer "${layer.name}" (${className}) is not supported; supported layers: ${SUPPORTED_LAYERS.join(', ')}`,
      { layer: layer.name, className },
    );
  }
  const weight = (suffix: string) => {
    const w = layer.weights.find((v) => v.originalName.endsWith(`/${suffix}`) || v.originalName === suffix);
    if (!w) return undefined;
    const t = w.read();
    return { data: Float32Array.from(t.dataSync() as Float32Array), shape: t.shape.slice() };
  };
  const ctx: LayerContext = {
    layer,
    config: layer.getConfig() as Record<string, unknown>,
    inputs,
    outputShape,
    g,
    weight,
    requireWeight: (suffix) => {
      const w = weight(suffix);
      if (!w) throw fail(`has no ${suffix} weight`);
      return w;
    },
    fail,
  };
  return converter(ctx);
}
