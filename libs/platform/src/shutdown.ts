import type { Server } from 'node:http';
import { INestApplicationContext, Logger } from '@nestjs/common';
import type { AppConfig } from '@trainyard/config';
import { JOB_CONSUMER, JobConsumer } from '@trainyard/queue';
import { HealthService } from './health/health.service';
import type { PreparedPlatform } from './platform';

/**
 * Stops a Trainyard process the way an orchestrator expects (Kubernetes sends SIGTERM, waits
 * terminationGracePeriodSeconds, then SIGKILLs):
 * 1. readiness fails from now on (GET /readyz answers 503), so no new work is routed here;
 * 2. the HTTP server, if any, stops accepting connections and finishes the requests in flight;
 * 3. the job consumer stops taking jobs, asks running ones to stop at a resumable point (training
 *    checkpoints and hands its job back to the queue) and waits for them, within `graceMs`;
 * 4. Nest closes (database, Redis) and the embedded services stop.
 * Steps 2-3 come before Nest's own shutdown hooks on purpose: those disconnect the database first.
 */
export async function drainAndClose(app: INestApplicationContext, platform: PreparedPlatform, config: AppConfig): Promise<void> {
  const logger = new Logger('Shutdown');
  const graceMs = config.worker.shutdownGraceMs;
  app.get(HealthService, { strict: false }).startDraining();
  const http = (app as { getHttpServer?: () => Server }).getHttpServer?.();
  if (http?.listening) {
    await closeHttpServer(http, graceMs);
    logger.log('HTTP server closed; in-flight requests finished');
  }
  const consumer = app.get<JobConsumer>(JOB_CONSUMER, { strict: false });
  const started = Date.now();
  await withDeadline(consumer.close(), graceMs, `running jobs did not stop within ${graceMs} ms (WORKER_SHUTDOWN_GRACE_MS)`);
  logger.log(`job consumer closed in ${Date.now() - started} ms`);
  await app.close();
  await platform.stop();
}

/** Stops accepting connections, lets requests in flight finish (closing keep-alive connections as they go idle), forces the rest after graceMs. */
export function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve();
    });
  });
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * SIGTERM (and SIGINT) run drainAndClose once, then exit 0; a drain that fails or overruns its grace
 * exits 1 (a job then left running is picked up from its last checkpoint once its lock expires).
 */
export function exitOnSignals(app: INestApplicationContext, platform: PreparedPlatform, config: AppConfig): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining (grace ${config.worker.shutdownGraceMs} ms)`);
    drainAndClose(app, platform, config).then(
      () => {
        logger.log('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error(`shutdown: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
