import { Command, CommanderError, Option } from 'commander';
import { registerCheckpoints } from './commands/checkpoints';
import { registerDatasets } from './commands/datasets';
import { registerDeploy } from './commands/deploy';
import { registerExperiments } from './commands/experiments';
import { registerLogin } from './commands/login';
import { registerPredict } from './commands/predict';
import { Context, reportError } from './context';
import { UsageError } from './errors';
import { EXIT } from './exit-codes';
import { Ui } from './ui';

const EXIT_HELP = `
Exit codes:
  0 ok                        5 refused by the server (bad input, conflict, quota)
  1 unexpected error          6 server unreachable, busy, rate-limited or timed out
  2 usage / not logged in     10 the run, ingest or export FAILED
  3 key refused or forbidden  11 the run was CANCELLED, 12 PAUSED
  4 not found                 130 interrupted

Settings: TRAINYARD_URL and TRAINYARD_KEY override the file \`trainyard login\` writes
($TRAINYARD_CONFIG, else ~/.config/trainyard/config.json). NO_COLOR turns colours off.`;

/** The project's version, from source (apps/cli/src) or from the build (dist/apps/cli/src). */
function packageVersion(): string {
  for (const up of ['../../..', '../../../..']) {
    try {
      return (require(`${up}/package.json`) as { name: string; version: string }).version;
    } catch {
      /* next */
    }
  }
  return 'unknown';
}

export function buildProgram(ctxOf: () => Context): Command {
  const program = new Command('trainyard')
    .description('Trainyard from the command line: datasets, training runs, checkpoints, deployments, predictions')
    .version(packageVersion())
    .option('--json', 'print one JSON document on stdout (NDJSON for watch) instead of tables')
    .option('--no-color', 'no colours (also NO_COLOR=1, or when stdout is not a terminal)')
    .addOption(new Option('--url <url>', 'the server (default TRAINYARD_URL, then the login file)'))
    .addOption(new Option('--key <key>', 'the API key (default TRAINYARD_KEY, then the login file)').hideHelp())
    .showHelpAfterError('(run `trainyard --help` or `trainyard <command> --help` for usage)')
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerLogin(program, ctxOf);
  registerDatasets(program, ctxOf);
  registerExperiments(program, ctxOf);
  registerCheckpoints(program, ctxOf);
  registerDeploy(program, ctxOf);
  registerPredict(program, ctxOf);
  // Every (sub)command exits through exitOverride, so usage errors become exit 2 and help exits 0.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  // `trainyard ... | head`: a reader that stops early is not an error.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
  let ctx: Context | undefined;
  const program = buildProgram(() => (ctx ??= new Context(program.opts())));
  try {
    await program.parseAsync(argv);
    await ctx?.close();
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    await ctx?.close();
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    const ui = ctx?.ui ?? new Ui(argv.includes('--json'), { color: !argv.includes('--no-color') });
    return reportError(e instanceof Error && e.name === 'AbortError' ? new UsageError('interrupted', undefined, EXIT.INTERRUPTED) : (e as Error)?.cause instanceof UsageError ? (e as Error).cause : e, ui, ctx);
  }
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
