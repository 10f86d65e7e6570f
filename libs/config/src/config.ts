import * as path from 'node:path';
import { z } from 'zod';

/**
 * Trainyard's whole configuration, read once from the environment at boot and validated.
 * Each external service is optional: leave its variable unset and the embedded default runs
 * (PGlite Postgres, a local artifact folder, an in-process queue).
 */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  /** HTTP port of the process (api; serve when run alone). */
  port: number;
  host: string;
  /** Folder for embedded Postgres data and local artifacts. */
  dataDir: string;
  database: { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };
  /** A job that throws is delivered again up to 5 times, after retryDelayMs, then 2x, 4x, 8x that. */
  queue: ({ kind: 'redis'; url: string; prefix: string } | { kind: 'in-process' }) & { retryDelayMs: number };
  storage:
    | {
        kind: 's3';
        bucket: string;
        region: string;
        endpoint?: string;
        forcePathStyle: boolean;
        accessKeyId?: string;
        secretAccessKey?: string;
        createBucket: boolean;
        /** Tries per S3 request (the SDK's standard retry mode: exponential backoff with jitter on 5xx, SlowDown, timeouts). */
        maxAttempts: number;
        /** A request with no response bytes for this long is abandoned and retried. */
        requestTimeoutMs: number;
      }
    | { kind: 'local'; root: string };
  worker: {
    /** tfjs backend: auto picks tfjs-node-gpu, then tfjs-node, then wasm. */
    backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
    /** Training jobs one worker process runs at once. */
    concurrency: number;
    /** Other jobs (ingest, evaluate, export...) one worker process runs at once, beside training. */
    jobConcurrency: number;
    /** BullMQ lock duration; a worker that does not renew it in time loses the job. */
    lockDurationMs: number;
    stalledIntervalMs: number;
    /** How often a running job checks for cancellation and fencing, in ms. */
    pollIntervalMs: number;
    /** Port of the worker's own health and metrics server (/healthz, /readyz, /metrics); none when unset. */
    healthPort?: number;
    /** On SIGTERM: how long running jobs get to checkpoint and hand their job back before the process exits. */
    shutdownGraceMs: number;
    /** Lanes (queues) this worker takes jobs from; by default all. */
    lanes: Array<'training' | 'jobs'>;
    /** Exit (cleanly, as on SIGTERM) after this long without a job: for workers run as Kubernetes Jobs (KEDA ScaledJob). */
    idleExitMs?: number;
  };
  log: {
    /** 'json': one JSON object per line (for log collectors); 'text': Nest's readable lines. */
    format: 'text' | 'json';
    /** Lowest level written. */
    level: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  };
  /** Keeping Postgres (the truth) and the queue in step. */
  reconcile: {
    /** How often a worker re-enqueues unfinished experiments the queue lost; 0 turns it off. */
    intervalMs: number;
    /** How long the API waits for the queue on submit before answering (the reconciler enqueues later). */
    enqueueTimeoutMs: number;
  };
  /** Course submissions' scoring (the scoreSubmission job). */
  scoring: {
    /**
     * A submission becomes SCORED (or FAILED) only at a whole multiple of this after its createdAt,
     * and scoredAt is that boundary, so how long scoring took (which could depend on the hidden
     * labels) is not visible to the student; 0 turns the padding off.
     */
    timeQuantumMs: number;
  };
  /** Edge limits and browser policy of the HTTP servers (api, serve). */
  http: {
    /** JSON bodies (predict instances): bytes. */
    jsonLimitBytes: number;
    /** Image bodies for :classify: bytes. */
    imageLimitBytes: number;
    /** GraphQL request bodies (document and variables): bytes. */
    graphqlLimitBytes: number;
    /** Origins browsers may call from (CORS); empty: no cross-origin access. '*' allows any. */
    corsOrigins: string[];
    /** Failed authentications one address may make per minute before it gets 429s. */
    authFailuresPerMinute: number;
    /** The built web console the api serves at /console (default: dist/console of this checkout). */
    consoleDir?: string;
  };
  /** Roles this process plays when launched by the all-in-one entry point. */
  roles: Array<'api' | 'worker' | 'serve'>;
  /** Hosted predictions (apps/serve). */
  serve: ServeConfig;
  datasets: {
    /** Largest dataset file one upload may carry (bytes). */
    uploadMaxBytes: number;
    /** Where the worker keeps a version's shards while training reads them. */
    cacheDir: string;
    /** Bytes the shard cache may hold; past it, least recently used versions not in use are removed. */
    cacheMaxBytes: number;
  };
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export interface ServeConfig {
  /** Largest request body (JSON, image or multipart), bytes. */
  maxBodyBytes: number;
  /** Largest image (width x height) decoded; checked from the header before decoding. */
  maxPixels: number;
  /** Most instances (samples) in one call. */
  maxInstances: number;
  /** A call that has not answered by then gets 504. */
  requestTimeoutMs: number;
  /** How long a resolved deployment or API key is reused before it is read again (revocation and a new default take effect within this). */
  cacheTtlMs: number;
  /** Loaded models are evicted (least recently used first) beyond this estimate of their memory. */
  modelMemoryBytes: number;
  /** A model not called for this long is unloaded. */
  modelIdleMs: number;
  /** At start, the default versions of this many most recently changed models are loaded before /readyz says ready (0: none). */
  warmModels: number;
  /** Samples waiting per version; beyond it calls are refused at once with 503. */
  maxQueue: number;
  /** Calls per second per API key (0: no limit), with this burst. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** The predict routes answered on node:http before Express/Nest (same behaviour, less overhead); false: through Nest. */
  fastPath: boolean;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  TRAINYARD_DATA_DIR: z.string().default('.trainyard'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('trainyard'),
  JOB_RETRY_DELAY_MS: z.coerce.number().int().min(10).max(600_000).default(2_000),
  SCORING_TIME_QUANTUM_MS: z.coerce
    .number({ invalid_type_error: 'a whole number of milliseconds (0 turns the padding off)' })
    .int('a whole number of milliseconds (0 turns the padding off)')
    .min(0, 'a whole number of milliseconds, 0 or more (0 turns the padding off)')
    .max(600_000, 'at most 600000 (10 minutes): a scoring job waits up to this long before it reports')
    .default(2_000),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ENDPOINT: z.string().url().optional(),
  S3_FORCE_PATH_STYLE: bool.optional(),
  S3_CREATE_BUCKET: bool.default('false'),
  S3_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  S3_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  TRAINYARD_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  WORKER_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(500).default(30_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(15_000),
  WORKER_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  SERVE_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  SERVE_MAX_PIXELS: z.coerce.number().int().min(1).default(16 * 1024 * 1024),
  SERVE_MAX_INSTANCES: z.coerce.number().int().min(1).default(1024),
  SERVE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  SERVE_CACHE_TTL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  SERVE_MODEL_MEMORY_MB: z.coerce.number().positive().default(512),
  SERVE_MODEL_IDLE_MS: z.coerce.number().int().min(1000).default(15 * 60_000),
  SERVE_WARM_MODELS: z.coerce.number().int().min(0).max(10_000).default(16),
  SERVE_MAX_QUEUE: z.coerce.number().int().min(1).default(2048),
  SERVE_RATE_LIMIT_RPS: z.coerce.number().min(0).default(0),
  SERVE_RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
  SERVE_FAST_PATH: z.enum(['true', 'false']).default('true'),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
  ENQUEUE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  HTTP_JSON_LIMIT_BYTES: z.coerce.number().int().min(1024).default(20 * 1024 * 1024),
  HTTP_IMAGE_LIMIT_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  GRAPHQL_MAX_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  CORS_ORIGINS: z
    .string()
    .regex(/^(\*|https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*)?$/, "'*' or a comma-separated list of origins like https://app.example.com")
    .default(''),
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  CONSOLE_DIR: z.string().min(1).optional(),
  DATASET_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(2 * 2 ** 30),
  DATASET_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(20 * 2 ** 30),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(25_000),
  // The lane names of libs/common's JOB_LANES (config imports nothing internal).
  WORKER_LANES: z
    .string()
    .regex(/^(training|jobs)(,(training|jobs))*$/, 'a comma-separated list of training, jobs')
    .optional(),
  WORKER_IDLE_EXIT_MS: z.coerce.number().int().min(1_000).optional(),
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  TRAINYARD_ROLES: z
    .string()
    .regex(/^(api|worker|serve)(,(api|worker|serve))*$/, 'a comma-separated list of api, worker, serve')
    .optional(),
});

/**
 * Every environment variable Trainyard reads, from the schema itself: deployment files (compose,
 * Kubernetes) are checked against this list, so a variable they set is one the processes read.
 */
export const CONFIG_ENV_VARS: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** Variables whose values are secrets (or URLs that may carry a password): never logged. */
export const SECRET_ENV_VARS: readonly string[] = Object.freeze(['DATABASE_URL', 'REDIS_URL', 'AWS_SECRET_ACCESS_KEY']);

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.TRAINYARD_DATA_DIR);
  const queue: AppConfig['queue'] = e.REDIS_URL
    ? { kind: 'redis', url: e.REDIS_URL, prefix: e.QUEUE_PREFIX, retryDelayMs: e.JOB_RETRY_DELAY_MS }
    : { kind: 'in-process', retryDelayMs: e.JOB_RETRY_DELAY_MS };
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'embedded', dataDir: path.join(dataDir, 'pgdata') },
    queue,
    storage: e.S3_BUCKET
      ? {
          kind: 's3',
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          endpoint: e.S3_ENDPOINT,
          forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
          accessKeyId: e.AWS_ACCESS_KEY_ID,
          secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
          createBucket: e.S3_CREATE_BUCKET,
          maxAttempts: e.S3_MAX_ATTEMPTS,
          requestTimeoutMs: e.S3_REQUEST_TIMEOUT_MS,
        }
      : { kind: 'local', root: path.join(dataDir, 'artifacts') },
    worker: {
      backend: e.TRAINYARD_BACKEND,
      concurrency: e.WORKER_CONCURRENCY,
      jobConcurrency: e.WORKER_JOB_CONCURRENCY,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      pollIntervalMs: e.WORKER_POLL_INTERVAL_MS,
      healthPort: e.WORKER_HEALTH_PORT,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_MS,
      lanes: (e.WORKER_LANES ? [...new Set(e.WORKER_LANES.split(','))] : ['training', 'jobs']) as AppConfig['worker']['lanes'],
      idleExitMs: e.WORKER_IDLE_EXIT_MS,
    },
    serve: {
      maxBodyBytes: e.SERVE_MAX_BODY_BYTES,
      maxPixels: e.SERVE_MAX_PIXELS,
      maxInstances: e.SERVE_MAX_INSTANCES,
      requestTimeoutMs: e.SERVE_REQUEST_TIMEOUT_MS,
      cacheTtlMs: e.SERVE_CACHE_TTL_MS,
      modelMemoryBytes: Math.round(e.SERVE_MODEL_MEMORY_MB * 1024 * 1024),
      modelIdleMs: e.SERVE_MODEL_IDLE_MS,
      warmModels: e.SERVE_WARM_MODELS,
      maxQueue: e.SERVE_MAX_QUEUE,
      rateLimitPerSecond: e.SERVE_RATE_LIMIT_RPS,
      rateLimitBurst: e.SERVE_RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(e.SERVE_RATE_LIMIT_RPS)),
      fastPath: e.SERVE_FAST_PATH === 'true',
    },
    reconcile: { intervalMs: e.RECONCILE_INTERVAL_MS, enqueueTimeoutMs: e.ENQUEUE_TIMEOUT_MS },
    scoring: { timeQuantumMs: e.SCORING_TIME_QUANTUM_MS },
    http: {
      jsonLimitBytes: e.HTTP_JSON_LIMIT_BYTES,
      imageLimitBytes: e.HTTP_IMAGE_LIMIT_BYTES,
      graphqlLimitBytes: e.GRAPHQL_MAX_BYTES,
      corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',') : [],
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      consoleDir: e.CONSOLE_DIR ? path.resolve(e.CONSOLE_DIR) : undefined,
    },
    log: { format: e.LOG_FORMAT, level: e.LOG_LEVEL },
    roles: (e.TRAINYARD_ROLES?.split(',') as AppConfig['roles'] | undefined) ?? ['api', 'worker', 'serve'],
    datasets: { uploadMaxBytes: e.DATASET_UPLOAD_MAX_BYTES, cacheDir: path.join(dataDir, 'dataset-cache'), cacheMaxBytes: e.DATASET_CACHE_MAX_BYTES },
  };
}

/** A one-line description of where each part runs, for the boot log. Never includes secrets. */
export function describeConfig(c: AppConfig): string {
  const db = c.database.kind === 'postgres' ? `postgres ${redactUrl(c.database.url)}` : `embedded postgres (${c.database.dataDir})`;
  const q = c.queue.kind === 'redis' ? `bullmq on ${redactUrl(c.queue.url)}` : 'in-process queue';
  const s = c.storage.kind === 's3' ? `s3://${c.storage.bucket}${c.storage.endpoint ? ` at ${c.storage.endpoint}` : ''}` : `local folder ${c.storage.root}`;
  return `database: ${db}; queue: ${q}; artifacts: ${s}`;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}
