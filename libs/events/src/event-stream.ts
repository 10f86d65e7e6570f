import type { PubSubEngine } from 'graphql-subscriptions';

/** Events a slow subscriber may have waiting before the oldest are dropped. */
const MAX_BUFFERED = 1_000;

/**
 * An async iterator of the messages on `trigger`, subscribed BEFORE it is returned (so a caller can
 * read the current state afterwards and miss nothing in between). `return()` unsubscribes at once,
 * even while a `next()` is waiting.
 */
export async function subscribeEvents<T>(bus: PubSubEngine, trigger: string): Promise<AsyncIterableIterator<T>> {
  const buffered: T[] = [];
  const waiting: Array<(r: IteratorResult<T>) => void> = [];
  let done = false;
  const id = await bus.subscribe(trigger, (payload: T) => {
    if (done) return;
    const w = waiting.shift();
    if (w) w({ value: payload, done: false });
    else {
      buffered.push(payload);
      if (buffered.length > MAX_BUFFERED) buffered.shift();
    }
  }, {});
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      await bus.unsubscribe(id);
      for (const w of waiting.splice(0)) w({ value: undefined, done: true });
      buffered.length = 0;
    }
    return { value: undefined, done: true };
  };
  const it: AsyncIterableIterator<T> = {
    next: () => (buffered.length > 0 ? Promise.resolve({ value: buffered.shift()!, done: false }) : done ? Promise.resolve({ value: undefined, done: true }) : new Promise((r) => waiting.push(r))),
    return: finish,
    throw: async (err: unknown) => {
      await finish();
      throw err;
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/**
 * `first` (the current state, read after subscribing), then each event mapped through `map`
 * (undefined: skip it). return() and throw() go straight to the source.
 */
export function mapEvents<E, T>(source: AsyncIterableIterator<E>, map: (e: E) => Promise<T | undefined>, first?: () => Promise<T | undefined>): AsyncIterableIterator<T> {
  let initial = first;
  const it: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      if (initial) {
        const f = initial;
        initial = undefined;
        const v = await f();
        if (v !== undefined) return { value: v, done: false };
      }
      for (;;) {
        const r = await source.next();
        if (r.done) return { value: undefined, done: true };
        const v = await map(r.value);
        if (v !== undefined) return { value: v, done: false };
      }
    },
    return: () => source.return!() as Promise<IteratorResult<T>>,
    throw: (err: unknown) => source.throw!(err) as Promise<IteratorResult<T>>,
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}
