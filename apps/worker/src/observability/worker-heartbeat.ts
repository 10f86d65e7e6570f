import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { HEARTBEAT_STALE_MS, WorkerHeartbeats } from '@trainyard/platform';

/** How often a worker reports itself: a third of the time after which it is taken for gone (10 s). */
const HEARTBEAT_EVERY_MS = HEARTBEAT_STALE_MS / 3;

/**
 * A worker that takes training jobs reports its training slots (WORKER_CONCURRENCY) to Postgres every
 * 10 s and removes itself on shutdown: courses with autoDispatchSlots admit up to the live total.
 * A missed beat (Postgres briefly away) is only logged: the next one catches up.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WorkerHeartbeat');
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly beats: WorkerHeartbeats;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    prisma: PrismaService,
  ) {
    this.beats = new WorkerHeartbeats(prisma);
  }

  async onApplicationBootstrap() {
    if (!this.config.worker.lanes.includes('training')) return;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_EVERY_MS);
    this.timer.unref();
  }

  // Before the database module disconnects (a shutting-down worker takes no new runs anyway).
  async onModuleDestroy() {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beats.forget(this.id).catch(() => undefined);
  }

  private async beat() {
    await this.beats.beat(this.id, this.config.worker.concurrency).catch((e: Error) => this.logger.warn(`heartbeat not recorded (the next one retries): ${e.message}`));
  }
}
