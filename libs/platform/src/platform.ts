import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TrainyardErrorFilter } from '@trainyard/common';
import { AppConfig, ConfigModule, describeConfig } from '@trainyard/config';
import { DbModule, migrate, startEmbeddedPostgres, translatePrismaError } from '@trainyard/db';
import { QueueModule } from '@trainyard/queue';
import { StorageModule } from '@trainyard/storage';
import { HealthModule } from './health/health.module';

export interface PreparedPlatform {
  databaseUrl: string;
  /** Stops what preparePlatform started (the embedded Postgres). */
  stop(): Promise<void>;
}

/**
 * Everything a process needs before Nest starts: the database (the real one from DATABASE_URL,
 * or an embedded Postgres in the data folder) with its migrations applied.
 */
export async function preparePlatform(config: AppConfig): Promise<PreparedPlatform> {
  const logger = new Logger('Platform');
  logger.log(describeConfig(config));
  if (config.database.kind === 'postgres') {
    await migrate(config.database.url);
    return { databaseUrl: config.database.url, stop: async () => undefined };
  }
  const { dataDir } = config.database;
  const embedded = await startEmbeddedPostgres({ dataDir });
  await migrate(embedded.url);
  // Lets one-off commands (npm run team:create) reach this process's embedded database.
  const marker = path.join(dataDir, '..', MARKER);
  await fs.writeFile(marker, JSON.stringify({ url: embedded.url, pid: process.pid }));
  return {
    databaseUrl: embedded.url,
    stop: async () => {
      await fs.rm(marker, { force: true });
      await embedded.stop();
    },
  };
}

const MARKER = 'embedded-postgres.json';

/**
 * For one-off commands: the database of a running `npm start` when there is one (an embedded
 * Postgres has a single owner process), else the same preparation a server does.
 */
export async function prepareForCommand(config: AppConfig): Promise<PreparedPlatform> {
  if (config.database.kind === 'embedded') {
    try {
      const running = JSON.parse(await fs.readFile(path.join(config.database.dataDir, '..', MARKER), 'utf8')) as { url: string; pid: number };
      process.kill(running.pid, 0); // throws when that process is gone
      return { databaseUrl: running.url, stop: async () => undefined };
    } catch {
      // no running server: own the embedded database for the length of the command
    }
  }
  return preparePlatform(config);
}

/** The shared root of every Trainyard process: config, database, artifact store, queue, health and metrics, error mapping. */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, platform: PreparedPlatform, features: DynamicModule[]): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule.forRoot({ databaseUrl: platform.databaseUrl }),
        StorageModule.forRoot(config.storage),
        QueueModule.forRoot(config),
        HealthModule,
        ...features,
      ],
      providers: [{ provide: APP_FILTER, useValue: new TrainyardErrorFilter(config.env === 'production', translatePrismaError) }],
    };
  }
}

/** Processes other than the all-in-one launcher share state only through real services. */
export function requireSharedServices(config: AppConfig, role: string): void {
  const missing = [
    config.database.kind !== 'postgres' && 'DATABASE_URL',
    config.queue.kind !== 'redis' && 'REDIS_URL',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `the ${role} process alone needs ${missing.join(', ')} (it shares state with the others only through ` +
        `Postgres, Redis and S3); for everything on one machine run \`npm start\` instead`,
    );
  }
  if (config.storage.kind === 'local') {
    new Logger('Platform').warn(`artifacts in the local folder ${config.storage.root} are seen only by processes on this machine; set S3_BUCKET to share them`);
  }
}

/**
 * HTTP settings every Trainyard server shares: JSON bodies up to 20 MB (predict batches), raw image
 * bodies for :classify. Dataset uploads (application/octet-stream) are left unparsed and streamed.
 */
export function configureHttp(app: NestExpressApplication): NestExpressApplication {
  app.useBodyParser('json', { limit: '20mb' });
  app.useBodyParser('raw', { type: ['image/*'], limit: '10mb' });
  // No enableShutdownHooks(): Nest's would disconnect the database before in-flight requests end
  // and re-raise the signal (exit 143); exitOnSignals (shutdown.ts) drains in order and exits 0.
  return app;
}
