import { TrainyardClient } from '@trainyard/sdk';
import type { Command } from 'commander';
import { configPath, readConfig, writeConfig } from '../config';
import { Context } from '../context';
import { UsageError } from '../errors';

/** Reads the key from stdin: hidden when it is a terminal, else the first line of what is piped in. */
async function readKey(ctx: Context): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    ctx.ui.stderr.write('API key: ');
    stdin.setRawMode(true);
    stdin.resume();
    let key = '';
    return new Promise((resolve, reject) => {
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            done();
            return resolve(key.trim());
          }
          if (ch === '\u0003') {
            done();
            return reject(new UsageError('interrupted', undefined, 130));
          }
          key = ch === '\u007f' ? key.slice(0, -1) : key + ch;
        }
      };
      const done = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        ctx.ui.stderr.write('\n');
      };
      stdin.on('data', onData);
    });
  }
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0].trim();
}

export function registerLogin(program: Command, ctxOf: () => Context) {
  program
    .command('login')
    .description('check a server URL and API key, and keep them in your config file (mode 0600)')
    .option('--url <url>', 'the server, e.g. http://localhost:3000 (default: TRAINYARD_URL, then the saved one)')
    .option('--key <key>', 'the API key (default: TRAINYARD_KEY, else read from stdin; avoid --key on shared machines: others can see arguments)')
    .addHelpText('after', '\nExamples:\n  trainyard login --url http://localhost:3000          # asks for the key\n  npm run --silent team:create -- "my team" | trainyard login --url http://localhost:3000')
    .action(async (opts: { url?: string; key?: string }) => {
      const ctx = ctxOf();
      const file = configPath(ctx.env);
      const stored = readConfig(file);
      const url = opts.url ?? ctx.flags.url ?? ctx.env.TRAINYARD_URL ?? stored.url;
      if (!url) throw new UsageError('no server URL', 'Pass --url http://localhost:3000 (or set TRAINYARD_URL).');
      const apiKey = opts.key ?? ctx.flags.key ?? ctx.env.TRAINYARD_KEY ?? (await readKey(ctx));
      if (!apiKey) throw new UsageError('no API key given', 'Pipe it in, type it when asked, or set TRAINYARD_KEY. `npm run team:create -- "my team"` prints a new team\'s key.');
      const client = new TrainyardClient({ url, apiKey, userAgent: 'trainyard-cli' });
      const me = await client.whoami();
      writeConfig({ url: client.url, apiKey }, file);
      ctx.ui.emit({ url: client.url, configFile: file, whoami: me });
      ctx.ui.out(`Logged in to ${ctx.ui.bold(client.url)} as ${ctx.ui.bold(me.user.name)} (${me.role}) in ${me.teamKind === 'COURSE' ? 'course' : 'team'} ${ctx.ui.bold(me.teamName)}.`);
      ctx.ui.out(ctx.ui.dim(`Saved to ${file} (readable by you only). TRAINYARD_URL and TRAINYARD_KEY override it.`));
    });

  program
    .command('whoami')
    .description('the user, team and role of the key in use')
    .action(async () => {
      const ctx = ctxOf();
      const me = await ctx.client.whoami();
      ctx.ui.emit({ url: ctx.client.url, ...me });
      ctx.ui.out(ctx.ui.keyValues([
        ['server', ctx.client.url],
        ['user', `${me.user.name} (${me.user.id})`],
        [me.teamKind === 'COURSE' ? 'course' : 'team', `${me.teamName} (${me.teamId})`],
        ['role', me.role],
        ['key from', ctx.connection.from.apiKey],
      ]));
    });
}
