import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@trainyard/config';
import { configureHttp, createLogger, exitOnSignals, PlatformModule, preparePlatform, requireSharedServices } from '@trainyard/platform';
import { ApiModule } from './api.module';

/** The API alone (GraphQL and file routes); scale it behind a load balancer. */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config);
  Logger.overrideLogger(logger);
  requireSharedServices(config, 'api');
  const platform = await preparePlatform(config);
  const app = await NestFactory.create<NestExpressApplication>(
    PlatformModule.forRoot(config, platform, [ApiModule.forRoot(config)]),
    { bodyParser: false, logger },
  );
  await configureHttp(app).listen(config.port, config.host);
  exitOnSignals(app, platform, config);
  new Logger('Api').log(`GraphQL at http://localhost:${config.port}/graphql`);
}

main().catch((err) => {
  new Logger('Api').error(err instanceof Error ? err.message : err);
  process.exit(1);
});
