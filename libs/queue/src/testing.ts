import { JOBS } from '@trainyard/common';
import { JobHandlers } from './job-queue';

/**
 * Tests: a handler for every job name, the given ones, and for the rest one that fails loudly. Keeps
 * a test's handler map valid as jobs are added to the map.
 */
export const withHandlers = (given: Partial<JobHandlers>): JobHandlers => ({
  ...(Object.fromEntries(
    Object.keys(JOBS).map((name) => [
      name,
      async () => {
        throw new Error(`unexpected job ${name}`);
      },
    ]),
  ) as unknown as JobHandlers),
  ...given,
});
