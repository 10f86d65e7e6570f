export { JOB_ATTEMPTS, JOB_RELEASED, QueueDepth, JOB_QUEUE, JOB_CONSUMER, JobQueue, JobConsumer, JobContext, JobHandler, JobHandlers, EnqueueOptions } from './job-queue';
export { QueueModule } from './queue.module';
export { InProcessQueue } from './in-process.queue';
export { redisConnection, laneQueueName } from './bullmq.queue';
