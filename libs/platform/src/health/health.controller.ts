import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@trainyard/auth';
import { HealthService } from './health.service';

/** Probes for load balancers and orchestrators; no API key (they carry no tenant data). */
@Controller()
@Public()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  healthz() {
    return this.health.live();
  }

  @Get('readyz')
  async readyz(@Res() res: Response) {
    const readiness = await this.health.ready();
    res.status(readiness.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(readiness);
  }
}
