import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { JobName } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { JobHandler, JobHandlers } from '@trainyard/queue';

/**
 * WORKER_IDLE_EXIT_MS: a worker that has run no job for that long stops itself the way SIGTERM
 * stops it (clean drain, exit 0). For workers started per job by KEDA's ScaledJob: the pod takes
 * the job that made KEDA start it, runs it, and its Kubernetes Job completes once the queue is dry.
 */
@Injectable()
export class IdleExit implements OnApplicationShutdown {
  private readonly logger = new Logger('IdleExit');
  private active = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Counts running jobs; arms the idle timer whenever none runs. */
  wrap(handlers: JobHandlers): JobHandlers {
    if (this.config.worker.idleExitMs === undefined) return handlers;
    const out: Partial<Record<JobName, JobHandler<JobName>>> = {};
    for (const name of Object.keys(handlers) as JobName[]) {
      const handler = handlers[name] as JobHandler<JobName>;
      out[name] = async (payload, ctx) => {
        this.active++;
        clearTimeout(this.timer);
        try {
          return await handler(payload, ctx);
        } finally {
          this.active--;
          this.arm();
        }
      };
    }
    this.arm();
    return out as JobHandlers;
  }

  private arm() {
    const ms = this.config.worker.idleExitMs;
    if (ms === undefined || this.active > 0 || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.logger.log(`no job for ${ms} ms (WORKER_IDLE_EXIT_MS): stopping`);
      this.stopped = true;
      process.kill(process.pid, 'SIGTERM');
    }, ms);
  }

  onApplicationShutdown() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
