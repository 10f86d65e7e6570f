import * as path from 'path';
import { Worker } from 'worker_threads';
import { nativeKernels } from './native';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../../..');
const run = (steps: number) =>
  new Promise<string>((resolve, reject) => {
    const w = new Worker(path.join(__dirname, '../testing/train-hash-worker.ts'), {
      execArgv: ['-r', path.join(ROOT, 'libs/engine/src/thread/register-ts.js')],
      workerData: { steps },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });

// The native kernels keep scratch buffers; two training threads in one process (the worker's
// concurrency setting) must not share them (they did: both runs ended with NaN weights).
test('two training threads at once give the same weights as one alone', async () => {
  if (!nativeKernels()) return;
  const alone = await run(60);
  const both = await Promise.all([run(60), run(60)]);
  expect(both).toEqual([alone, alone]);
});
