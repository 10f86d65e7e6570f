import { PubSub } from 'graphql-subscriptions';
import { mapEvents, subscribeEvents } from './event-stream';

describe('subscribeEvents', () => {
  it('is subscribed when it returns, delivers in order, and unsubscribes on return() while a next() waits', async () => {
    const bus = new PubSub();
    const it = await subscribeEvents<{ n: number }>(bus, 't');
    await bus.publish('t', { n: 1 });
    await bus.publish('t', { n: 2 });
    expect(await it.next()).toEqual({ value: { n: 1 }, done: false });
    expect(await it.next()).toEqual({ value: { n: 2 }, done: false });
    const pending = it.next();
    await it.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    await bus.publish('t', { n: 3 });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('maps events, skipping undefined, after a first value', async () => {
    const bus = new PubSub();
    const source = await subscribeEvents<number>(bus, 'n');
    const it = mapEvents(source, async (n) => (n % 2 ? undefined : n * 10), async () => -1);
    await bus.publish('n', 1);
    await bus.publish('n', 2);
    expect((await it.next()).value).toBe(-1);
    expect((await it.next()).value).toBe(20);
    await it.return!();
  });
});
