import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ServeMetrics } from './serve-metrics';

/** GET /metrics: Prometheus text format (prom-client's default registry). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ServeMetrics) {}

  @Get()
  async metricsText(@Res() res: Response) {
    res.setHeader('Content-Type', this.metrics.contentType);
    res.send(await this.metrics.text());
  }
}
