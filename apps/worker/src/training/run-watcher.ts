import { ExperimentRepository, SupersededError } from '@trainyard/db';

/** paused: a course compute budget ran out (the training service decides; see ComputeBudget). */
export type StopReason = 'cancelled' | 'superseded' | 'released' | 'paused';

/**
 * Decides when a running training must stop, and why: a cancel request, a newer attempt taking the
 * run over (fencing), or the worker shutting down. The first reason wins; `stop` is the thread's.
 * Cancel and fencing are polled on a timer as well as seen in progress writes, so a cancel lands
 * within a few steps even when perPrintTimes is large.
 */
export class RunWatcher {
  private reason?: StopReason;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly experimentId: string,
    private readonly attempt: number,
    private readonly stopThread: () => void,
  ) {}

  get stopReason(): StopReason | undefined {
    return this.reason;
  }

  /** Stops the thread for `reason` unless it is already stopping; returns whether this call did. */
  stop(reason: StopReason): boolean {
    if (this.reason) return false;
    this.reason = reason;
    this.stopThread();
    return true;
  }

  /** What a progress write reported back. */
  observe(state: { cancelRequested: boolean }): void {
    if (state.cancelRequested) this.stop('cancelled');
  }

  start(pollIntervalMs: number): this {
    this.timer = setInterval(() => {
      this.experiments.checkRun(this.experimentId, this.attempt).then(
        (s) => this.observe(s),
        (err) => {
          if (err instanceof SupersededError) this.stop('superseded');
        },
      );
    }, pollIntervalMs);
    return this;
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
