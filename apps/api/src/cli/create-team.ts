import { NestFactory } from '@nestjs/core';
import { AuthModule, AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { PlatformModule, prepareForCommand } from '@trainyard/platform';

/**
 * npm run team:create -- <name>            a team; prints its owner's API key
 * npm run team:create -- --course <name>   a course; prints its instructor's API key
 * The key is shown only this once (only its digest is stored).
 */
async function main() {
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
    logger: ['error', 'warn'],
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
