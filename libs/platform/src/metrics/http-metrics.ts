import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

/**
 * Requests in flight (what serve's autoscaler reads: request concurrency) and requests by status
 * class, for every HTTP process.
 */
@Injectable()
export class HttpMetrics {
  private readonly inFlight: Gauge;
  private readonly total: Counter<'status'>;

  constructor(registry: MetricsRegistry) {
    this.inFlight = new Gauge({ name: 'trainyard_http_requests_in_flight', help: 'HTTP requests being handled now', registers: [registry] });
    this.total = new Counter({ name: 'trainyard_http_requests_total', help: 'HTTP requests answered, by status class (2xx, 4xx...)', labelNames: ['status'], registers: [registry] });
  }

  private readonly classes = new Map<number, { inc(): void }>();

  private byClass(status: number) {
    const c = Math.floor(status / 100);
    let child = this.classes.get(c);
    if (!child) {
      child = this.total.labels({ status: `${c}xx` });
      this.classes.set(c, child);
    }
    return child;
  }

  /** Express middleware (applied by HealthModule to every route). */
  readonly middleware = (_req: Request, res: Response, next: NextFunction) => {
    this.track(res);
    next();
  };

  /** Counts one request from now until its response finishes (or the connection closes). */
  track(res: ServerResponse): void {
    this.inFlight.inc();
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.inFlight.dec();
      this.byClass(res.statusCode).inc();
    };
    res.once('finish', end);
    res.once('close', end);
  }
}
