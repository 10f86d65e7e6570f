import { readFileSync } from 'node:fs';
import * as cliProgress from 'cli-progress';
import type { Experiment, ExperimentStatus, LossPoint, SubmitExperimentInput } from '@trainyard/sdk';
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Context } from '../context';
import { UsageError } from '../errors';
import { exitCodeOfStatus } from '../exit-codes';
import { duration, num, shortId, sparkline, Ui } from '../ui';

const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'PAUSED'];

/** A spec file (YAML or JSON) as a SubmitExperimentInput; the server validates the rest. */
export function readSpec(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Check the path; examples/mindspore-lenet5.yaml is a complete spec.');
  }
  let spec: unknown;
  try {
    spec = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, 'Fix the syntax at the place named.');
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new UsageError(`${file} must hold one object (name, datasetId, model, optimizer, epochs...)`, 'See examples/mindspore-lenet5.yaml.');
  return spec as Record<string, unknown>;
}

function specSummary(spec: unknown) {
  const s = (spec ?? {}) as { model?: { name?: string }; optimizer?: { name?: string; learningRate?: number }; epochs?: number; pipeline?: { batchSize?: number }; seed?: number };
  return { model: s.model?.name ?? '', optimizer: s.optimizer?.name ?? '', learningRate: s.optimizer?.learningRate, epochs: s.epochs, batchSize: s.pipeline?.batchSize, seed: s.seed };
}

function experimentRows(ui: Ui, e: Experiment) {
  const s = specSummary(e.spec);
  const rows: Array<[string, string | number | null | undefined]> = [
    ['id', e.id],
    ['name', e.name],
    ['status', ui.status(e.status) + (e.cancelRequested && e.status === 'RUNNING' ? ' (cancel requested)' : '')],
    ['model', s.model],
    ['optimizer', `${s.optimizer} lr=${s.learningRate}`],
    ['epochs', s.epochs],
    ['progress', `epoch ${e.progress.epoch + 1}, step ${e.progress.step}/${e.progress.totalSteps}${e.progress.samplesPerSecond ? `, ${Math.round(e.progress.samplesPerSecond)} samples/s` : ''}`],
    ['backend', e.backend],
    ['attempt', e.attempt],
  ];
  if (e.metrics) rows.push(['test accuracy', num(e.metrics.accuracy)], ['test loss', num(e.metrics.loss)], ['macro F1', num(e.metrics.f1)]);
  if (e.checkpoints.length) rows.push(['checkpoints', e.checkpoints.map((c) => `${c.id} (step ${c.step})`).join('\n')]);
  if (e.failureReason) rows.push(['failure', ui.red(e.failureReason)]);
  return rows;
}

