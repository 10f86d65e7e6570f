import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { JOB_LANES } from '@trainyard/common';
import type { AppConfig } from '@trainyard/config';
import { Queue } from 'bullmq';
import { BullMqConsumer, BullMqJobQueue, laneQueueName, redisConnection } from './bullmq.queue';
import { InProcessQueue } from './in-process.queue';
import { JOB_CONSUMER, JOB_QUEUE, JobConsumer } from './job-queue';

class ConsumerShutdown implements OnApplicationShutdown {
  constructor(@Inject(JOB_CONSUMER) private readonly consumer: JobConsumer) {}
  async onApplicationShutdown() {
    await this.consumer.close();
  }
}

/**
 * JOB_QUEUE (producer) and JOB_CONSUMER (worker side), backed by BullMQ when REDIS_URL is set
 * and by an in-process queue otherwise. Both run the same handlers, one per job name.
 */
@Module({})
export class QueueModule {
  static forRoot(config: Pick<AppConfig, 'queue' | 'worker'>): DynamicModule {
    const consumerOptions = {
      lanes: config.worker.lanes,
      concurrency: { training: config.worker.concurrency, jobs: config.worker.jobConcurrency },
      lockDurationMs: config.worker.lockDurationMs,
      stalledIntervalMs: config.worker.stalledIntervalMs,
    };
    if (config.queue.kind === 'redis') {
      const redis = config.queue;
      return {
        module: QueueModule,
        global: true,
        imports: [
          BullModule.forRoot({ connection: redisConnection(redis.url), prefix: redis.prefix }),
          ...JOB_LANES.map((lane) => BullModule.registerQueue({ name: laneQueueName(lane) })),
        ],
        providers: [
          {
            provide: JOB_QUEUE,
            useFactory: (training: Queue, jobs: Queue) => new BullMqJobQueue({ training, jobs }, redis.retryDelayMs),
            inject: [getQueueToken(laneQueueName('training')), getQueueToken(laneQueueName('jobs'))],
          },
          { provide: JOB_CONSUMER, useFactory: () => new BullMqConsumer(redis, consumerOptions) },
          ConsumerShutdown,
        ],
        exports: [JOB_QUEUE, JOB_CONSUMER],
      };
    }
    const inProcess = new InProcessQueue(consumerOptions.concurrency, config.queue.retryDelayMs);
    return {
      module: QueueModule,
      global: true,
      providers: [{ provide: JOB_QUEUE, useValue: inProcess }, { provide: JOB_CONSUMER, useValue: inProcess }, ConsumerShutdown],
      exports: [JOB_QUEUE, JOB_CONSUMER],
    };
  }
}
