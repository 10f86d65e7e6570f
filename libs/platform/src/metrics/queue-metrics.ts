import { Inject, Injectable } from '@nestjs/common';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

/**
 * Queue depth by lane and state (BullMQ's getJobCounts), read at each scrape. Every process reports
 * it, the api included: workers scaled to zero report nothing, so the autoscaler reads it from a
 * process that is always up.
 */
@Injectable()
export class QueueMetrics {
  constructor(registry: MetricsRegistry, @Inject(JOB_QUEUE) queue: JobQueue) {
    new Gauge({
      name: 'trainyard_queue_jobs',
      help: 'Jobs in each queue (lane) by state: wait, active, delayed, prioritized, waiting-children, paused, failed, completed',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const d of await queue.depth()) this.set({ queue: d.lane, state: d.state }, d.count);
      },
    });
  }
}