/** The live view of a run: an epoch/step bar with the loss and a sparkline on a TTY, lines otherwise, NDJSON with --json. */
async function watchRun(ctx: Context, id: string, opts: { pollMs?: number; transport?: 'auto' | 'subscription' | 'polling' }): Promise<Experiment> {
  const { ui } = ctx;
  const losses: number[] = [];
  let bar: cliProgress.SingleBar | undefined;
  let epochs = 0;
  let lastEpochPrinted = -1;
  let lastStatus = '';
  const controller = new AbortController();
  const onSigint = () => controller.abort(new UsageError('interrupted: the run goes on; watch it again with `trainyard experiments watch ' + id + '`', undefined, 130));
  process.once('SIGINT', onSigint);
  epochs = Number(((await ctx.client.experiments.get(id)).spec as { epochs?: number } | null)?.epochs) || 0;
  const payload = (status: string, epoch: number) => ({ status, epoch: Math.min(epoch + 1, epochs || epoch + 1), epochs, loss: losses.length ? num(losses[losses.length - 1], 4) : '-', spark: ui.cyan(sparkline(losses, 30)) });
  try {
    for await (const ev of ctx.client.experiments.watch(id, { until: ['SUCCEEDED', 'FAILED', 'CANCELLED', 'PAUSED'], pollIntervalMs: opts.pollMs, transport: opts.transport, signal: controller.signal })) {
      ui.emitLine(ev);
      if (ui.json) {
        if (ev.type === 'done') return ev.experiment;
        continue;
      }
      if (ev.type === 'status') {
        if (ev.experiment.status !== lastStatus) {
          lastStatus = ev.experiment.status;
          if (!bar) ui.note(`${ui.bold(ev.experiment.name)} ${ui.dim(shortId(ev.experiment.id))}: ${ui.status(ev.experiment.status)}`);
        }
      } else if (ev.type === 'loss') {
        losses.push(...ev.points.map((p: LossPoint) => p.loss));
      } else if (ev.type === 'progress') {
        const p = ev.progress;
        if (ui.live) {
          if (!bar && p.totalSteps > 0) {
            bar = new cliProgress.SingleBar(
              { format: `{status} epoch {epoch}/{epochs} ${ui.cyan('{bar}')} step {value}/{total} | loss {loss} {spark} | ETA {eta_formatted}`, stream: ui.stderr, hideCursor: true, barsize: 24, fps: 5, etaBuffer: 20 },
              cliProgress.Presets.shades_classic,
            );
            bar.start(p.totalSteps, p.step, payload(ev.status, p.epoch));
          } else bar?.update(p.step, payload(ev.status, p.epoch));
        } else if (p.epoch !== lastEpochPrinted && p.totalSteps > 0) {
          lastEpochPrinted = p.epoch;
          ui.note(`epoch ${p.epoch + 1}${epochs ? `/${epochs}` : ''} step ${p.step}/${p.totalSteps} loss ${losses.length ? num(losses[losses.length - 1]) : '-'} ${sparkline(losses, 30)}`);
        }
      }
      if (ev.type === 'done') {
        if (bar) {
          bar.update(ev.experiment.progress.step, payload(ev.experiment.status, ev.experiment.progress.epoch));
          bar.stop();
          bar = undefined;
        }
        return ev.experiment;
      }
    }
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
  }
  throw new Error('the watch ended without a final status');
}

function printFinal(ctx: Context, e: Experiment, losses: number[]) {
  const { ui } = ctx;
  ui.out(ui.keyValues(experimentRows(ui, e)));
  if (losses.length) ui.out(`loss ${num(losses[0])} → ${num(losses[losses.length - 1])}  ${ui.cyan(sparkline(losses, 60))}`);
  if (e.status === 'SUCCEEDED' && e.checkpoints.length) ui.out(ui.dim(`Next: trainyard deploy ${e.checkpoints[e.checkpoints.length - 1].id} --name <model name>`));
  if (e.status === 'FAILED' || e.status === 'CANCELLED') ui.out(ui.dim(`Resume it from its last checkpoint with: trainyard experiments resume ${e.id}`));
}

