import { DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '@trainyard/config';
import { configureHttp, createLogger, drainAndClose, exitOnSignals, PlatformModule, preparePlatform } from '@trainyard/platform';
import { ApiModule } from '../../api/src/api.module';
import { FastPredictPath } from '../../serve/src/protocols/fast-predict';
import { ServeModule } from '../../serve/src/serve.module';
import { WorkerModule } from '../../worker/src/worker.module';

export interface RunningTrainyard {
  app: NestExpressApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * api, worker and serve in one process: what `npm start` runs. With no settings every part is
 * embedded (PGlite Postgres, a local artifact folder, the in-process queue); each env var switches
 * one part to the real service. Tests boot it the same way.
 */
export async function startTrainyard(config: AppConfig, opts: { exitOnSignals?: boolean } = {}): Promise<RunningTrainyard> {
  const platform = await preparePlatform(config);
  const features: DynamicModule[] = [];
  if (config.roles.includes('api')) features.push(ApiModule.forRoot(config));
  if (config.roles.includes('serve')) features.push({ module: ServeModule });
  if (config.roles.includes('worker')) features.push({ module: WorkerModule });
  const app = await NestFactory.create<NestExpressApplication>(PlatformModule.forRoot(config, platform, features), {
    bodyParser: false,
    logger: createLogger(config, config.env === 'test' ? ['error', 'warn'] : undefined),
  });
  configureHttp(app, config);
  if (config.roles.includes('serve')) FastPredictPath.install(app);
  await app.listen(config.port, config.host);
  if (opts.exitOnSignals) exitOnSignals(app, platform, config);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  new Logger('Trainyard').log(`running ${config.roles.join(', ')} at ${url} (GraphQL at ${url}/graphql)`);
  return {
    app,
    url,
    // The same order as on SIGTERM: HTTP, then running jobs (which still write), then the database.
    close: () => drainAndClose(app, platform, config),
  };
}
