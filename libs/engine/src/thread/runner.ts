/**
 * Runs a whole training in a worker thread so the host's event loop (BullMQ lock renewal, the API)
 * never waits on tensor math. The host gets progress, checkpoints (in order, each awaited before the
 * thread passes its next checkpoint), the final metrics, or the failure.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { TrainyardError, ErrorCode } from '@trainyard/common';
import { TrainingDivergedError, type CheckpointMeta, type LossReport } from '../callbacks';
import type { EpochLogs } from '../trainer';
import type { EvaluateRequest, EvaluateThreadResult, HostMessage, SerializedError, ThreadData, ThreadMessage, TrainRequest, TrainResult } from './protocol';

export interface TrainHandlers {
  /** The backend the thread started ('tensorflow', 'wasm', 'cpu'). */
  onBackend?(name: string): void | Promise<void>;
  /** Every perPrintTimes steps. */
  onProgress?(report: LossReport): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs): void | Promise<void>;
  /** Store the bytes; the thread will not pass its next checkpoint until this resolves. */
  onCheckpoint?(bytes: Uint8Array, meta: CheckpointMeta): void | Promise<void>;
}

export interface TrainingThread {
  /** Resolves with the result (stopped or evaluated); rejects with the run's error (a handler's included). */
  done: Promise<TrainResult>;
  /** Asks the thread to stop after its current step; it still sends a final checkpoint. Idempotent. */
  stop(): void;
}

const WORKER_FILE = path.join(__dirname, 'training-worker.js');

export function runTrainingThread(request: TrainRequest, handlers: TrainHandlers = {}): TrainingThread {
  return startThread<TrainResult>({ request, stopFlag: new SharedArrayBuffer(4) }, handlers);
}

export interface EvaluationThread {
  /** Resolves with the metrics; rejects with the evaluation's error (a TrainyardError keeps its code). */
  done: Promise<EvaluateThreadResult>;
  /** Ends the thread now (shutdown); `done` then rejects. */
  terminate(): void;
}

/**
 * The `evaluate` job on a thread of its own, like training: the host's event loop stays free for the
 * job lock, health checks and other jobs while the checkpoint is scored.
 */
export function runEvaluationThread(request: EvaluateRequest, handlers: Pick<TrainHandlers, 'onBackend'> = {}): EvaluationThread {
  const t = startThread<EvaluateThreadResult>({ evaluate: request, stopFlag: new SharedArrayBuffer(4) }, handlers);
  return { done: t.done, terminate: t.terminate };
}

function startThread<R>(workerData: ThreadData, handlers: TrainHandlers): { done: Promise<R>; stop(): void; terminate(): void } {
  const { stopFlag } = workerData;
  const worker = new Worker(WORKER_FILE, { workerData });
  let settled = false;
  // Handlers run one at a time, in message order.
  let queue: Promise<void> = Promise.resolve();

  let failRun: (e: unknown) => void = () => undefined;
  const done = new Promise<R>((resolve, reject) => {
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(e);
    };
    const enqueue = (fn: () => void | Promise<void>) => {
      queue = queue.then(fn).catch(fail);
    };
    worker.on('message', (msg: ThreadMessage) => {
      switch (msg.type) {
        case 'backend':
          enqueue(() => handlers.onBackend?.(msg.name));
          break;
        case 'progress':
          enqueue(() => handlers.onProgress?.(msg.report));
          break;
        case 'epoch':
          enqueue(() => handlers.onEpochEnd?.(msg.logs));
          break;
        case 'checkpoint':
          enqueue(async () => {
            await handlers.onCheckpoint?.(msg.bytes, msg.meta);
            if (!settled) worker.postMessage({ type: 'checkpoint-ack', id: msg.id } satisfies HostMessage);
          });
          break;
        case 'evaluated':
        case 'done':
          enqueue(() => {
            if (settled) return;
            settled = true;
            resolve(msg.result as R);
            // The result is the thread's last word: end it now rather than trust it to exit (a
            // thread that lingers keeps its model and backend memory).
            void worker.terminate();
          });
          break;
        case 'error':
          enqueue(() => fail(deserialize(msg.error)));
          break;
      }
    });
    failRun = fail;
    worker.on('error', fail);
    worker.on('exit', (code) => {
      // A clean exit comes after 'done'/'error'; let the handler queue drain before judging.
      void queue.then(() => fail(new Error(`training thread exited (code ${code}) without a result`)));
    });
  });

  return {
    done,
    stop: () => Atomics.store(new Int32Array(stopFlag), 0, 1),
    terminate: () => failRun(new Error('thread terminated')),
  };
}

function deserialize(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'TrainingDivergedError') err = new TrainingDivergedError(e.step ?? NaN, e.loss ?? NaN);
  else if (e.code) {
    err = new TrainyardError(e.code as ErrorCode, e.message, e.details);
    err.name = e.name;
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) {
    const head = `${e.name}: ${e.message}`;
    const frames = e.stack.startsWith(head) ? e.stack.slice(head.length + 1) : e.stack;
    err.stack = `${err.name}: ${err.message}\n    [in the training thread]\n${frames}`;
  }
  return err;
}
