import { ErrorCode, TrainyardError } from '@trainyard/common';

export interface BatcherOptions {
  /** Values per input sample and per output row. */
  inSize: number;
  outSize: number;
  /** A batch takes queued calls until it holds this many samples (a larger single call runs alone). */
  maxBatchSize: number;
  /** Once a call is queued, wait at most this long for more before running (0: run on the next turn of the event loop). */
  maxWaitMs: number;
  /** Samples allowed to wait; a call that would exceed it is refused at once (503). */
  maxQueue: number;
}

export interface BatcherHooks {
  onBatch?(samples: number, calls: number): void;
  onQueueDepth?(samples: number): void;
}

interface Pending {
  x: Float32Array;
  n: number;
  resolve(out: Float32Array): void;
  reject(err: unknown): void;
  cancelled: boolean;
}

/**
 * Dynamic batching for one model version: concurrent calls are concatenated into one runtime call
 * of up to maxBatchSize samples, one batch at a time, and each call gets its own rows back. Calls
 * arriving while a batch runs form the next one, so under load batches grow by themselves; with
 * maxWaitMs > 0 a lone call waits that long for company.
 */
export class DynamicBatcher {
  private queue: Pending[] = [];
  private queued = 0;
  private running = false;
  private scheduled = false;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** The largest batch run so far. */
  maxBatchSeen = 0;

  constructor(
    private readonly runBatch: (x: Float32Array, n: number) => Promise<Float32Array>,
    readonly options: BatcherOptions,
    private readonly hooks: BatcherHooks = {},
  ) {}

  get depth(): number {
    return this.queued;
  }

  /** Queues `n` samples (x holds n * inSize values); resolves with their n * outSize outputs. */
  submit(x: Float32Array, n: number): { result: Promise<Float32Array>; cancel(): void } {
    if (this.closed) throw new TrainyardError(ErrorCode.UNAVAILABLE, 'this model version is being unloaded; retry');
    if (this.queued > 0 && this.queued + n > this.options.maxQueue) {
      throw new TrainyardError(ErrorCode.UNAVAILABLE, `the queue for this model version is full (${this.queued} samples waiting); retry later`, { retryAfterSeconds: 1 });
    }
    let pending!: Pending;
    const result = new Promise<Float32Array>((resolve, reject) => {
      pending = { x, n, resolve, reject, cancelled: false };
    });
    this.queue.push(pending);
    this.queued += n;
    this.hooks.onQueueDepth?.(this.queued);
    this.schedule();
    return {
      result,
      cancel: () => {
        if (pending.cancelled) return;
        pending.cancelled = true;
        const i = this.queue.indexOf(pending);
        if (i >= 0) {
          this.queue.splice(i, 1);
          this.queued -= pending.n;
          this.hooks.onQueueDepth?.(this.queued);
          if (this.queue.length === 0 && this.timer) {
            clearTimeout(this.timer);
            this.timer = undefined;
          }
        }
      },
    };
  }

  private schedule() {
    if (this.running || this.queue.length === 0) return;
    if (this.queued >= this.options.maxBatchSize || this.options.maxWaitMs <= 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.options.maxWaitMs);
    }
  }

  private async flush() {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch: Pending[] = [];
    let n = 0;
    while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0].n <= this.options.maxBatchSize)) {
      const p = this.queue.shift()!;
      batch.push(p);
      n += p.n;
    }
    this.queued -= n;
    this.hooks.onQueueDepth?.(this.queued);
    try {
      const { inSize, outSize } = this.options;
      let x: Float32Array;
      if (batch.length === 1) x = batch[0].x;
      else {
        x = new Float32Array(n * inSize);
        let o = 0;
        for (const p of batch) {
          x.set(p.x, o);
          o += p.x.length;
        }
      }
      if (n > this.maxBatchSeen) this.maxBatchSeen = n;
      this.hooks.onBatch?.(n, batch.length);
      const out = await this.runBatch(x, n);
      if (out.length !== n * outSize) throw new Error(`the runtime returned ${out.length} values for ${n} samples of ${outSize}`);
      let o = 0;
      for (const p of batch) {
        p.resolve(out.subarray(o, o + p.n * outSize));
        o += p.n * outSize;
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** Refuses new calls; resolves when queued calls have run. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running || this.queue.length > 0) {
      await new Promise((r) => setTimeout(r, 5));
      if (!this.running && this.queue.length > 0) void this.flush();
    }
  }
}
