import { NestFactory } from '@nestjs/core';
import { AuthModule, AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { PlatformModule, prepareForCommand } from '@trainyard/platform';

/**
 * npm run team:create -- <name>
 * Creates a team and prints its first API key: the only time the key is shown.
 */
async function main() {
  const name = process.argv.slice(2).filter((a) => a !== '--name').join(' ').trim();
  if (!name) {
    console.error('usage: npm run team:create -- <team name>');
    process.exit(2);
  }
  const config = { ...loadConfig(), roles: [] };
  process.stderr.write('connecting to the database...\n');
  const platform = await prepareForCommand(config);
  const app = await NestFactory.createApplicationContext(PlatformModule.forRoot(config, platform, [{ module: AuthModule }]), {
    logger: ['error', 'warn'],
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
