import { ConsoleLogger, LogLevel, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule, AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { PlatformModule, prepareForCommand } from '@trainyard/platform';

/** Every log line of this command goes to stderr: stdout carries the key and nothing else. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, _stream?: 'stdout' | 'stderr', errorStack?: unknown): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

/**
 * npm run --silent team:create -- <name>
 * Creates a team and prints its first API key (the team's owner key) on stdout, alone, so
 * `KEY=$(npm run --silent team:create -- "my team")` captures exactly the key. Logs go to stderr.
 */
async function main() {
  Logger.overrideLogger(new StderrLogger());
  const name = process.argv.slice(2).filter((a) => a !== '--name').join(' ').trim();
  if (!name) {
    console.error('usage: npm run team:create -- <team name>');
    process.exit(2);
  }
  const config = { ...loadConfig(), roles: [] };
  process.stderr.write('connecting to the database...\n');
  const platform = await prepareForCommand(config);
  const app = await NestFactory.createApplicationContext(PlatformModule.forRoot(config, platform, [{ module: AuthModule }]), {
    logger: new StderrLogger({ logLevels: ['error', 'warn'] }),
  });
  try {
    const { team, apiKey } = await app.get(AuthService).createTeam(name);
    process.stderr.write(`created team "${team.name}" (${team.id}). Its API key, shown only this once:\n`);
    process.stdout.write(`${apiKey}\n`);
  } finally {
    await app.close();
    await platform.stop();
  }
}

main().catch((err) => {
  console.error(`team:create failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
