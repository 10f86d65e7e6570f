import type { Server } from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { HealthService, MetricsRegistry, startProbeServer } from '@trainyard/platform';

/** The worker's own small HTTP port (WORKER_HEALTH_PORT): /healthz, /readyz, /metrics. Off when unset. */
@Injectable()
export class WorkerProbe implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerProbe');
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthService,
    private readonly metrics: MetricsRegistry,
  ) {}

  async onApplicationBootstrap() {
    if (this.config.worker.healthPort === undefined) return;
    const { server, port } = await startProbeServer(this.health, this.metrics, this.config.worker.healthPort, this.config.host);
    this.server = server;
    this.logger.log(`probe server on port ${port}: /healthz /readyz /metrics`);
  }

  async onApplicationShutdown() {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
