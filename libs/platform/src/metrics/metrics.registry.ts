import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * This process's Prometheus registry (prom-client). One per application, not prom-client's global
 * one, so two apps in one process (tests, the all-in-one launcher) never clash over metric names.
 * Features add their metrics to it; GET /metrics (and the worker's probe port) serve it.
 */
@Injectable()
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this, prefix: 'trainyard_process_' });
  }
}
