import { InProcessQueue } from './in-process.queue';

describe('InProcessQueue', () => {
  it('runs each experiment once even when enqueued twice, in order, through the handler', async () => {
    const q = new InProcessQueue(1);
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await q.start(async (job) => {
      seen.push(job.experimentId);
      if (job.experimentId === 'a') await gate;
    });
    await q.enqueueTraining({ experimentId: 'a' });
    await q.enqueueTraining({ experimentId: 'a' });
    await q.enqueueTraining({ experimentId: 'b' });
    expect(seen).toEqual(['a']); // concurrency 1: b waits for a
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['a', 'b']);
    await q.close();
  });

  it('retries a handler that throws, counting attempts', async () => {
    jest.useFakeTimers();
    const q = new InProcessQueue(1);
    const attempts: number[] = [];
    await q.start(async (_job, ctx) => {
      attempts.push(ctx.attemptsMade);
      if (ctx.attemptsMade === 0) throw new Error('store down');
    });
    await q.enqueueTraining({ experimentId: 'x' });
    await jest.advanceTimersByTimeAsync(5000);
    expect(attempts).toEqual([0, 1]);
    jest.useRealTimers();
    await q.close();
  });
});
