import { errorFor, TrainyardError } from './errors';
import {
  CancelExperimentDocument,
  ExperimentDocument,
  ExperimentLossPointsDocument,
  ExperimentsDocument,
  ExperimentStatusDocument,
  ExperimentUpdatedDocument,
  LossPointsAddedDocument,
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
import type { Subscriptions } from './subscriptions';
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

interface WatchState {
  lastStatus?: string;
  lastProgress: string;
  lastStep: number;
  after: string | null;
}

/** A queue two producers push into and one consumer awaits; a failure is delivered in order. */
class Channel<T> {
  private items: T[] = [];
  private error: unknown;
  private failed = false;
  private wake?: () => void;

  push(x: T) {
    this.items.push(x);
    this.wake?.();
  }

  fail(e: unknown) {
    if (this.failed) return;
    this.failed = true;
    this.error = e;
    this.wake?.();
  }

  async next(signal: AbortSignal): Promise<T> {
    for (;;) {
      if (this.items.length) return this.items.shift()!;
      if (this.failed) throw this.error;
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      this.wake = undefined;
    }
  }
}

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
  constructor(
    private readonly t: Transport,
    private readonly subs?: Subscriptions,
  ) {}

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
    const mode = opts.transport ?? 'auto';
    if (mode === 'polling' || !this.subs) {
      if (mode === 'subscription') throw errorFor('this client has no subscription transport', { code: 'BAD_USER_INPUT' });
      return yield* this.poll(id, opts);
    }
    const state: WatchState = { lastStatus: undefined, lastProgress: '', lastStep: -Infinity, after: opts.after ?? null };
    try {
      return yield* this.subscribe(id, opts, state);
    } catch (e) {
      // auto: a server without subscriptions (or a WebSocket a proxy refuses) falls back to polling,
      // carrying on from what was already reported. Errors of the watch itself (NOT_FOUND...) are thrown.
      if (mode === 'subscription' || !(e instanceof TrainyardError && e.code === 'NETWORK') || opts.signal?.aborted) throw e;
      return yield* this.poll(id, { ...opts, after: state.after }, state);
    }
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

  /** Status and progress events for a new look at the run (only what changed since the last one). */
  private *changes(e: ExperimentSummary, state: WatchState): Generator<WatchEvent> {
    if (e.status !== state.lastStatus) {
      state.lastStatus = e.status;
      yield { type: 'status', experiment: e };
    }
    const p = JSON.stringify(e.progress);
    if (p !== state.lastProgress) {
      state.lastProgress = p;
      yield { type: 'progress', progress: e.progress, status: e.status };
    }
  }

  /** Loss points not reported yet (by step), from the series itself: the catch-up after a gap. */
  private async *catchUp(id: string, state: WatchState): AsyncGenerator<WatchEvent> {
    for (;;) {
      const page = await this.losses(id, { first: 1000, after: state.after });
      yield* this.newPoints(page.items, state);
      if (page.endCursor) state.after = page.endCursor;
      if (!page.hasNextPage) return;
    }
  }

  private *newPoints(points: LossPoint[], state: WatchState): Generator<WatchEvent> {
    const fresh = points.filter((p) => p.step > state.lastStep);
    if (!fresh.length) return;
    state.lastStep = fresh[fresh.length - 1].step;
    yield { type: 'loss', points: fresh };
  }

  private async *finish(id: string, state: WatchState): AsyncGenerator<WatchEvent, Experiment> {
    yield* this.catchUp(id, state);
    const full = await this.get(id);
    yield { type: 'done', experiment: full };
    return full;
  }

  private async *poll(id: string, opts: WatchOptions, state: WatchState = { lastStatus: undefined, lastProgress: '', lastStep: -Infinity, after: opts.after ?? null }): AsyncGenerator<WatchEvent, Experiment, void> {
    const until = new Set(opts.until ?? FINAL_STATUSES);
    for (;;) {
      const e = (await this.t.request(ExperimentStatusDocument, { id }, opts.signal)).experiment;
      yield* this.changes(e, state);
      if (until.has(e.status)) return yield* this.finish(id, state);
      yield* this.catchUp(id, state);
      await sleep(opts.pollIntervalMs ?? 1000, opts.signal);
    }
  }

  /**
   * experimentUpdated and lossPointsAdded over graphql-ws, merged. experimentUpdated answers with the
   * run as it is first, so nothing that happened before the subscription is missed; the loss series
   * is caught up from lossPoints once both subscriptions answer and again at the end, and a slow
   * safety poll (every 15 s) covers a dropped event.
   */
  private async *subscribe(id: string, opts: WatchOptions, state: WatchState): AsyncGenerator<WatchEvent, Experiment, void> {
    const until = new Set(opts.until ?? FINAL_STATUSES);
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    type Item = { kind: 'experiment'; e: ExperimentSummary } | { kind: 'loss'; points: LossPoint[] } | { kind: 'tick' };
    const ch = new Channel<Item>();
    const pump = async <T>(it: AsyncGenerator<T>, map: (x: T) => Item) => {
      try {
        for await (const x of it) ch.push(map(x));
        ch.fail(errorFor('the server ended the subscription', { code: 'NETWORK' }));
      } catch (e) {
        if (!stop.signal.aborted) ch.fail(e);
      }
    };
    void pump(this.subs!.subscribe(ExperimentUpdatedDocument, { id }, signal), (x) => ({ kind: 'experiment', e: x.experimentUpdated }));
    void pump(this.subs!.subscribe(LossPointsAddedDocument, { experimentId: id }, signal), (x) => ({ kind: 'loss', points: x.lossPointsAdded }));
    const tick = setInterval(() => ch.push({ kind: 'tick' }), Math.max(opts.pollIntervalMs ?? 0, 15_000));
    let caughtUp = false;
    try {
      for (;;) {
        const item = await ch.next(signal);
        if (item.kind === 'loss') {
          yield* this.newPoints(item.points, state);
          continue;
        }
        const e = item.kind === 'experiment' ? item.e : (await this.t.request(ExperimentStatusDocument, { id }, signal)).experiment;
        yield* this.changes(e, state);
        if (until.has(e.status)) return yield* this.finish(id, state);
        if (!caughtUp || item.kind === 'tick') {
          caughtUp = true;
          yield* this.catchUp(id, state);
        }
      }
    } finally {
      clearInterval(tick);
      stop.abort();
    }
  }
}