export function registerExperiments(program: Command, ctxOf: () => Context) {
  const experiments = program.command('experiments').alias('exp').description('submit training runs, watch them, compare them');

  experiments
    .command('submit')
    .description('submit a run from a spec file (YAML or JSON: the SubmitExperimentInput of the GraphQL API)')
    .argument('<spec>', 'spec.yaml or spec.json, e.g. examples/mindspore-lenet5.yaml')
    .option('--dataset <id>', 'train on this dataset (overrides datasetId in the file)')
    .option('--name <name>', 'the run name (overrides the file)')
    .option('--epochs <n>', 'epochs (overrides the file)', (v) => parseInt(v, 10))
    .option('--idempotency-key <key>', 'a retry with the same key returns the first run')
    .option('--watch', 'then watch it like `experiments watch` (and exit with its status)')
    .addHelpText('after', '\nExample:\n  trainyard experiments submit examples/mindspore-lenet5.yaml --dataset <dataset id> --watch')
    .action(async (file: string, opts: { dataset?: string; name?: string; epochs?: number; idempotencyKey?: string; watch?: boolean }) => {
      const ctx = ctxOf();
      const spec = readSpec(file);
      if (opts.dataset) spec.datasetId = opts.dataset;
      if (opts.name) spec.name = opts.name;
      if (opts.epochs !== undefined) spec.epochs = opts.epochs;
      if (opts.idempotencyKey) spec.idempotencyKey = opts.idempotencyKey;
      if (!spec.datasetId) throw new UsageError(`${file} names no dataset`, 'Pass --dataset <id> (see `trainyard datasets list`), or add datasetId to the file.');
      const e = await ctx.client.experiments.submit(spec as unknown as SubmitExperimentInput);
      if (!opts.watch) {
        ctx.ui.emit(e);
        ctx.ui.out(`Submitted ${ctx.ui.bold(e.name)} ${e.id}: ${ctx.ui.status(e.status)}`);
        ctx.ui.out(ctx.ui.dim(`Watch it with: trainyard experiments watch ${e.id}`));
        return;
      }
      if (!ctx.ui.json) ctx.ui.note(`Submitted ${e.id}`);
      const final = await watchRun(ctx, e.id, {});
      if (!ctx.ui.json) printFinal(ctx, final, (await ctx.client.experiments.allLosses(final.id)).map((p) => p.loss));
      process.exitCode = exitCodeOfStatus(final.status);
    });

  experiments
    .command('watch')
    .description("follow a run live (epoch/step bar, loss sparkline) until it ends; exits with the run's status (0 SUCCEEDED, 10 FAILED, 11 CANCELLED, 12 PAUSED)")
    .argument('<id>', 'the experiment id')
    .option('--poll <ms>', 'polling interval when the server offers no subscription', (v) => parseInt(v, 10), 1000)
    .addOption(new Option('--transport <t>', 'how to follow it').choices(['auto', 'subscription', 'polling']).default('auto'))
    .action(async (id: string, opts: { poll: number; transport: 'auto' | 'subscription' | 'polling' }) => {
      const ctx = ctxOf();
      const final = await watchRun(ctx, id, { pollMs: opts.poll, transport: opts.transport });
      if (!ctx.ui.json) printFinal(ctx, final, (await ctx.client.experiments.allLosses(final.id)).map((p) => p.loss));
      process.exitCode = exitCodeOfStatus(final.status);
    });

  experiments
    .command('show')
    .alias('get')
    .description('one run: status, progress, metrics, checkpoints')
    .argument('<id>', 'the experiment id')
    .action(async (id: string) => {
      const ctx = ctxOf();
      const e = await ctx.client.experiments.get(id);
      const losses = (await ctx.client.experiments.allLosses(id)).map((p) => p.loss);
      ctx.ui.emit(e);
      printFinal(ctx, e, losses);
    });

  experiments
    .command('list')
    .description("the team's runs, newest first")
    .addOption(new Option('--status <status...>', 'only runs in these statuses').choices(STATUSES))
    .option('--dataset <id>', 'only runs on this dataset')
    .option('--name-prefix <prefix>', 'names starting with this')
    .option('--first <n>', 'page size (at most 200)', (v) => parseInt(v, 10), 50)
    .option('--after <cursor>', 'the page after this cursor (printed when there are more)')
    .action(async (opts: { status?: ExperimentStatus[]; dataset?: string; namePrefix?: string; first: number; after?: string }) => {
      const ctx = ctxOf();
      const filter = { status: opts.status, datasetId: opts.dataset, namePrefix: opts.namePrefix };
      const page = await ctx.client.experiments.list({ first: opts.first, after: opts.after, filter });
      ctx.ui.emit(page);
      if (!page.items.length) return ctx.ui.out(opts.after ? 'No more experiments.' : 'No experiments yet: submit one with `trainyard experiments submit`.');
      ctx.ui.out(
        ctx.ui.table(
          ['id', 'name', 'status', 'epoch', 'step', 'created'],
          page.items.map((e) => [e.id, e.name, ctx.ui.status(e.status), e.progress.epoch + 1, `${e.progress.step}/${e.progress.totalSteps}`, e.createdAt.slice(0, 19).replace('T', ' ')]),
        ),
      );
      ctx.ui.out(ctx.ui.dim(`${page.items.length} of ${page.totalCount}${page.hasNextPage ? `; next page: trainyard experiments list --after ${page.endCursor}` : ''}`));
    });

  experiments
    .command('cancel')
    .description('stop a run within a few steps (its last checkpoint is kept)')
    .argument('<id>', 'the experiment id')
    .action(async (id: string) => {
      const ctx = ctxOf();
      const e = await ctx.client.experiments.cancel(id);
      ctx.ui.emit(e);
      ctx.ui.out(`${e.name} ${e.id}: ${ctx.ui.status(e.status)}${e.cancelRequested && e.status !== 'CANCELLED' ? ' (cancel requested: it stops within a few steps)' : ''}`);
    });

  experiments
    .command('resume')
    .description('put a FAILED or CANCELLED run back in the queue from its last checkpoint')
    .argument('<id>', 'the experiment id')
    .action(async (id: string) => {
      const ctx = ctxOf();
      const e = await ctx.client.experiments.resume(id);
      ctx.ui.emit(e);
      ctx.ui.out(`${e.name} ${e.id}: ${ctx.ui.status(e.status)} (attempt ${e.attempt})`);
    });

  experiments
    .command('compare')
    .description('runs side by side: settings, metrics and loss curves')
    .argument('<ids...>', 'two or more experiment ids')
    .action(async (ids: string[]) => {
      const ctx = ctxOf();
      const { ui } = ctx;
      const runs = await Promise.all(
        ids.map(async (id) => {
          const e = await ctx.client.experiments.get(id);
          const losses = await ctx.client.experiments.allLosses(id);
          return { e, losses };
        }),
      );
      ui.emit(
        runs.map(({ e, losses }) => ({
          id: e.id,
          name: e.name,
          status: e.status,
          ...specSummary(e.spec),
          steps: e.progress.step,
          firstLoss: losses[0]?.loss ?? null,
          lastLoss: losses[losses.length - 1]?.loss ?? null,
          metrics: e.metrics ? { accuracy: e.metrics.accuracy, loss: e.metrics.loss, f1: e.metrics.f1, precision: e.metrics.precision, recall: e.metrics.recall } : null,
          durationMs: e.startedAt && e.finishedAt ? Date.parse(e.finishedAt) - Date.parse(e.startedAt) : null,
        })),
      );
      const best = Math.max(...runs.map((r) => r.e.metrics?.accuracy ?? -1));
      ui.out(
        ui.table(
          ['run', 'status', 'model', 'optimizer', 'lr', 'epochs', 'batch', 'steps', 'train loss', 'test acc', 'F1', 'time'],
          runs.map(({ e, losses }) => {
            const s = specSummary(e.spec);
            const acc = e.metrics ? num(e.metrics.accuracy) : '';
            return [
              `${e.name}\n${ui.dim(shortId(e.id))}`,
              ui.status(e.status),
              s.model,
              s.optimizer,
              num(s.learningRate),
              s.epochs,
              s.batchSize,
              e.progress.step,
              losses.length ? num(losses[losses.length - 1].loss) : '',
              e.metrics && e.metrics.accuracy === best ? ui.green(acc) : acc,
              e.metrics ? num(e.metrics.f1) : '',
              e.startedAt && e.finishedAt ? duration(Date.parse(e.finishedAt) - Date.parse(e.startedAt)) : '',
            ];
          }),
        ),
      );
      ui.out('');
      const width = Math.max(...runs.map((r) => r.e.name.length));
      for (const { e, losses } of runs) ui.out(`${e.name.padEnd(width)} ${ui.cyan(sparkline(losses.map((p) => p.loss), 50))}`);
    });
}
