import { ConsoleLogger, LogLevel } from '@nestjs/common';
import type { AppConfig } from '@trainyard/config';
import { currentLogContext } from './log-context';
import { redactSecrets, registerSecret, registerUrlSecret } from './redact';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Nest's ConsoleLogger (its `json` mode writes one JSON object per line) plus two things: the ids of
 * the job being run (see withLogContext) as keys of each line, and secrets scrubbed from every
 * message and stack (see redactSecrets).
 */
export class TrainyardLogger extends ConsoleLogger {
  constructor(options: { json: boolean; level: AppConfig['log']['level']; levels?: LogLevel[] }) {
    super({ json: options.json, logLevels: options.levels ?? LEVELS.slice(0, LEVELS.indexOf(options.level) + 1) });
  }

  protected override getJsonLogObject(message: unknown, options: { context: string; logLevel: LogLevel; writeStreamType?: 'stdout' | 'stderr'; errorStack?: unknown }) {
    const object = super.getJsonLogObject(typeof message === 'string' ? redactSecrets(message) : message, {
      ...options,
      errorStack: typeof options.errorStack === 'string' ? redactSecrets(options.errorStack) : options.errorStack,
    });
    return { ...object, ...currentLogContext() };
  }

  protected override stringifyJsonLogObject(logObject: Record<string, unknown>): string {
    // Objects logged as messages are stringified here: scrub the final text too.
    const text = super.stringifyJsonLogObject(logObject);
    return typeof text === 'string' ? redactSecrets(text) : text;
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): unknown {
    const text: unknown = super.stringifyMessage(message, logLevel);
    return typeof text === 'string' ? redactSecrets(text) : text;
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? redactSecrets(stack) : stack);
  }
}

/**
 * The logger of a Trainyard process: LOG_FORMAT (text | json), LOG_LEVEL, and this config's secrets
 * registered for scrubbing. Pass it to NestFactory and to Logger.overrideLogger.
 */
export function createLogger(config: AppConfig, levels?: LogLevel[]): TrainyardLogger {
  if (config.database.kind === 'postgres') registerUrlSecret(config.database.url);
  if (config.queue.kind === 'redis') registerUrlSecret(config.queue.url);
  if (config.storage.kind === 's3') registerSecret(config.storage.secretAccessKey);
  return new TrainyardLogger({ json: config.log.format === 'json', level: config.log.level, levels });
}
