import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@trainyard/config';
import { PlatformModule, preparePlatform, requireSharedServices } from '@trainyard/platform';
import { WorkerModule } from './worker.module';

/** A worker process: add more of these, on any machine, against the same Postgres, Redis and S3. */
async function main() {
  const config = loadConfig();
  requireSharedServices(config, 'worker');
  const platform = await preparePlatform(config);
  const app = await NestFactory.createApplicationContext(
    PlatformModule.forRoot(config, platform, [{ module: WorkerModule }]),
  );
  app.enableShutdownHooks();
}

main().catch((err) => {
  new Logger('Worker').error(err instanceof Error ? err.message : err);
  process.exit(1);
});
