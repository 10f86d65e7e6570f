import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { HttpMetrics } from '../metrics/http-metrics';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { QueueMetrics } from '../metrics/queue-metrics';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { PlatformChecks } from './platform-checks';

/**
 * Probes and metrics for every process: GET /healthz, /readyz and /metrics on HTTP processes (a
 * worker serves the same from its own port). Global, so a feature can register its own readiness
 * check or metrics.
 */
@Global()
@Module({
  controllers: [HealthController, MetricsController],
  providers: [HealthService, PlatformChecks, MetricsRegistry, QueueMetrics, HttpMetrics],
  exports: [HealthService, MetricsRegistry, HttpMetrics],
})
export class HealthModule implements NestModule {
  constructor(private readonly http: HttpMetrics) {}

  configure(consumer: MiddlewareConsumer) {
    consumer.apply(this.http.middleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
