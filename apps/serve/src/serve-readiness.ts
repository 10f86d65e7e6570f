import { Injectable, OnModuleInit } from '@nestjs/common';
import { PrismaService } from '@trainyard/db';
import { HealthService } from '@trainyard/platform';

/**
 * Serve's part of GET /readyz: it can read the deployments table. (To grow into "its default
 * versions are loaded" once serve keeps versions.)
 */
@Injectable()
export class ServeReadiness implements OnModuleInit {
  constructor(
    private readonly health: HealthService,
    private readonly prisma: PrismaService,
  ) {}

  onModuleInit() {
    this.health.register('deployments', () => this.prisma.deployment.findFirst({ select: { id: true } }));
  }
}
