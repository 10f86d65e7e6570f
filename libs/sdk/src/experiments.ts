import { errorFor } from './errors';
import {
  CancelExperimentDocument,
  ExperimentDocument,
  ExperimentLossPointsDocument,
  ExperimentsDocument,
  ExperimentStatusDocument,
  ResumeExperimentDocument,
  SubmitExperimentDocument,
  type ExperimentFieldsFragment,
  type ExperimentFilter,
  type ExperimentStatus,
  type ExperimentSummaryFieldsFragment,
  type LossPointFieldsFragment,
  type ProgressFieldsFragment,
  type SubmitExperimentInput,
} from './generated/graphql';
import type { Transport } from './transport';
import { allPages, collect, Page, pageOf, PageOptions } from './pages';
import { sleep } from './util';

export type Experiment = ExperimentFieldsFragment;
export type ExperimentSummary = ExperimentSummaryFieldsFragment;
export type LossPoint = LossPointFieldsFragment;
export type Progress = ProgressFieldsFragment;
export type { ExperimentFilter, ExperimentStatus, SubmitExperimentInput };

/** Statuses a run does not leave by itself (PAUSED waits for a course budget; see WatchOptions.until). */
export const FINAL_STATUSES: readonly ExperimentStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export type WatchEvent =
  /** The status changed (QUEUED -> RUNNING -> ...), or the first look at the run. */
  | { type: 'status'; experiment: ExperimentSummary }
  /** Epoch, step or throughput changed. */
  | { type: 'progress'; progress: Progress; status: ExperimentStatus }
  /** New loss points, oldest first, each reported once. */
  | { type: 'loss'; points: LossPoint[] }
  /** The run reached a status in `until`: the full experiment (metrics, checkpoints). Last event. */
  | { type: 'done'; experiment: Experiment };

export interface WatchOptions {
  /** Statuses that end the watch (default SUCCEEDED, FAILED, CANCELLED). */
  until?: readonly ExperimentStatus[];
  /** `auto` (default): a subscription where the server offers one, else polling. */
  transport?: 'auto' | 'subscription' | 'polling';
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Report loss points after this cursor (an endCursor of `losses`; default: all of them). */
  after?: string | null;
}

export class Experiments {
  constructor(private readonly t: Transport) {}

  /** Validates the spec on the server and queues the run. */
  async submit(input: SubmitExperimentInput): Promise<Experiment> {
    return (await this.t.request(SubmitExperimentDocument, { input })).submitExperiment;
  }

  async get(id: string): Promise<Experiment> {
    return (await this.t.request(ExperimentDocument, { id })).experiment;
  }

  /** One page of runs, newest first; filter by status(es), dataset, name prefix, sweep, user. */
  async list(opts: PageOptions & { filter?: ExperimentFilter } = {}): Promise<Page<ExperimentSummary>> {
    return pageOf((await this.t.request(ExperimentsDocument, { first: opts.first ?? 50, after: opts.after, filter: opts.filter })).experiments);
  }

  /** Every run matching the filter, newest first, page after page. */
  all(filter?: ExperimentFilter, pageSize = 100): AsyncGenerator<ExperimentSummary, void, void> {
    return allPages((after) => this.list({ first: pageSize, after, filter }));
  }

  /** One page of the loss series, oldest first (the cursor is the step). */
  async losses(id: string, opts: PageOptions = {}): Promise<Page<LossPoint>> {
    return pageOf((await this.t.request(ExperimentLossPointsDocument, { id, first: opts.first ?? 500, after: opts.after })).experiment.lossPoints);
  }

  /** The whole loss series, paging through it. */
  async allLosses(id: string): Promise<LossPoint[]> {
    return collect(allPages((after) => this.losses(id, { first: 1000, after })));
  }

  /** Asks the run to stop; it stops within a few steps and keeps its last checkpoint. */
  async cancel(id: string): Promise<ExperimentSummary> {
    return (await this.t.request(CancelExperimentDocument, { id })).cancelExperiment;
  }

  /** Puts a FAILED or CANCELLED run back in the queue, from its last checkpoint. */
  async resume(id: string): Promise<ExperimentSummary> {
    return (await this.t.request(ResumeExperimentDocument, { id })).resumeExperiment;
  }

  /**
   * Status, progress and loss points as they happen, ending with `done` when the run reaches a
   * status in `until`. Stop early with the signal (or `break`).
   */
  async *watch(id: string, opts: WatchOptions = {}): AsyncGenerator<WatchEvent, Experiment, void> {
    if (opts.transport === 'subscription') throw errorFor('this server offers no subscriptions; watch with transport "polling"', { code: 'BAD_USER_INPUT' });
    return yield* this.poll(id, opts);
  }

  /** Waits for the run to reach a status in `until` and returns it (with metrics and checkpoints). */
  async wait(id: string, opts: WatchOptions & { onEvent?: (e: WatchEvent) => void } = {}): Promise<Experiment> {
    const it = this.watch(id, opts);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
      opts.onEvent?.(r.value);
    }
  }

  private async *poll(id: string, opts: WatchOptions): AsyncGenerator<WatchEvent, Experiment, void> {
    const until = new Set(opts.until ?? FINAL_STATUSES);
    let lastStatus: string | undefined;
    let lastProgress = '';
    let after = opts.after ?? null;
    for (;;) {
      const e = (await this.t.request(ExperimentStatusDocument, { id }, opts.signal)).experiment;
      if (e.status !== lastStatus) {
        lastStatus = e.status;
        yield { type: 'status', experiment: e };
      }
      const p = JSON.stringify(e.progress);
      if (p !== lastProgress) {
        lastProgress = p;
        yield { type: 'progress', progress: e.progress, status: e.status };
      }
      for (;;) {
        const page = await this.losses(id, { first: 1000, after });
        if (page.items.length) yield { type: 'loss', points: page.items };
        if (page.endCursor) after = page.endCursor;
        if (!page.hasNextPage) break;
      }
      if (until.has(e.status)) {
        const full = await this.get(id);
        yield { type: 'done', experiment: full };
        return full;
      }
      await sleep(opts.pollIntervalMs ?? 1000, opts.signal);
    }
  }
}
