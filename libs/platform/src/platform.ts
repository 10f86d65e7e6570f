import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import helmet from 'helmet';
import { badInput, InputLimitsPipe, LIMITS, rawJsonDepth, TrainyardErrorFilter } from '@trainyard/common';
import { AppConfig, ConfigModule, describeConfig } from '@trainyard/config';
import { DbModule, migrate, startEmbeddedPostgres, translatePrismaError } from '@trainyard/db';
import { QueueModule } from '@trainyard/queue';
import { StorageModule } from '@trainyard/storage';
import { HealthModule } from './health/health.module';
import { EventsModule } from '@trainyard/events';

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
        EventsModule.forRoot(config),
        HealthModule,
        ...features,
      ],
      providers: [
        { provide: APP_FILTER, useValue: new TrainyardErrorFilter(config.env === 'production', translatePrismaError) },
        { provide: APP_PIPE, useClass: InputLimitsPipe },
      ],
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
 * HTTP settings every Trainyard server shares, the edge limits first:
 * - helmet's security headers (its Content-Security-Policy only in production: the development
 *   GraphQL landing page loads scripts);
 * - CORS only for the origins in CORS_ORIGINS (none by default: API keys are for servers and CLIs);
 * - GraphQL bodies up to GRAPHQL_MAX_BYTES, JSON bodies (predict batches) up to HTTP_JSON_LIMIT_BYTES,
 *   raw image bodies for :classify up to HTTP_IMAGE_LIMIT_BYTES; over a limit answers 413;
 * - JSON nested deeper than LIMITS.maxJsonDepth is refused (400) before it is parsed, so no handler
 *   ever walks it. Dataset uploads (application/octet-stream) are left unparsed and streamed.
 */
export function configureHttp(app: NestExpressApplication, config: Pick<AppConfig, 'env' | 'http'>): NestExpressApplication {
  const { http } = config;
  app.use(helmet({ contentSecurityPolicy: config.env === 'production' ? undefined : false }));
  if (http.corsOrigins.length > 0) {
    app.enableCors({
      origin: http.corsOrigins.includes('*') ? true : http.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    });
  }
  const verify = (_req: unknown, _res: unknown, buf: Buffer) => {
    if (rawJsonDepth(buf, LIMITS.maxJsonDepth) > LIMITS.maxJsonDepth) {
      throw badInput(`request body nests deeper than ${LIMITS.maxJsonDepth} levels`, { maxDepth: LIMITS.maxJsonDepth });
    }
  };
  // The predict routes (TF Serving /v1/models, KServe /v2) read their own bodies: their own size
  // limit, a nesting check before JSON is parsed, images and multipart.
  const notPredict = (types: string[]) => (req: { url?: string; headers: Record<string, unknown> }) =>
    !/^\/(v1\/models|v2)(\/|$|\?)/.test(req.url ?? '') && types.some((t) => typeIs(req, t));
  // Mounted first: a GraphQL body parsed here is skipped by the general parser below.
  app.use('/graphql', json({ limit: http.graphqlLimitBytes, verify }));
  app.useBodyParser('json', { limit: http.jsonLimitBytes, verify, type: notPredict(['application/json', '+json']) });
  app.useBodyParser('raw', { type: notPredict(['image/*']), limit: http.imageLimitBytes });
  // No ETags: no route serves cacheable GETs, and hashing every predict answer cost ~1% of serve's CPU.
  app.set('etag', false);
  // No enableShutdownHooks(): Nest's would disconnect the database before in-flight requests end
  // and re-raise the signal (exit 143); exitOnSignals (shutdown.ts) drains in order and exits 0.
  return app;
}

function typeIs(req: { headers: Record<string, unknown> }, type: string): boolean {
  const raw = req.headers['content-type'];
  if (typeof raw !== 'string') return false;
  const ct = raw.split(';')[0].trim().toLowerCase();
  if (type.startsWith('+')) return ct.endsWith(type);
  if (type.endsWith('/*')) return ct.startsWith(type.slice(0, -1));
  return ct === type;
}
