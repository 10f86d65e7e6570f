import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { UsageError } from './errors';

/** Where `login` keeps the server URL and key: $TRAINYARD_CONFIG, else $XDG_CONFIG_HOME/trainyard/config.json (~/.config). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRAINYARD_CONFIG) return path.resolve(env.TRAINYARD_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  return path.join(base, 'trainyard', 'config.json');
}

export interface StoredConfig {
  url?: string;
  apiKey?: string;
}

export function readConfig(file = configPath()): StoredConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`, 'Check its permissions, or log in again with `trainyard login`.');
  }
  try {
    const c = JSON.parse(text) as StoredConfig;
    return { url: typeof c.url === 'string' ? c.url : undefined, apiKey: typeof c.apiKey === 'string' ? c.apiKey : undefined };
  } catch {
    throw new UsageError(`${file} is not valid JSON`, 'Delete it and run `trainyard login` again.');
  }
}

/** Writes the file readable by its owner only (0600; its folder 0700), also when it existed with looser modes. */
export function writeConfig(c: StoredConfig, file = configPath()): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export interface Connection {
  url: string;
  apiKey: string;
  /** Where each came from, for messages. */
  from: { url: string; apiKey: string };
}

/** Flags first, then TRAINYARD_URL / TRAINYARD_KEY, then the login file. */
export function resolveConnection(flags: { url?: string; key?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const file = configPath(env);
  const stored = readConfig(file);
  const url = flags.url ?? env.TRAINYARD_URL ?? stored.url;
  const apiKey = flags.key ?? env.TRAINYARD_KEY ?? stored.apiKey;
  if (!url || !apiKey) {
    throw new UsageError(
      `not logged in: no server ${!url ? 'URL' : 'key'} (looked at --${!url ? 'url' : 'key'}, ${!url ? 'TRAINYARD_URL' : 'TRAINYARD_KEY'} and ${file})`,
      'Run `trainyard login --url http://localhost:3000` (it asks for the key), or set TRAINYARD_URL and TRAINYARD_KEY.',
    );
  }
  return {
    url,
    apiKey,
    from: {
      url: flags.url ? '--url' : env.TRAINYARD_URL ? 'TRAINYARD_URL' : file,
      apiKey: flags.key ? '--key' : env.TRAINYARD_KEY ? 'TRAINYARD_KEY' : file,
    },
  };
}
