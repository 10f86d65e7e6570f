import { Injectable } from '@nestjs/common';
import { JobName } from '@trainyard/common';
import { MetricsRegistry, withLogContext } from '@trainyard/platform';
import { JOB_RELEASED, JobHandler, JobHandlers } from '@trainyard/queue';
import { Counter, Gauge, Histogram } from 'prom-client';

/**
 * What a worker reports to Prometheus (queue depth is reported by every process, see the platform's
 * QueueMetrics): running experiments, training samples/s, job durations and failures. Also puts the
 * job's ids on every log line written while it runs.
 */
@Injectable()
export class WorkerMetrics {
  private readonly rates = new Map<string, number>();
  private readonly running: Gauge;
  private readonly samples: Gauge;
  private readonly durations: Histogram<'job' | 'outcome'>;
  private readonly failures: Counter<'job' | 'kind'>;

  constructor(registry: MetricsRegistry) {
    const rates = this.rates;
    this.running = new Gauge({ name: 'trainyard_running_experiments', help: 'Experiments this worker is training now', registers: [registry] });
    this.samples = new Gauge({
      name: 'trainyard_training_samples_per_second',
      help: 'Training throughput of this worker: the sum over its running experiments of their last reported samples/s',
      registers: [registry],
      collect() {
        this.set([...rates.values()].reduce((a, b) => a + b, 0));
      },
    });
    this.durations = new Histogram({
      name: 'trainyard_job_duration_seconds',
      help: 'Wall time of each job delivery, by job name and outcome (succeeded, failed, released, error...)',
      labelNames: ['job', 'outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'trainyard_job_failures_total',
      help: 'Job deliveries that failed: kind=error (threw; the queue retries) or kind=failed (recorded as failed for good)',
      labelNames: ['job', 'kind'],
      registers: [registry],
    });
  }

  trainingStarted(experimentId: string): void {
    this.rates.set(experimentId, 0);
    this.running.set(this.rates.size);
  }

  trainingProgress(experimentId: string, samplesPerSecond: number): void {
    if (this.rates.has(experimentId)) this.rates.set(experimentId, samplesPerSecond);
  }

  trainingEnded(experimentId: string): void {
    this.rates.delete(experimentId);
    this.running.set(this.rates.size);
  }

  /** Wraps every handler: its duration and failures measured, its ids on every log line it writes. */
  instrument(handlers: JobHandlers): JobHandlers {
    const out: Partial<Record<JobName, JobHandler<JobName>>> = {};
    for (const name of Object.keys(handlers) as JobName[]) {
      const handler = handlers[name] as JobHandler<JobName>;
      out[name] = (payload, ctx) =>
        withLogContext({ job: name, jobId: ctx.jobId, ...idsOf(payload) }, async () => {
          const end = this.durations.startTimer({ job: name });
          try {
            const outcome = await handler(payload, ctx);
            end({ outcome: outcome === JOB_RELEASED ? 'released' : outcome });
            if (outcome === 'failed') this.failures.inc({ job: name, kind: 'failed' });
            return outcome;
          } catch (err) {
            end({ outcome: 'error' });
            this.failures.inc({ job: name, kind: 'error' });
            throw err;
          }
        });
    }
    return out as JobHandlers;
  }
}

/** Payloads carry ids only (libs/common/src/jobs.ts); their string fields are what a log line is about. */
function idsOf(payload: object): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}
