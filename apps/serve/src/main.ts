import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@trainyard/config';
import { configureHttp, createLogger, exitOnSignals, PlatformModule, preparePlatform, requireSharedServices } from '@trainyard/platform';
import { FastPredictPath } from './protocols/fast-predict';
import { ServeModule } from './serve.module';

/** The predict server alone: POST /v1/models/{name}:predict. */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config);
  Logger.overrideLogger(logger);
  requireSharedServices(config, 'serve');
  const platform = await preparePlatform(config);
  const app = await NestFactory.create<NestExpressApplication>(
    PlatformModule.forRoot(config, platform, [{ module: ServeModule }]),
    { bodyParser: false, logger },
  );
  configureHttp(app, config);
  FastPredictPath.install(app); // the predict routes on node:http, before Express (SERVE_FAST_PATH)
  await app.listen(config.port, config.host);
  exitOnSignals(app, platform, config);
  new Logger('Serve').log(`predictions at http://localhost:${config.port}/v1/models/{name}:predict`);
}

main().catch((err) => {
  new Logger('Serve').error(err instanceof Error ? err.message : err);
  process.exit(1);
});
