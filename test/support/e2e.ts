/**
 * Trainyard booted for one end-to-end test file, on real services of its own (realServices: a fresh
 * Postgres database, a fresh Redis queue prefix, an s3rver). Every process is startTrainyard on a free
 * loopback port in test mode; close() in afterAll closes the processes, newest first, then the
 * services, logging (not throwing) what fails so that every step still runs.
 *
 *   let e2e: E2e;
 *   beforeAll(async () => {
 *     e2e = await startE2e({ TRAINYARD_ROLES: 'api' });
 *   });
 *   afterAll(() => e2e?.close());
 *
 *   it('...', async () => {
 *     const serve = await e2e.startAnother({ TRAINYARD_ROLES: 'serve' }); // closed by e2e.close()
 *   });
 *
 * Setups it does not fit (no first process, a database of its own, restarts) use startTrainyard,
 * loadConfig and realServices directly.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@trainyard/config';
import { RunningTrainyard, startTrainyard } from '../../apps/trainyard/src/app';
import { realServices } from './services';

/** Env settings for one process, over the services' env; one set to undefined is left out (REDIS_URL: undefined gives the in-process queue). */
export type Overrides = Record<string, string | undefined>;

export interface E2e {
  /** The first process, with its Nest app and base URL. */
  ty: RunningTrainyard;
  app: NestExpressApplication;
  url: string;
  /** The services' env: what a child process the test starts itself needs. */
  services: Awaited<ReturnType<typeof realServices>>;
  /**
   * Another process on the same services, from the services' env and `overrides` (not the first
   * process's overrides). A test may close it early; close() then leaves it alone.
   */
  startAnother(overrides?: Overrides): Promise<RunningTrainyard>;
  close(): Promise<void>;
}

/** Any free port, loopback only, test mode (error and warn logs). */
const TEST_PROCESS = { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' };

/** Fresh services and a first Trainyard process on them with `overrides`; if the process fails to start, the services go. */
export async function startE2e(overrides: Overrides = {}): Promise<E2e> {
  const services = await realServices();
  const running: RunningTrainyard[] = [];
  const startAnother = async (more: Overrides = {}): Promise<RunningTrainyard> => {
    const t = await startTrainyard(loadConfig({ ...services.env, ...TEST_PROCESS, ...more }));
    let closing: Promise<void> | undefined;
    const once = { ...t, close: () => (closing ??= t.close()) };
    running.unshift(once);
    return once;
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const t of running) await t.close().catch((e: unknown) => console.error(e));
      await services.teardown();
    })());
  try {
    const ty = await startAnother(overrides);
    return { ty, app: ty.app, url: ty.url, services, startAnother, close };
  } catch (e) {
    await close();
    throw e;
  }
}
