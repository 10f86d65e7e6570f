import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TrainExperimentJob } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { ExperimentRepository } from '@trainyard/db';
import { JOB_ATTEMPTS, JOB_CONSUMER, JOB_QUEUE, JobConsumer, JobContext, JobQueue } from '@trainyard/queue';
import { TrainingService } from './training.service';

/** Thin: takes jobs off the queue and hands each to TrainingService. */
@Injectable()
export class TrainingProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger('TrainingProcessor');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_CONSUMER) private readonly consumer: JobConsumer,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly training: TrainingService,
    private readonly experiments: ExperimentRepository,
  ) {}

  async onApplicationBootstrap() {
    await this.consumer.start((job, ctx) => this.process(job, ctx));
    if (this.config.queue.kind === 'in-process') {
      // In-process jobs die with the process; pick up what a previous run left unfinished.
      for (const { id } of await this.experiments.unfinished()) await this.queue.enqueueTraining({ experimentId: id });
    }
    this.logger.log(`worker started (${this.config.queue.kind} queue, concurrency ${this.config.worker.concurrency})`);
  }

  async process(job: TrainExperimentJob, ctx: JobContext) {
    const outcome = await this.training.run(job, { lastTry: ctx.attemptsMade + 1 >= JOB_ATTEMPTS });
    this.logger.log(`job ${ctx.jobId} (delivery ${ctx.attemptsMade + 1}): ${outcome}`);
  }
}
