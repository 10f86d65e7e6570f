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
 * npm run --silent team:create -- <name>            a team; prints its owner's API key
 * npm run --silent team:create -- --course <name>   a course; prints its instructor's API key
 * The key (the team's owner key) is printed on stdout, alone, so
 * `KEY=$(npm run --silent team:create -- "my team")` captures exactly the key. Logs go to stderr.
 * The key is shown only this once (only its digest is stored).
 */
async function main() {
  Logger.overrideLogger(new StderrLogger());
  const args = process.argv.slice(2);
  const course = args.includes('--course');
  const name = args.filter((a) => a !== '--name' && a !== '--course').join(' ').trim();
  if (!name) {
    console.error('usage: npm run team:create -- [--course] <name>');
    process.exit(2);
  }
  const config = { ...loadConfig(), roles: [] };
  process.stderr.write('connecting to the database...\n');
  const platform = await prepareForCommand(config);
  const app = await NestFactory.createApplicationContext(PlatformModule.forRoot(config, platform, [{ module: AuthModule }]), {
    logger: new StderrLogger({ logLevels: ['error', 'warn'] }),
  });
  try {
    const { team, apiKey } = await app.get(AuthService).createTeam(name, { kind: course ? 'COURSE' : 'TEAM' });
    const what = course ? 'course' : 'team';
    process.stderr.write(`created ${what} "${team.name}" (${team.id}). Its ${course ? 'instructor' : 'owner'}'s API key, shown only this once:\n`);
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
