import { JOB_RELEASED } from './job-queue';
import { InProcessQueue } from './in-process.queue';
import { withHandlers } from './testing';


const lanes = { training: 1, jobs: 1 };

describe('InProcessQueue', () => {
  it('runs each experiment once even when enqueued twice, in order, through the handler', async () => {
    const q = new InProcessQueue(lanes);
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handlers = withHandlers({
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
      withHandlers({
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

  it('waits the configured delay before the first retry, and twice as long before each next one', async () => {
    jest.useFakeTimers();
    const q = new InProcessQueue(lanes, 100);
    const at: number[] = [];
    const t0 = Date.now();
    await q.start(
      withHandlers({
        train: async () => {
          at.push(Date.now() - t0);
          throw new Error('store down');
        },
      }),
    );
    await q.enqueue('train', { experimentId: 'd' });
    await jest.advanceTimersByTimeAsync(99);
    expect(at).toEqual([0]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(at).toEqual([0, 100, 300, 700, 1500]);
    jest.useRealTimers();
    await q.close();
  });

  it('runs a job enqueued again after the first finished', async () => {
    const q = new InProcessQueue(lanes);
    let runs = 0;
    await q.start(withHandlers({ train: async () => `run ${++runs}` }));
    await q.enqueue('train', { experimentId: 'y' });
    await new Promise((r) => setTimeout(r, 10));
    await q.enqueue('train', { experimentId: 'y' });
    await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBe(2);
    await q.close();
  });

  it('close() aborts ctx.shutdown of running jobs and waits for them to hand back', async () => {
    const q = new InProcessQueue(lanes);
    const events: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    await q.start(
      withHandlers({
        train: (_job, ctx) =>
          new Promise<string>((resolve) => {
            started();
            ctx.shutdown.addEventListener('abort', () => {
              events.push('aborted');
              setTimeout(() => {
                events.push('checkpointed');
                resolve(JOB_RELEASED);
              }, 20);
            });
          }),
      }),
    );
    await q.enqueue('train', { experimentId: 'z' });
    await running;
    await q.close();
    expect(events).toEqual(['aborted', 'checkpointed']);
    expect(await q.depth()).toEqual(expect.arrayContaining([{ lane: 'training', state: 'active', count: 0 }]));
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
    await q.start(withHandlers({ train: async (job) => { seen.push(job.experimentId); return 'ok'; } }));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['staff', 'a1', 'b1', 'a2', 'b2', 'a3']);
    await q.close();
  });
});
