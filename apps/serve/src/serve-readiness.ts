import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { HealthService } from '@trainyard/platform';
import { DeploymentCache } from './inference/deployment-cache';
import { ModelCache } from './inference/model-cache';

/**
 * Serve's part of GET /readyz: it can read the deployments table, and it has loaded the default
 * versions of the most recently changed models (SERVE_WARM_MODELS) so the first calls after a
 * scale-up or a rollout do not wait on a cold load. A version that fails to load is logged and
 * skipped: one broken checkpoint must not keep a whole serve process out of rotation.
 */
@Injectable()
export class ServeReadiness implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('ServeReadiness');
  private warming?: { total: number; done: number };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthService,
    private readonly prisma: PrismaService,
    private readonly deployments: DeploymentCache,
    private readonly models: ModelCache,
  ) {}

  onModuleInit() {
    this.health.register('deployments', () => this.prisma.deployment.findFirst({ select: { id: true } }));
    this.health.register('defaultVersions', async () => {
      if (this.warming && this.warming.done < this.warming.total) {
        throw new Error(`loading default versions: ${this.warming.done} of ${this.warming.total} done`);
      }
    });
  }

  onApplicationBootstrap() {
    // Not awaited: the process listens (liveness) while readiness waits for the warm-up.
    this.warming = { total: Number.POSITIVE_INFINITY, done: 0 };
    this.warmDefaults().catch((err) => {
      this.logger.warn(`warm-up stopped: ${err instanceof Error ? err.message : err}`);
      this.warming = { total: 0, done: 0 };
    });
  }

  private async warmDefaults() {
    const limit = this.config.serve.warmModels;
    const models =
      limit === 0
        ? []
        : await this.prisma.servedModel.findMany({
            where: { defaultVersion: { not: null } },
            select: { teamId: true, name: true },
            orderBy: { updatedAt: 'desc' },
            take: limit,
          });
    this.warming = { total: models.length, done: 0 };
    const started = Date.now();
    for (const m of models) {
      try {
        const resolved = await this.deployments.get(m.teamId, m.name);
        await this.models.load(this.deployments.select(resolved, { name: m.name }));
      } catch (err) {
        this.logger.warn(`could not warm ${m.name}: ${err instanceof Error ? err.message : err}`);
      }
      this.warming.done++;
    }
    if (models.length > 0) this.logger.log(`warmed ${models.length} default version(s) in ${Date.now() - started} ms`);
  }
}
