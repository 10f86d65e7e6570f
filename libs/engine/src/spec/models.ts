/**
 * The model registry: one entry per model name with its params schema (zod) and its topology
 * generator. Pure: no TensorFlow.js, so the API validates and summarizes models without loading it.
 */
import { z } from 'zod';
import { analyzeTopology, type AnalyzeOptions, type KerasTopology, type ModelSummary, normalizeTopology, TopologyError } from './topology';
import { startModel, TopologyBuilder, type ZooContext } from './zoo';

const int = (what: string, min: number, max: number) =>
  z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`).min(min, `${what} must be >= ${min}`).max(max, `${what} must be <= ${max}`);
const rate = (what: string) => z.number().min(0, `${what} must be >= 0`).lt(1, `${what} must be < 1`);

export const MLP_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'relu6'] as const;

export const lenet5ParamsSchema = z.object({}).strict();
export const mlpParamsSchema = z
  .object({
    hidden: z.array(int('hidden', 1, 16384)).min(1, 'hidden needs at least one layer').max(16).default([512, 256]),
    activation: z.enum(MLP_ACTIVATIONS).default('relu'),
    dropout: rate('dropout').default(0),
  })
  .strict();
export const cnnBlockSchema = z
  .object({
    filters: int('filters', 1, 2048),
    convs: int('convs', 1, 8).default(1),
    kernelSize: int('kernelSize', 1, 11).default(3),
    batchNorm: z.boolean().default(false),
    pool: z.boolean().default(true),
    dropout: rate('dropout').default(0),
  })
  .strict();
export const cnnParamsSchema = z
  .object({
    blocks: z
      .array(cnnBlockSchema)
      .min(1)
      .max(16)
      .default([
        { filters: 32, convs: 2, kernelSize: 3, batchNorm: false, pool: true, dropout: 0 },
        { filters: 64, convs: 2, kernelSize: 3, batchNorm: false, pool: true, dropout: 0 },
      ]),
    dense: z.array(int('dense', 1, 16384)).max(8).default([512]),
    dropout: rate('dropout').default(0),
  })
  .strict();
export const resnetParamsSchema = z
  .object({
    depth: z.union([z.literal(20), z.literal(32), z.literal(56)], { errorMap: () => ({ message: 'depth must be 20, 32 or 56' }) }).default(20),
  })
  .strict();
export const alexnetParamsSchema = z.object({ dropout: rate('dropout').default(0.5), denseUnits: int('denseUnits', 16, 8192).default(1024) }).strict();
export const customParamsSchema = z
  .object({
    /** A Keras / tfjs layers topology: the object, or its JSON text. */
    topology: z.union([z.string(), z.record(z.unknown())], { errorMap: () => ({ message: 'topology must be a JSON object or JSON text' }) }),
  })
  .strict();

interface ModelEntry<S extends z.ZodTypeAny> {
  params: S;
  description: string;
  topology(params: z.output<S>, ctx: ZooContext): KerasTopology;
}

const entry = <S extends z.ZodTypeAny>(e: ModelEntry<S>) => e;

export const MODELS = {
  lenet5: entry({
    params: lenet5ParamsSchema,
    description: "LeNet-5 (MindSpore's walkthrough): conv6@5x5, pool, conv16@5x5, pool, fc120, fc84, logits. Images at least 16x16.",
    topology: (_p, ctx) => {
      const b = new TopologyBuilder('lenet5', ctx.seed);
      const input = startModel(b, ctx);
      let x = b.conv('conv1', input, 6, 5, { padding: 'valid' });
      x = b.pool('pool1', x);
      x = b.conv('conv2', x, 16, 5, { padding: 'valid' });
      x = b.pool('pool2', x);
      x = b.flatten('flatten', x);
      x = b.dense('fc1', x, 120);
      x = b.dense('fc2', x, 84);
      return b.build('image', b.dense('fc3', x, ctx.numClasses, 'linear'));
    },
  }),
  mlp: entry({
    params: mlpParamsSchema,
    description: 'Multi-layer perceptron on the flattened sample: hidden sizes, activation, dropout.',
    topology: (p, ctx) => {
      const b = new TopologyBuilder('mlp', ctx.seed);
      const input = startModel(b, ctx);
      let x = b.flatten('flatten', input);
      p.hidden.forEach((units, i) => {
        x = b.dense(`fc${i + 1}`, x, units, p.activation);
        if (p.dropout > 0) x = b.dropout(`dropout${i + 1}`, x, p.dropout);
      });
      return b.build('image', b.dense(`fc${p.hidden.length + 1}`, x, ctx.numClasses, 'linear'));
    },
  }),
  cnn: entry({
    params: cnnParamsSchema,
    description: 'Configurable stack of conv / batch-norm / pool / dropout blocks, then dense layers. Default: conv32 x2, pool, conv64 x2, pool, fc512.',
    topology: (p, ctx) => {
      const b = new TopologyBuilder('cnn', ctx.seed);
      const input = startModel(b, ctx);
      let x = input;
      for (const block of p.blocks) {
        for (let i = 0; i < block.convs; i++) {
          const name = b.uniqueName('conv');
          if (block.batchNorm) {
            x = b.conv(name, x, block.filters, block.kernelSize, { activation: 'linear', useBias: false });
            x = b.batchNorm(`${name}_bn`, x);
            x = b.activation(`${name}_relu`, x, 'relu');
          } else x = b.conv(name, x, block.filters, block.kernelSize);
        }
        if (block.pool) x = b.pool(b.uniqueName('pool'), x);
        if (block.dropout > 0) x = b.dropout(b.uniqueName('dropout'), x, block.dropout);
      }
      x = b.flatten('flatten', x);
      for (const units of p.dense) {
        x = b.dense(b.uniqueName('fc'), x, units);
        if (p.dropout > 0) x = b.dropout(b.uniqueName('dropout'), x, p.dropout);
      }
      return b.build('image', b.dense(b.uniqueName('fc'), x, ctx.numClasses, 'linear'));
    },
  }),
  resnet: entry({
    params: resnetParamsSchema,
    description: 'CIFAR-style ResNet (He et al. 2016, section 4.2): depth 6n+2 = 20, 32 or 56; 16/32/64 filters; 1x1 projection shortcuts.',
    topology: (p, ctx) => {
      const n = (p.depth - 2) / 6;
      const b = new TopologyBuilder(`resnet${p.depth}`, ctx.seed);
      const input = startModel(b, ctx);
      const convBn = (name: string, x: string, filters: number, k: number, strides: number) =>
        b.batchNorm(`${name}_bn`, b.conv(name, x, filters, k, { strides, activation: 'linear', useBias: false }));
      let x = b.activation('stem_relu', convBn('stem', input, 16, 3, 1), 'relu');
      let channels = 16;
      for (let s = 0; s < 3; s++) {
        const filters = 16 << s;
        for (let i = 0; i < n; i++) {
          const strides = s > 0 && i === 0 ? 2 : 1;
          const name = `s${s + 1}b${i + 1}`;
          let y = b.activation(`${name}_relu1`, convBn(`${name}_conv1`, x, filters, 3, strides), 'relu');
          y = convBn(`${name}_conv2`, y, filters, 3, 1);
          const shortcut = strides !== 1 || channels !== filters ? convBn(`${name}_proj`, x, filters, 1, strides) : x;
          x = b.activation(`${name}_relu2`, b.add('Add', `${name}_add`, {}, [y, shortcut]), 'relu');
          channels = filters;
        }
      }
      x = b.add('GlobalAveragePooling2D', 'gap', { data_format: 'channels_last' }, x);
      return b.build('image', b.dense('fc', x, ctx.numClasses, 'linear'));
    },
  }),
  alexnet: entry({
    params: alexnetParamsSchema,
    description: 'AlexNet for small inputs (32x32): conv64, pool, conv192, pool, conv384, conv256, conv256, pool, two dense layers with dropout, logits. Images at least 8x8.',
    topology: (p, ctx) => {
      const b = new TopologyBuilder('alexnet', ctx.seed);
      const input = startModel(b, ctx);
      let x = b.pool('pool1', b.conv('conv1', input, 64, 3));
      x = b.pool('pool2', b.conv('conv2', x, 192, 3));
      x = b.conv('conv3', x, 384, 3);
      x = b.conv('conv4', x, 256, 3);
      x = b.pool('pool3', b.conv('conv5', x, 256, 3));
      x = b.flatten('flatten', x);
      if (p.dropout > 0) x = b.dropout('dropout1', x, p.dropout);
      x = b.dense('fc1', x, p.denseUnits);
      if (p.dropout > 0) x = b.dropout('dropout2', x, p.dropout);
      x = b.dense('fc2', x, p.denseUnits);
      return b.build('image', b.dense('fc3', x, ctx.numClasses, 'linear'));
    },
  }),
  custom: entry({
    params: customParamsSchema,
    description: 'Your own network: a Keras / TensorFlow.js layers topology (model.to_json() / model.toJSON()), checked against an allowed list of layers.',
    topology: (p) => normalizeTopology(p.topology),
  }),
} as const;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as [ModelName, ...ModelName[]];

/** What an experiment stores about its model. */
export const modelSpecSchema = z
  .object({
    name: z.enum(MODEL_NAMES, { errorMap: () => ({ message: `unknown model; expected one of ${MODEL_NAMES.join(', ')}` }) }),
    numClasses: int('numClasses', 1, 10_000),
    params: z.record(z.unknown()).optional(),
  })
  .superRefine((m, ctx) => {
    const r = MODELS[m.name].params.safeParse(m.params ?? {});
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: ['params', ...issue.path] });
  })
  .transform((m) => ({ ...m, params: MODELS[m.name].params.parse(m.params ?? {}) as Record<string, unknown> }));

export type ModelSpecInput = z.input<typeof modelSpecSchema>;
export type StoredModelSpec = z.output<typeof modelSpecSchema>;

/** The topology of a model spec for a dataset's sample shape (params parsed with defaults). */
export function modelTopology(model: { name: ModelName; params?: Record<string, unknown> }, ctx: ZooContext): KerasTopology {
  const e = MODELS[model.name] as ModelEntry<z.ZodTypeAny>;
  if (!e) throw new TopologyError(`unknown model ${JSON.stringify(model.name)}; expected one of ${MODEL_NAMES.join(', ')}`);
  const params = e.params.parse(model.params ?? {});
  return e.topology(params, ctx);
}

/**
 * Validates a model against a dataset (input shape, class count, parameter limit) and returns its
 * summary, Keras summary() style. Throws TopologyError naming the layer.
 */
export function summarizeModel(
  model: { name: ModelName; params?: Record<string, unknown> },
  ctx: ZooContext,
  limits: Omit<AnalyzeOptions, 'inputShape' | 'numClasses'> = {},
): ModelSummary {
  const topology = modelTopology(model, ctx);
  const [h, w, c] = ctx.inputShape;
  return analyzeTopology(topology, { ...limits, inputShape: ctx.dataFormat === 'channelsFirst' ? [c, h, w] : [h, w, c], numClasses: ctx.numClasses });
}
