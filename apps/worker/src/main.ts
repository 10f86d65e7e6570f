import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@trainyard/config';
import { createLogger, exitOnSignals, PlatformModule, preparePlatform, requireSharedServices } from '@trainyard/platform';
import { WorkerModule } from './worker.module';

/**
 * A worker process: add more of these, on any machine, against the same Postgres, Redis and S3.
 * SIGTERM: stops taking jobs, checkpoints running training and hands it back to the queue, exits 0.
 */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config);
  Logger.overrideLogger(logger);
  requireSharedServices(config, 'worker');
  const platform = await preparePlatform(config);
  const app = await NestFactory.createApplicationContext(
    PlatformModule.forRoot(config, platform, [{ module: WorkerModule }]),
    { logger },
  );
  exitOnSignals(app, platform, config);
}

main().catch((err) => {
  new Logger('Worker').error(err instanceof Error ? err.message : err);
  process.exit(1);
});
