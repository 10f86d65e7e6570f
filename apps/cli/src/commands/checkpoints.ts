import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { Context } from '../context';
import { EXIT } from '../exit-codes';
import { bytes, num } from '../ui';

type DownloadFormat = 'checkpoint' | 'onnx' | 'tfjs-model' | 'tfjs-weights';
const DEFAULT_NAME: Record<DownloadFormat, (id: string) => string> = {
  checkpoint: (id) => `${id}.ckpt`,
  onnx: (id) => `${id}.onnx`,
  'tfjs-model': () => 'model.json',
  'tfjs-weights': () => 'weights.bin',
};

async function download(ctx: Context, id: string, format: DownloadFormat, out?: string) {
  const dest = out ?? DEFAULT_NAME[format](id);
  const bar = ctx.ui.bytesBar(basename(dest));
  let started = false;
  try {
    const r = await ctx.client.checkpoints.download(id, dest, {
      format,
      onProgress: (p) => {
        if (!started && p.totalBytes) {
          bar.start(p.totalBytes);
          started = true;
        }
        bar.update(p.bytesReceived);
      },
    });
    return r;
  } finally {
    bar.stop();
  }
}

export function registerCheckpoints(program: Command, ctxOf: () => Context) {
  const checkpoints = program.command('checkpoints').alias('ckpt').description('list, download and export checkpoints');

  checkpoints
    .command('list')
    .description("an experiment's checkpoints")
    .argument('<experimentId>', 'the experiment id')
    .action(async (experimentId: string) => {
      const ctx = ctxOf();
      const e = await ctx.client.experiments.get(experimentId);
      ctx.ui.emit(e.checkpoints);
      if (!e.checkpoints.length) return ctx.ui.out(`${e.name} has no checkpoints yet (${e.status}).`);
      ctx.ui.out(ctx.ui.table(['id', 'epoch', 'step', 'size', 'created'], e.checkpoints.map((c) => [c.id, c.epoch, c.step, bytes(c.sizeBytes), c.createdAt.slice(0, 19).replace('T', ' ')])));
    });

  checkpoints
    .command('download')
    .description('download a checkpoint (or its ONNX export, or the tfjs model files) with a progress bar')
    .argument('<id>', 'the checkpoint id')
    .option('-o, --output <file>', 'where to write it (default <id>.ckpt, <id>.onnx, model.json, weights.bin)')
    .addOption(new Option('--format <format>', 'what to download').choices(['checkpoint', 'onnx', 'tfjs-model', 'tfjs-weights']).default('checkpoint'))
    .action(async (id: string, opts: { output?: string; format: DownloadFormat }) => {
      const ctx = ctxOf();
      const r = await download(ctx, id, opts.format, opts.output);
      ctx.ui.emit(r);
      ctx.ui.out(`Wrote ${r.path} (${bytes(r.bytes)})`);
    });

  checkpoints
    .command('export')
    .description('export a checkpoint to ONNX (checked against TensorFlow.js on the server), wait for it, and download it with -o')
    .argument('<id>', 'the checkpoint id')
    .option('-o, --output <file>', 'download the .onnx file here once it is ready')
    .option('--no-wait', 'return after queueing the export')
    .option('--timeout <s>', 'give up waiting after this many seconds', (v) => parseInt(v, 10), 600)
    .action(async (id: string, opts: { output?: string; wait: boolean; timeout: number }) => {
      const ctx = ctxOf();
      const { ui } = ctx;
      const exp = await ctx.client.checkpoints.export(id, {
        format: 'ONNX',
        wait: opts.wait,
        timeoutMs: opts.timeout * 1000,
        onStatus: (e) => !ui.json && ui.note(`export ${e.id}: ${ui.status(e.status)}`),
      });
      let file: { path: string; bytes: number } | undefined;
      if (exp.status === 'SUCCEEDED' && opts.output) file = await download(ctx, id, 'onnx', opts.output);
      ui.emit({ ...exp, ...(file ? { file } : {}) });
      ui.out(
        ui.keyValues([
          ['export', exp.id],
          ['status', ui.status(exp.status)],
          ['format', exp.format],
          ['opset', exp.opsetVersion],
          ['size', bytes(exp.sizeBytes)],
          ['sha256', exp.sha256],
          ['max |onnx - tfjs|', exp.maxAbsDiff === null ? '' : num(exp.maxAbsDiff, 8)],
          ['download', exp.downloadUrl ? ctx.client.transport.url(exp.downloadUrl) : ''],
          ...(file ? [['written', `${file.path} (${bytes(file.bytes)})`] as [string, string]] : []),
          ...(exp.failureReason ? [['failure', ui.red(exp.failureReason)] as [string, string]] : []),
        ]),
      );
      if (exp.status === 'FAILED') process.exitCode = EXIT.FAILED;
    });
}
