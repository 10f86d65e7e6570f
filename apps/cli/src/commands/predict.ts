import { readFileSync } from 'node:fs';
import { imageType, shapeOf, topKOf, type Tensor } from '@trainyard/sdk';
import { Command } from 'commander';
import { Context } from '../context';
import { UsageError } from '../errors';

type Instances = Tensor[];

/** A JSON file: one sample (nested numbers), or a TF Serving body ({"instances"} / {"inputs"} / {"examples"}). */
export function instancesOf(value: unknown, file: string): Instances {
  const v = value as Record<string, unknown>;
  // A bare array is one sample (MNIST: [784], [28][28] or [28][28][1]); several go in {"instances": [...]}.
  if (Array.isArray(value)) return [value as Tensor];
  if (v && typeof v === 'object') {
    if (Array.isArray(v.instances)) return v.instances as Tensor[];
    if (Array.isArray(v.inputs)) return v.inputs as Tensor[];
    if (Array.isArray(v.examples)) return (v.examples as Array<Record<string, Tensor>>).map((e) => e.image);
  }
  throw new UsageError(`${file}: expected a sample (nested numbers) or {"instances": [...]}`, 'For MNIST: 784 pixel values 0-255, flat or as [28][28].');
}

const flat = (t: Tensor): number[] => (Array.isArray(t) ? t.flatMap(flat) : [t]);

export function registerPredict(program: Command, ctxOf: () => Context) {
  program
    .command('predict')
    .description('ask a deployed model: an image (PNG, JPEG...) or a JSON sample; prints the top classes')
    .argument('<model>', 'the model name (see `trainyard deployments list`)')
    .argument('<input>', 'an image file, or a .json file with a sample or {"instances": [...]}')
    .option('-k, --top-k <k>', 'how many classes to show', (v) => parseInt(v, 10), 5)
    .option('--version <n>', 'a version instead of the default', (v) => parseInt(v, 10))
    .option('--label <label>', 'a label (stable, canary...) instead of the default')
    .option('--kserve', "use KServe's Open Inference Protocol v2 (/infer) instead of TF Serving's :classify")
    .addHelpText('after', '\nExamples:\n  trainyard predict digits digit.png\n  trainyard predict digits sample.json --top-k 3 --json\n  trainyard predict digits digit.png --kserve --version 2')
    .action(async (model: string, input: string, opts: { topK: number; version?: number; label?: string; kserve?: boolean }) => {
      const ctx = ctxOf();
      const { ui } = ctx;
      if (!Number.isInteger(opts.topK) || opts.topK < 1) throw new UsageError('--top-k must be a positive integer');
      if (opts.kserve && opts.label) throw new UsageError('KServe v2 has no labels', 'Use --version with --kserve, or drop --kserve.');
      let bytes: Buffer;
      try {
        bytes = readFileSync(input);
      } catch (e) {
        throw new UsageError(`cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Check the path.');
      }
      const isImage = imageType(bytes) !== 'application/octet-stream';
      let results: Array<Array<{ label: string; score: number }>>;
      let version: string | undefined;
      let runtime: string | undefined;
      if (isImage) {
        if (opts.kserve) {
          results = await ctx.client.kserve.inferImages(model, [bytes], { topK: opts.topK, version: opts.version });
        } else {
          const r = await ctx.client.tfServing.classify(model, bytes, { topK: opts.topK, version: opts.version, label: opts.label });
          results = r.body.results.map((row) => row.map(([label, score]) => ({ label, score })));
          version = r.modelVersion;
          runtime = r.runtime;
        }
      } else {
        let json: unknown;
        try {
          json = JSON.parse(bytes.toString('utf8'));
        } catch (e) {
          throw new UsageError(`${input} is neither an image (PNG, JPEG, GIF, WebP) nor JSON: ${(e as Error).message}`, 'Pass an image file, or a .json sample.');
        }
        const instances = instancesOf(json, input);
        if (opts.kserve) {
          const shape = shapeOf(instances[0]);
          const r = await ctx.client.kserve.infer(
            model,
            { inputs: [{ name: 'image', shape: [instances.length, ...shape], datatype: 'FP32', data: instances.flatMap(flat) }], parameters: { top_k: opts.topK }, outputs: [{ name: 'top_k_classes' }, { name: 'top_k_scores' }] },
            { version: opts.version },
          );
          results = topKOf(r.body);
          version = r.modelVersion ?? r.body.model_version;
          runtime = r.runtime;
        } else {
          const r = await ctx.client.tfServing.classify(model, instances.map((image) => ({ image })), { topK: opts.topK, version: opts.version, label: opts.label });
          results = r.body.results.map((row) => row.map(([label, score]) => ({ label, score })));
          version = r.modelVersion;
          runtime = r.runtime;
        }
      }
      ui.emit({ model, version: version ?? null, runtime: runtime ?? null, protocol: opts.kserve ? 'kserve-v2' : 'tf-serving', results });
      results.forEach((row, i) => {
        if (results.length > 1) ui.out(ui.bold(`sample ${i}`));
        ui.out(
          ui.table(
            ['#', 'class', 'probability', ''],
            row.map((c, j) => [j + 1, j === 0 ? ui.bold(c.label) : c.label, c.score.toFixed(4), ui.cyan('█'.repeat(Math.round(c.score * 30)))]),
            { align: ['right', 'left', 'right', 'left'] },
          ),
        );
      });
      ui.out(ui.dim(`${model}${version ? ` version ${version}` : ''}${runtime ? ` on ${runtime}` : ''}`));
    });
}
