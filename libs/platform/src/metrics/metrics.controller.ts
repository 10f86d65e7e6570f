import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@trainyard/auth';
import { MetricsRegistry } from './metrics.registry';

/** Prometheus scrape endpoint (text exposition format). */
/** Public: Prometheus scrapes without a key; the numbers carry no tenant data. */
@Controller()
@Public()
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get('metrics')
  async metrics(@Res() res: Response) {
    res.type(this.registry.contentType).send(await this.registry.metrics());
  }
}
