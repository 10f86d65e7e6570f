/**
 * Processes under an orchestrator, as real OS processes (compiled by `npm run build`) on real
 * Postgres, Redis and s3rver: health and readiness routes on api, serve and the worker's probe port,
 * Prometheus metrics, graceful SIGTERM (api finishes in-flight requests; a worker checkpoints
 * mid-epoch and hands its job to another worker, which resumes from that checkpoint), JSON logs
 * without secrets.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { startS3rver } from '../support/s3rver';
import { waitUntil } from '../support/wait';
import { APP_MAINS, WorkerProcess } from '../support/worker-process';

jest.setTimeout(240_000);

const TRAIN = 960;
const TEST = 200;
const DB_PASSWORD = 'pg-Secret-7f3a9';
const REDIS_PASSWORD = 'redis-Secret-2b8c4';
const S3_SECRET = 'S3-Secret-Key-91d0e5a7';

let e2e: E2e;
let client: TrainyardClient;
let prisma: PrismaService;
let store: ArtifactStore;
let env: Record<string, string>;
let datasetId: string;
const processes: WorkerProcess[] = [];

beforeAll(async () => {
  // The API in this process, with a worker on the `jobs` lane only (dataset ingest); training runs
  // only in the worker processes the tests start.
  e2e = await startE2e({ TRAINYARD_ROLES: 'api,worker', WORKER_LANES: 'jobs' });
  env = e2e.services.env;
  client = new TrainyardClient(e2e.url, (await e2e.app.get(AuthService).createTeam('ops')).apiKey);
  prisma = e2e.app.get(PrismaService);
  store = e2e.app.get(ARTIFACT_STORE);
  datasetId = await uploadMnist('mnist');
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
});

afterAll(() => e2e?.close());

async function uploadMnist(name: string, train = TRAIN, test = TEST) {
  const { createDataset } = await client.data(`mutation($n: String!) { createDataset(name: $n) { id } }`, { n: name });
  const counts: Record<MnistSlug, number> = { 'train-images': train, 'train-labels': train, 'test-images': test, 'test-labels': test };
  for (const slug of Object.keys(counts) as MnistSlug[]) {
    expect((await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  }
  await waitForDataset(client, createDataset.id);
  return createDataset.id as string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function start(name: string, main: string, extra: Record<string, string> = {}) {
  const p = new WorkerProcess(name, { ...env, HOST: '127.0.0.1', ...extra }, main);
  processes.push(p);
  return p;
}

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
}

describe('health and readiness', () => {
  it('api and serve answer /healthz and /readyz with every dependency checked', async () => {
    const [apiPort, servePort] = [await freePort(), await freePort()];
    const api = start('api', APP_MAINS.api, { PORT: String(apiPort) });
    const serve = start('serve', APP_MAINS.serve, { PORT: String(servePort) });
    await Promise.all([api.waitFor(/GraphQL at/), serve.waitFor(/predictions at/)]);

    expect(await getJson(`http://127.0.0.1:${apiPort}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const apiReady = await getJson(`http://127.0.0.1:${apiPort}/readyz`);
    expect(apiReady.status).toBe(200);
    expect(apiReady.body).toMatchObject({ status: 'ok', draining: false });
    expect(Object.keys(apiReady.body.checks).sort()).toEqual(['database', 'redis', 'store']);
    for (const c of Object.values<any>(apiReady.body.checks)) expect(c.ok).toBe(true);

    const serveReady = await getJson(`http://127.0.0.1:${servePort}/readyz`);
    expect(serveReady.status).toBe(200);
    expect(Object.keys(serveReady.body.checks).sort()).toEqual(['database', 'defaultVersions', 'deployments', 'redis', 'store']);

    // Prometheus text from the HTTP processes: requests by status, queue depth (what scales workers).
    const metrics = await (await fetch(`http://127.0.0.1:${servePort}/metrics`)).text();
    expect(metrics).toMatch(/^trainyard_http_requests_total\{status="2xx"\} [1-9]/m);
    expect(metrics).toMatch(/^trainyard_http_requests_in_flight 1$/m); // this scrape itself
    expect(metrics).toMatch(/^trainyard_queue_jobs\{queue="training",state="wait"\} 0$/m);
  });

  it('/readyz answers 503 naming the dependency that is down, while /healthz stays 200', async () => {
    const s3 = await startS3rver({ bucket: 'readyz-bucket' });
    const app = await e2e.startAnother({ TRAINYARD_ROLES: 'api', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint });
    try {
      expect((await getJson(`${app.url}/readyz`)).status).toBe(200);
      await s3.stop();
      const down = await getJson(`${app.url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('unavailable');
      expect(down.body.checks.store.ok).toBe(false);
      expect(down.body.checks.store.error).toEqual(expect.any(String));
      expect(down.body.checks.database.ok).toBe(true);
      expect((await getJson(`${app.url}/healthz`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('worker lanes and idle exit (KEDA ScaledJob workers)', () => {
  it('a jobs-lane worker leaves training alone, and stops itself cleanly when idle', async () => {
    const { submitExperiment: exp } = await client.data(
      `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`,
      { input: { name: 'waits', datasetId, model: { name: 'lenet5' }, optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 }, epochs: 1 } },
    );
    const w = start('worker-jobs', APP_MAINS.worker, { WORKER_LANES: 'jobs', WORKER_IDLE_EXIT_MS: '2000' });
    await w.waitFor(/worker started \(redis queue, lanes jobs,/);
    await w.waitFor(/no job for 2000 ms \(WORKER_IDLE_EXIT_MS\): stopping/, 30_000);
    expect(await w.exited).toBe(0);
    const { experiment } = await client.data(`query($id: ID!) { experiment(id: $id) { status attempt } }`, { id: exp.id });
    expect(experiment).toEqual({ status: 'QUEUED', attempt: 0 });
    await client.data(`mutation($id: ID!) { cancelExperiment(id: $id) { status } }`, { id: exp.id });
  });
});

describe('graceful shutdown', () => {
  it('api: SIGTERM stops new connections, finishes the upload in flight, exits 0', async () => {
    const port = await freePort();
    const api = start('api', APP_MAINS.api, { PORT: String(port) });
    await api.waitFor(/GraphQL at/);
    const { createDataset } = await client.data(`mutation { createDataset(name: "inflight") { id } }`);
    const body = mnistSubset('train-labels', 2000);
    const half = Math.floor(body.length / 2);

    let finish!: () => void;
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'PUT', path: `/v1/datasets/${createDataset.id}/files/train-labels`, headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/octet-stream' } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, half));
      finish = () => req.end(body.subarray(half));
    });
    // The request is in the server's hands: the source is RECEIVING.
    await waitUntil(async () => {
      const { dataset } = await client.data(`query($id: ID!) { dataset(id: $id) { versions { sources { name status } } } }`, { id: createDataset.id });
      return dataset.versions.some((v: any) => v.sources.some((x: any) => x.name === 'train-labels' && x.status === 'RECEIVING'));
    }, 'the upload to be RECEIVING');
    api.signal('SIGTERM');
    await api.waitFor(/SIGTERM received/);
    // New connections are refused while the upload is still open.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    finish();
    const done = await response;
    expect(done.status).toBe(200);
    // The whole body arrived and was stored: its digest is only known after its last byte.
    expect(JSON.parse(done.body).sources).toEqual([
      expect.objectContaining({ status: 'STORED', bytesReceived: body.length, sha256: createHash('sha256').update(body).digest('hex') }),
    ]);
    expect(await api.exited).toBe(0);
  });

  it('worker: SIGTERM mid-epoch checkpoints, hands the job over, and another worker resumes it without losing or repeating a loss point', async () => {
    const secretEnv = {
      LOG_FORMAT: 'json',
      DATABASE_URL: env.DATABASE_URL.replace('postgres@', `postgres:${DB_PASSWORD}@`),
      REDIS_URL: env.REDIS_URL.replace('redis://', `redis://:${REDIS_PASSWORD}@`),
      AWS_SECRET_ACCESS_KEY: S3_SECRET,
      // A long lock: a job that reached the other worker quickly was released, not found stalled.
      WORKER_LOCK_DURATION_MS: '60000',
      WORKER_STALLED_INTERVAL_MS: '30000',
      WORKER_SHUTDOWN_GRACE_MS: '20000',
    };
    expect(secretEnv.DATABASE_URL).toContain(DB_PASSWORD);
    const [portA, portB] = [await freePort(), await freePort()];
    const a = start('worker-a', APP_MAINS.worker, { ...secretEnv, WORKER_HEALTH_PORT: String(portA) });
    await a.waitFor(/worker started/);
    const { submitExperiment: exp } = await client.data(
      `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id progress { totalSteps } } }`,
      {
        input: {
          name: 'drain',
          datasetId,
          model: { name: 'lenet5' },
          pipeline: { batchSize: 32 },
          optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
          epochs: 15,
          perPrintTimes: 5,
          checkpoint: { saveCheckpointSteps: 10, keepCheckpointMax: 3 },
        },
      },
    );
    await a.waitFor(/attempt 1: starting/);
    const b = start('worker-b', APP_MAINS.worker, { ...secretEnv, WORKER_HEALTH_PORT: String(portB) });
    await b.waitFor(/worker started/);
    await waitForExperiment(client, exp.id, (e) => e.progress.step >= 35, 120_000); // epoch 2 or later (30 steps an epoch)

    // A's probe port while it trains.
    const metricsA = await (await fetch(`http://127.0.0.1:${portA}/metrics`)).text();
    expect(metricsA).toMatch(/^trainyard_running_experiments 1$/m);
    expect(metricsA).toMatch(/^trainyard_queue_jobs\{queue="training",state="active"\} 1$/m);
    expect(Number(metricsA.match(/^trainyard_training_samples_per_second ([\d.e+]+)$/m)?.[1])).toBeGreaterThan(0);
    expect((await getJson(`http://127.0.0.1:${portA}/readyz`)).body).toMatchObject({ status: 'ok', checks: { database: { ok: true }, redis: { ok: true }, store: { ok: true } } });

    const sigterm = Date.now();
    a.signal('SIGTERM');
    const handedBack = await a.waitFor(/checkpointed at step (\d+); job handed back/, 30_000);
    const drainStep = Number(handedBack[1]);
    expect(await a.exited).toBe(0);
    expect(Date.now() - sigterm).toBeLessThan(20_000);

    const resumed = await b.waitFor(/resuming from the checkpoint at step (\d+)/, 30_000);
    expect(Number(resumed[1])).toBe(drainStep); // from the checkpoint the drain wrote, not an older one
    expect(Date.now() - sigterm).toBeLessThan(30_000); // long before the 60 s lock would have expired

    const done = await waitForExperiment(client, exp.id, (e) => e.status === 'SUCCEEDED' || e.status === 'FAILED', 150_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempt).toBe(2);
    expect(done.progress.step).toBe(exp.progress.totalSteps);
    const steps = done.losses.map((l: any) => l.step);
    expect(steps).toEqual(Array.from({ length: Math.floor(exp.progress.totalSteps / 5) }, (_, i) => (i + 1) * 5));
    // The handover did not count as a failed delivery.
    await b.waitFor(/train job experiment-[0-9a-f-]+ \(delivery 1\): succeeded/, 10_000);
    const rows = await prisma.checkpoint.findMany({ where: { experimentId: exp.id } });
    for (const row of rows) expect(await store.exists(row.storageKey)).toBe(true);

    const metricsB = await (await fetch(`http://127.0.0.1:${portB}/metrics`)).text();
    expect(metricsB).toMatch(/^trainyard_job_duration_seconds_count\{job="train",outcome="succeeded"\} 1$/m);
    expect(metricsB).toMatch(/^trainyard_running_experiments 0$/m);

    // JSON lines with the job's ids, and no secret anywhere in either worker's output.
    for (const w of [a, b]) {
      const json = w.output.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      expect(json.length).toBeGreaterThan(5);
      const training = json.filter((l) => l.context === 'Training');
      expect(training.length).toBeGreaterThan(0);
      for (const l of training) expect(l).toMatchObject({ experimentId: exp.id, jobId: `experiment-${exp.id}`, job: 'train' });
      for (const secret of [DB_PASSWORD, REDIS_PASSWORD, S3_SECRET]) expect(w.log()).not.toContain(secret);
    }
  });
});
