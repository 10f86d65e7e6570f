export { JOB_ATTEMPTS, JOB_QUEUE, JOB_CONSUMER, JobQueue, JobConsumer, JobContext, TrainingHandler } from './job-queue';
export { QueueModule } from './queue.module';
export { InProcessQueue } from './in-process.queue';
export { redisConnection } from './bullmq.queue';
