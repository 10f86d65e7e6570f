import type { Deployment } from '@trainyard/sdk';
import { Command } from 'commander';
import { Context } from '../context';
import { UsageError } from '../errors';
import { Ui } from '../ui';

function deploymentRows(ui: Ui, d: Deployment, abs: (p: string) => string) {
  return [
    d.name,
    d.version,
    d.isDefault ? ui.green('yes') : '',
    d.labels.join(', '),
    d.step,
    d.checkpointId,
    abs(d.predictUrl),
  ];
}
const HEAD = ['model', 'version', 'default', 'labels', 'step', 'checkpoint', 'predict URL'];

export function registerDeploy(program: Command, ctxOf: () => Context) {
  program
    .command('deploy')
    .description("serve a checkpoint under a model name, as the name's next version")
    .argument('[checkpointId]', 'the checkpoint to serve (or --experiment)')
    .requiredOption('--name <model>', 'the model name clients call, e.g. digits')
    .option('--experiment <id>', "serve this experiment's last checkpoint")
    .option('--label <label...>', 'labels to point at the new version (stable, canary...)')
    .option('--no-default', 'do not make it the default version')
    .option('--max-batch-size <n>', 'dynamic batching: most samples per runtime call', (v) => parseInt(v, 10))
    .option('--max-batch-wait-ms <n>', 'dynamic batching: longest wait for company', (v) => parseInt(v, 10))
    .addHelpText('after', '\nExample:\n  trainyard deploy --experiment <experiment id> --name digits && trainyard predict digits digit.png')
    .action(async (checkpointId: string | undefined, opts: { name: string; experiment?: string; label?: string[]; default: boolean; maxBatchSize?: number; maxBatchWaitMs?: number }) => {
      const ctx = ctxOf();
      if (!checkpointId && !opts.experiment) throw new UsageError('which checkpoint?', 'Pass a checkpoint id (`trainyard checkpoints list <experiment id>`) or --experiment <id> for its last one.');
      if (!checkpointId) {
        const e = await ctx.client.experiments.get(opts.experiment!);
        const last = e.checkpoints[e.checkpoints.length - 1];
        if (!last) throw new UsageError(`${e.name} has no checkpoint yet (${e.status})`, `Wait for it: trainyard experiments watch ${e.id}`);
        checkpointId = last.id;
      }
      const d = await ctx.client.deployments.deploy(checkpointId, opts.name, {
        makeDefault: opts.default,
        labels: opts.label,
        maxBatchSize: opts.maxBatchSize,
        maxBatchWaitMs: opts.maxBatchWaitMs,
      });
      ctx.ui.emit(d);
      ctx.ui.out(ctx.ui.table(HEAD, [deploymentRows(ctx.ui, d, (p) => ctx.client.transport.url(p))]));
      ctx.ui.out(ctx.ui.dim(`Try it: trainyard predict ${d.name} <image.png | sample.json>`));
    });

  program
    .command('deployments')
    .description('served models')
    .command('list')
    .description('every version of every served model')
    .action(async () => {
      const ctx = ctxOf();
      const models = await ctx.client.deployments.allModels();
      ctx.ui.emit(models);
      if (!models.length) return ctx.ui.out('Nothing deployed yet: `trainyard deploy <checkpoint id> --name <model>`.');
      ctx.ui.out(ctx.ui.table(HEAD, models.flatMap((m) => m.versions.map((v) => deploymentRows(ctx.ui, v, (p) => ctx.client.transport.url(p))))));
    });
}
