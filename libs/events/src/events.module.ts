import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@trainyard/config';
import { PubSub, PubSubEngine } from 'graphql-subscriptions';
import { EventPublisher } from './event-publisher';
import { EVENT_BUS } from './events';
import { RedisPubSub } from './redis-pubsub';

class EventBusShutdown implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: PubSubEngine) {}
  async onApplicationShutdown() {
    if (this.bus instanceof RedisPubSub) await this.bus.close();
  }
}

/**
 * EVENT_BUS and EventPublisher for every process: Redis pub/sub when REDIS_URL is set (workers
 * and api processes on different machines), graphql-subscriptions' in-process PubSub otherwise
 * (the embedded mode: worker and api share one process).
 */
@Module({})
export class EventsModule {
  static forRoot(config: Pick<AppConfig, 'queue'>): DynamicModule {
    const q = config.queue;
    return {
      module: EventsModule,
      global: true,
      providers: [
        { provide: EVENT_BUS, useFactory: (): PubSubEngine => (q.kind === 'redis' ? new RedisPubSub(q.url, q.prefix) : new PubSub()) },
        EventPublisher,
        EventBusShutdown,
      ],
      exports: [EVENT_BUS, EventPublisher],
    };
  }
}
