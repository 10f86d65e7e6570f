import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { PrismaService } from '@trainyard/db';
import { redisConnection } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import Redis from 'ioredis';
import { HealthService } from './health.service';

/** The checks every process shares: Postgres, Redis when REDIS_URL is set, the artifact store. */
@Injectable()
export class PlatformChecks implements OnModuleInit, OnModuleDestroy {
  private redis?: Redis;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly prisma: PrismaService,
    private readonly health: HealthService,
  ) {}

  onModuleInit() {
    this.health.register('database', () => this.prisma.$queryRaw`SELECT 1`);
    if (this.config.queue.kind === 'redis') {
      const redis = new Redis({ ...redisConnection(this.config.queue.url), lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
      redis.on('error', () => undefined); // reported by the check, not as an unhandled event
      this.redis = redis;
      this.health.register('redis', async () => {
        if (redis.status === 'wait') await redis.connect();
        await redis.ping();
      });
    }
    // Listing a prefix nothing uses: cheap, and fails when the bucket or folder is unreachable.
    this.health.register('store', () => this.store.list('_readyz/'));
  }

  onModuleDestroy() {
    this.redis?.disconnect();
  }
}
