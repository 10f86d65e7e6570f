import { JOBS } from '@trainyard/common';
import { JobHandlers } from './job-queue';
import { InProcessQueue } from './in-process.queue';

/** Handlers for every job name: the given ones, and for the rest one that fails the test if called. */
const only = (given: Partial<JobHandlers>): JobHandlers =>
  ({
    ...Object.fromEntries(Object.keys(JOBS).map((n) => [n, async () => { throw new Error(`unexpected job ${n}`); }])),
    ...given,
  }) as JobHandlers;

const lanes = { training: 1, jobs: 1 };

describe('InProcessQueue', () => {
  it('runs each experiment once even when enqueued twice, in order, through the handler', async () => {
    const q = new InProcessQueue(lanes);
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handlers: JobHandlers = only({
      train: async (job) => {
        seen.push(job.experimentId);
        if (job.experimentId === 'a') await gate;
        return 'succeeded';
      },
    });
    await q.start(handlers);
    await q.enqueue('train', { experimentId: 'a' });
    await q.enqueue('train', { experimentId: 'a' });
    await q.enqueue('train', { experimentId: 'b' });
    expect(seen).toEqual(['a']); // concurrency 1: b waits for a
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['a', 'b']);
    await q.close();
  });

  it('retries a handler that throws, counting attempts, and says which delivery is the last', async () => {
    jest.useFakeTimers();
    const q = new InProcessQueue(lanes);
    const deliveries: Array<[number, boolean]> = [];
    await q.start(
      only({
        train: async (_job, ctx) => {
          deliveries.push([ctx.attemptsMade, ctx.lastTry]);
          throw new Error('store down');
        },
      }),
    );
    await q.enqueue('train', { experimentId: 'x' });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(deliveries).toEqual([
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    jest.useRealTimers();
    await q.close();
  });

  it('runs a job enqueued again after the first finished', async () => {
    const q = new InProcessQueue(lanes);
    let runs = 0;
    await q.start(only({ train: async () => `run ${++runs}` }));
    await q.enqueue('train', { experimentId: 'y' });
    await new Promise((r) => setTimeout(r, 10));
    await q.enqueue('train', { experimentId: 'y' });
    await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBe(2);
    await q.close();
  });
});

describe('InProcessQueue priorities', () => {
  it('runs priority 0 first, then lower numbers, arrival order within one priority (as BullMQ)', async () => {
    const q = new InProcessQueue(lanes);
    const seen: string[] = [];
    await q.enqueue('train', { experimentId: 'a1' }, { priority: 1 });
    await q.enqueue('train', { experimentId: 'a2' }, { priority: 2 });
    await q.enqueue('train', { experimentId: 'a3' }, { priority: 3 });
    await q.enqueue('train', { experimentId: 'b1' }, { priority: 1 });
    await q.enqueue('train', { experimentId: 'staff' });
    await q.enqueue('train', { experimentId: 'b2' }, { priority: 2 });
    await q.start(only({ train: async (job) => { seen.push(job.experimentId); return 'ok'; } }));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['staff', 'a1', 'b1', 'a2', 'b2', 'a3']);
    await q.close();
  });
});
