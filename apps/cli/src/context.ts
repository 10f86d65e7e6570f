import { TrainyardClient, TrainyardError } from '@trainyard/sdk';
import { Connection, resolveConnection } from './config';
import { UsageError } from './errors';
import { EXIT, exitCodeOf } from './exit-codes';
import { Ui } from './ui';

export interface GlobalFlags {
  json?: boolean;
  color?: boolean;
  url?: string;
  key?: string;
}

/** What every command gets: the output, and the client once it is needed (so `login` runs without one). */
export class Context {
  readonly ui: Ui;
  private conn?: Connection;
  private sdk?: TrainyardClient;

  constructor(
    readonly flags: GlobalFlags,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.ui = new Ui(!!flags.json, { color: flags.color, env });
  }

  get connection(): Connection {
    return (this.conn ??= resolveConnection({ url: this.flags.url, key: this.flags.key }, this.env));
  }

  /** Closes what the client holds open (the subscription WebSocket), so the process can exit. */
  async close(): Promise<void> {
    await this.sdk?.close().catch(() => undefined);
  }

  get client(): TrainyardClient {
    return (this.sdk ??= new TrainyardClient({ url: this.connection.url, apiKey: this.connection.apiKey, userAgent: 'trainyard-cli' }));
  }
}

/** What to do next, per error code. */
export function hintFor(e: TrainyardError, ctx?: Context): string | undefined {
  const from = ctx && safe(() => ctx.connection.from);
  switch (e.code) {
    case 'NETWORK':
      if (/^subscription /.test(e.message)) return 'The server (or a proxy before it) refused the WebSocket: watch with `--transport polling`.';
      return `Is the server running at ${safe(() => ctx?.connection.url) ?? 'that URL'}? Start it with \`npm start\`, or point the CLI elsewhere with \`trainyard login --url\` or TRAINYARD_URL.`;
    case 'UNAUTHENTICATED':
      return `The server refused the key${from ? ` from ${from.apiKey}` : ''}. Log in again with \`trainyard login\`, or set TRAINYARD_KEY (\`npm run team:create\` prints a new team's key).`;
    case 'FORBIDDEN':
      return "This key's role or scope may not do this: ask an owner or admin of the team, or use an admin key.";
    case 'NOT_FOUND':
      return 'Check the id or name (`trainyard datasets list`, `trainyard experiments list`, `trainyard deployments list`); things of other teams are not found either.';
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'INVALID_DATASET_FILE':
      return 'Fix what the message names and run the command again.';
    case 'CONFLICT':
      return 'The thing is not in a state that allows this now; look at it (`show`/`list`) and try again when it is.';
    case 'QUOTA_EXCEEDED':
      return 'A course quota is used up; see `remainingToday` in your assignment, or wait for the reset.';
    case 'RATE_LIMITED':
      return `Too many calls: wait ${e.retryAfterSeconds ?? 'a few'} s and try again.`;
    case 'UNAVAILABLE':
    case 'TIMEOUT':
      return 'The server is busy or one of its services is down: try again in a moment; `GET /readyz` says which check fails.';
    case 'PAYLOAD_TOO_LARGE':
      return 'The file or body is over the server limit (DATASET_UPLOAD_MAX_BYTES, SERVE_MAX_BODY_BYTES...).';
    default:
      return undefined;
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Prints an error the way the mode wants it and returns the exit code. */
export function reportError(e: unknown, ui: Ui, ctx?: Context): number {
  let code: string;
  let message: string;
  let hint: string | undefined;
  let exit: number;
  let status: number | undefined;
  if (e instanceof TrainyardError) {
    code = e.code;
    message = e.message;
    hint = hintFor(e, ctx);
    exit = exitCodeOf(e.code);
    status = e.status;
  } else if (e instanceof UsageError) {
    code = 'USAGE';
    message = e.message;
    hint = e.hint;
    exit = e.exitCode;
  } else {
    code = 'ERROR';
    message = e instanceof Error ? e.message : String(e);
    exit = EXIT.ERROR;
    if (process.env.TRAINYARD_DEBUG && e instanceof Error) ui.note(e.stack ?? '');
  }
  if (ui.json) {
    ui.stdout.write(JSON.stringify({ error: { code, message, ...(status ? { status } : {}), ...(hint ? { hint } : {}), exitCode: exit } }, null, 2) + '\n');
  } else {
    ui.stderr.write(`${ui.red('error')} ${ui.dim(`[${code}]`)} ${message}\n`);
    if (hint) ui.stderr.write(`${ui.dim('hint')}  ${hint}\n`);
  }
  return exit;
}
