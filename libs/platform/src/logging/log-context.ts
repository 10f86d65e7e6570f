import { AsyncLocalStorage } from 'node:async_hooks';

/** Ids that say what a log line is about (jobId, job, experimentId...), carried through async calls. */
export type LogFields = Record<string, string | number>;

const storage = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` added to every log line written inside it (JSON logs put them as keys). */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

export function currentLogContext(): LogFields | undefined {
  return storage.getStore();
}
