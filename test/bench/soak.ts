/**
 * npm run bench:soak -- [--minutes 10] [--port 3170] [--experiments 2] [--rate 5] [--warmup 30]
 *
 * A soak on real services: a fresh Postgres database, Redis (a fresh queue prefix) and an s3rver,
 * with the API, the worker and the predict server each as its own OS process (the compiled dist/),
 * plus a separate process sending steady predict traffic. For the whole time it uploads datasets,
 * keeps `--experiments` training runs going (cancelling about a third of them once they run, then
 * resuming each from its last checkpoint with resumeExperiment),
 * re-sends submits with the same idempotency key, and polls everything through the API. After a
 * warm-up it samples the RSS of every process each second (growth: the lowest RSS of the last window
 * minus the lowest of the first, so threads alive at one instant do not count); at the end it checks the database against what the
 * API accepted: lost rows (an accepted experiment missing or never finished, loss points or
 * checkpoint bytes missing, an uploaded file missing) and duplicated rows.
 * Last line: RESULT errors=<n> lost=<n> duplicated=<n> rss_growth_mb=<max> p99_ms=<n>
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Client } from 'pg';
import { createFreshDatabase } from '../../libs/db/src/testing/fresh-database';
import { TrainyardClient, waitForDataset } from '../support/client';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';
import { startS3rver, storeOf } from '../support/s3rver';
import { freshQueuePrefix, REDIS_URL } from '../support/services';

const DIST = path.resolve(__dirname, '../..'); // dist/
const TRAIN = 512;
const TEST = 128;
const PER_PRINT = 4;

const log = (msg: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

class Proc {
  readonly child: ChildProcess;
  readonly logFile: string;
  exited = false;
  constructor(readonly name: string, args: string[], env: Record<string, string>, logDir: string) {
    this.logFile = path.join(logDir, `${name}.log`);
    const out = fs.openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', out, out] });
    this.child.once('exit', () => (this.exited = true));
  }
  rssMb(): number {
    try {
      const m = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      return m ? Number(m[1]) / 1024 : NaN;
    } catch {
      return NaN;
    }
  }
  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await done;
    clearTimeout(t);
  }
}

async function waitHttp(url: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Tracked {
  id: string;
  key: string;
  input: Record<string, unknown>;
  cancel: boolean;
  cancelled?: boolean;
  resumed?: boolean;
  status?: string;
}

async function main() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      port: { type: 'string', default: '3170' },
      experiments: { type: 'string', default: '2' },
      rate: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '30' },
    },
  });
  const minutes = Number(values.minutes);
  const apiPort = Number(values.port);
  const servePort = apiPort + 1;
  const concurrency = Number(values.experiments);
  const warmupMs = Math.min(Number(values.warmup) * 1000, (minutes * 60_000) / 3);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-soak-'));
  log(`${minutes} min, ${concurrency} concurrent experiments, predict ${values.rate}/s; process logs in ${logDir}`);

  const db = await createFreshDatabase('trainyard_soak');
  const queue = freshQueuePrefix();
  const s3 = await startS3rver();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    TRAINYARD_DATA_DIR: path.join(logDir, 'data'),
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: queue.prefix,
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    WORKER_CONCURRENCY: String(concurrency),
    WORKER_POLL_INTERVAL_MS: '250',
    RECONCILE_INTERVAL_MS: '5000',
  };
  const workerProbePort = apiPort + 2;
  const procs: Proc[] = [];
  const errors: string[] = [];
  const error = (what: string) => {
    errors.push(what);
    if (errors.length <= 20) log(`ERROR ${what.slice(0, 300)}`);
  };
  let predictOut = '';
  let predict: Proc | undefined;

  try {
    const api = new Proc('api', [path.join(DIST, 'apps/api/src/main.js')], { ...env, PORT: String(apiPort) }, logDir);
    procs.push(api);
    await waitHttp(`http://127.0.0.1:${apiPort}/healthz`);
    const worker = new Proc('worker', [path.join(DIST, 'apps/worker/src/main.js')], { ...env, WORKER_HEALTH_PORT: String(workerProbePort) }, logDir);
    procs.push(worker);
    procs.push(new Proc('serve', [path.join(DIST, 'apps/serve/src/main.js')], { ...env, PORT: String(servePort) }, logDir));
    await waitHttp(`http://127.0.0.1:${servePort}/healthz`);
    // Async: s3rver runs in this process and must keep answering while the command runs.
    const key = (await promisify(execFile)(process.execPath, [path.join(DIST, 'apps/api/src/cli/create-team.js'), 'soak'], { env: { PATH: process.env.PATH ?? '', ...env } })).stdout.trim();
    if (!/^ty_\S+$/.test(key) || key.includes('\n')) throw new Error('team:create did not print exactly one key');
    const client = new TrainyardClient(`http://127.0.0.1:${apiPort}`, key);

    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      try {
        const r = await client.gql(query, variables);
        if (r.errors?.length) error(`graphql: ${r.errors.map((e) => `${e.extensions?.code} ${e.message}`).join('; ')}`);
        return r.data;
      } catch (e) {
        error(`graphql transport: ${(e as Error).message}`);
        return undefined;
      }
    };

    const uploaded: string[] = [];
    let datasets = 0;
    const uploadDataset = async () => {
      const name = `soak-${datasets++}`;
      const d = await gql(`mutation($n: String!) { createDataset(name: $n) { id } }`, { n: name });
      if (!d) return undefined;
      const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
      for (const slug of Object.keys(counts) as MnistSlug[]) {
        const r = await client.upload(d.createDataset.id, slug, mnistSubset(slug, counts[slug])).catch((e: Error) => ({ status: 0, body: e.message }));
        if (r.status !== 200) error(`upload ${slug}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      uploaded.push(d.createDataset.id);
      // The fourth file starts the ingest job: the dataset is usable once its version is READY.
      try {
        await waitForDataset(client, d.createDataset.id, 300_000);
      } catch (e) {
        error(`dataset ${name}: ${(e as Error).message}`);
        return undefined;
      }
      return d.createDataset.id as string;
    };

    const EXP = `id status progress { step totalSteps } failureReason checkpoints { id step }`;
    const tracked: Tracked[] = [];
    let submitted = 0;
    const submit = async (datasetId: string, cancel: boolean) => {
      const k = `soak-${submitted++}-${randomBytes(4).toString('hex')}`;
      const input = {
        name: `soak-${submitted}`,
        datasetId,
        idempotencyKey: k,
        model: { name: 'lenet5' },
        pipeline: { batchSize: 32, shuffleBufferSize: 512 },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs: 3,
        perPrintTimes: PER_PRINT,
        checkpoint: { saveCheckpointSteps: 8, keepCheckpointMax: 2 },
      };
      const d = await gql(`mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { ${EXP} } }`, { i: input });
      if (d) tracked.push({ id: d.submitExperiment.id, key: k, input, cancel, status: d.submitExperiment.status });
      return d?.submitExperiment;
    };
    const waitFor = async (id: string, done: (e: any) => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const d = await gql(`query($id: ID!) { experiment(id: $id) { ${EXP} } }`, { id });
        if (d && done(d.experiment)) return d.experiment;
        if (Date.now() > deadline) throw new Error(`experiment ${id} did not get there in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    // Setup: a dataset, one run, a deployment for the predict traffic.
    const firstDataset = await uploadDataset();
    if (!firstDataset) throw new Error('setup: could not create the first dataset');
    const first = await submit(firstDataset, false);
    const trained = await waitFor(first.id, (e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status), 300_000);
    if (trained.status !== 'SUCCEEDED') throw new Error(`setup run ended ${trained.status}: ${trained.failureReason}`);
    await gql(`mutation($c: ID!) { deployCheckpoint(name: "soak", checkpointId: $c) { name } }`, { c: trained.checkpoints[trained.checkpoints.length - 1].id });
    log(`setup done: dataset, first run (${trained.progress.totalSteps} steps), deployment "soak"`);
    // Warm the model up (the first call loads it) and check one call works before the traffic starts.
    const serveClient = new TrainyardClient(`http://127.0.0.1:${servePort}`, key);
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const r = await serveClient.post('/v1/models/soak:predict', { instances: [mnistTestSample(i).pixels] });
      log(`predict ${i}: ${r.status} in ${Date.now() - t0} ms`);
      if (r.status !== 200) throw new Error(`setup predict: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }

    const started = Date.now();
    const deadline = started + minutes * 60_000;
    predict = new Proc(
      'predict',
      [path.join(DIST, 'test/bench/soak-predict.js'), '--url', `http://127.0.0.1:${servePort}`, '--rate', String(values.rate), '--seconds', String(Math.ceil((deadline - Date.now()) / 1000) + 600)],
      { SOAK_API_KEY: key },
      logDir,
    );
    procs.push(predict);

    let rssStart: Record<string, number> | undefined;
    const rssNow = (): Record<string, number> => Object.fromEntries([...procs.map((p) => [p.name, p.rssMb()]), ['driver', process.memoryUsage().rss / 2 ** 20]]);
    // RSS every second after the warm-up. A worker's RSS swings by hundreds of MB with the training
    // and prefetch threads alive at that instant, so growth compares floors: the lowest RSS in the
    // first window after the warm-up against the lowest in the last (a leak raises the floor).
    const samples: Array<Record<string, number>> = [];
    const sampler = setInterval(() => rssStart && samples.push(rssNow()), 1000);
    let lastUpload = Date.now();
    let lastReport = Date.now();
    let cancels = 0;
    let idempotentChecks = 0;
    let duplicated = 0;
    const datasetPool = [firstDataset];

    while (Date.now() < deadline) {
      if (!rssStart && Date.now() - started >= warmupMs) {
        rssStart = rssNow();
        log(`warm-up over; RSS MB ${JSON.stringify(roundAll(rssStart))}`);
      }
      for (const p of procs) if (p.exited && p !== predict) error(`process ${p.name} exited`);
      // A cancelled run waiting for its resume still counts as active (it will run again).
    const active = tracked.filter((t) => !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(t.status ?? '') || (t.cancelled && !t.resumed && t.status === 'CANCELLED'));
      for (let i = active.length; i < concurrency; i++) {
        const e = await submit(datasetPool[Math.floor(Math.random() * datasetPool.length)], Math.random() < 0.35);
        // Same key, same request: the same experiment comes back.
        if (e && Math.random() < 0.3) {
          const t = tracked[tracked.length - 1];
          const again = await gql(`mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`, { i: t.input });
          idempotentChecks++;
          if (again && again.submitExperiment.id !== t.id) duplicated++;
        }
      }
      for (const t of active) {
        const d = await gql(`query($id: ID!) { experiment(id: $id) { ${EXP} } }`, { id: t.id });
        if (!d) continue;
        t.status = d.experiment.status;
        if (t.status === 'FAILED') error(`experiment ${t.id} FAILED: ${d.experiment.failureReason}`);
        if (t.cancel && !t.cancelled && t.status === 'RUNNING' && d.experiment.progress.step > 0) {
          t.cancelled = true;
          cancels++;
          await gql(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id: t.id });
        }
        // Once the cancel has landed, resume the run from its last checkpoint (it runs to the end).
        if (t.cancelled && !t.resumed && t.status === 'CANCELLED') {
          t.resumed = true;
          const r = await gql(`mutation($id: ID!) { resumeExperiment(id: $id) { id status } }`, { id: t.id });
          if (r) t.status = r.resumeExperiment.status;
        }
      }
      if (Date.now() - lastUpload > 20_000) {
        lastUpload = Date.now();
        const id = await uploadDataset();
        if (id) datasetPool.push(id);
      }
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        const done = tracked.filter((t) => t.status === 'SUCCEEDED').length;
        log(`${Math.round((Date.now() - started) / 1000)} s: ${tracked.length} experiments (${done} succeeded, ${cancels} cancelled+resumed), ${datasets} datasets, ${errors.length} errors; RSS MB ${JSON.stringify(roundAll(rssNow()))}`);
        log(`  worker: ${await workerMemory(worker, workerProbePort)}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    clearInterval(sampler);
    rssStart ??= rssNow();
    const rssEnd = rssNow(); // the predict process runs until stopped below, so it is measured too
    samples.push(rssEnd);
    const win = Math.max(1, Math.min(Math.floor(samples.length / 3), Math.max(60, Math.floor(samples.length / 5))));
    const floorOf = (part: Array<Record<string, number>>) =>
      Object.fromEntries(Object.keys(rssEnd).map((k) => [k, Math.min(...part.map((x) => x[k]).filter(Number.isFinite))]));
    const floorStart = floorOf(samples.slice(0, win));
    const floorEnd = floorOf(samples.slice(-win));
    const peak = Object.fromEntries(Object.keys(rssEnd).map((k) => [k, Math.max(...samples.map((x) => x[k]).filter(Number.isFinite))]));
    log(`time is up; waiting for ${tracked.filter((t) => !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(t.status ?? '')).length} runs to finish`);
    for (const t of tracked) {
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(t.status ?? '')) continue;
      const e = await waitFor(t.id, (x) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(x.status), 300_000).catch((err: Error) => {
        error(err.message);
        return undefined;
      });
      if (e) {
        t.status = e.status;
        if (e.status === 'FAILED') error(`experiment ${t.id} FAILED: ${e.failureReason}`);
      }
    }
    await predict.stop();
    predictOut = fs.readFileSync(predict.logFile, 'utf8');
    const pm = predictOut.match(/^PREDICT (.*)$/m);
    const predictStats = pm ? JSON.parse(pm[1]) : undefined;
    if (!predictStats) error('the predict process printed no result');
    else {
      for (let i = 0; i < predictStats.errors; i++) errors.push('predict');
      if (predictStats.errors) log(`predict errors: ${predictStats.errors}, first: ${JSON.stringify(predictStats.firstErrors)}`);
    }

    // The database against what the API accepted.
    const store = storeOf(s3);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    let lost = 0;
    const lostWhy: string[] = [];
    const lose = (why: string) => {
      lost++;
      if (lostWhy.length < 10) lostWhy.push(why);
    };
    for (const t of tracked) {
      const { rows } = await pg.query(`SELECT status, "totalSteps", step FROM "Experiment" WHERE id = $1`, [t.id]);
      if (rows.length === 0) {
        lose(`experiment ${t.id} missing`);
        continue;
      }
      const row = rows[0];
      if (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(row.status)) lose(`experiment ${t.id} still ${row.status}`);
      if (row.status === 'SUCCEEDED') {
        const { rows: l } = await pg.query(`SELECT count(*)::int AS n FROM "LossPoint" WHERE "experimentId" = $1`, [t.id]);
        const expected = Math.floor(row.totalSteps / PER_PRINT);
        if (l[0].n < expected) lose(`experiment ${t.id}: ${expected - l[0].n} loss points missing`);
        if (l[0].n > expected) duplicated += l[0].n - expected;
      }
      const { rows: c } = await pg.query(`SELECT "storageKey" FROM "Checkpoint" WHERE "experimentId" = $1`, [t.id]);
      for (const { storageKey } of c) if (!(await store.exists(storageKey))) lose(`checkpoint bytes missing: ${storageKey}`);
    }
    const { rows: dupKeys } = await pg.query(`SELECT "idempotencyKey", count(*)::int AS n FROM "Experiment" WHERE "idempotencyKey" IS NOT NULL GROUP BY 1 HAVING count(*) > 1`);
    duplicated += dupKeys.reduce((a: number, r: { n: number }) => a + r.n - 1, 0);
    const { rows: extra } = await pg.query(`SELECT count(*)::int AS n FROM "Experiment"`);
    if (extra[0].n > tracked.length) duplicated += extra[0].n - tracked.length;
    for (const id of uploaded) {
      const { rows: files } = await pg.query(`SELECT s."storageKey" FROM "DatasetSource" s JOIN "DatasetVersion" v ON v.id = s."versionId" WHERE v."datasetId" = $1`, [id]);
      if (files.length !== 4) lose(`dataset ${id}: ${files.length} of 4 source files`);
      for (const { storageKey } of files) if (!(await store.exists(storageKey))) lose(`dataset bytes missing: ${storageKey}`);
    }
    await pg.end();
    store.close();

    const growth = Object.fromEntries(Object.keys(rssEnd).map((k) => [k, floorEnd[k] - floorStart[k]]));
    const maxGrowth = Math.max(...Object.values(growth).filter((v) => Number.isFinite(v)));
    const succeeded = tracked.filter((t) => t.status === 'SUCCEEDED').length;
    console.log('');
    log(`experiments: ${tracked.length} submitted, ${succeeded} succeeded, ${tracked.filter((t) => t.status === 'CANCELLED').length} cancelled (${cancels} cancel+resume), ${tracked.filter((t) => t.status === 'FAILED').length} failed; ${idempotentChecks} repeated submits with the same key`);
    log(`datasets uploaded: ${uploaded.length}`);
    log(`predict: ${predictStats?.sent ?? 0} sent, ${predictStats?.ok ?? 0} ok, ${predictStats?.errors ?? 0} errors, p50 ${predictStats?.p50_ms} ms, p99 ${predictStats?.p99_ms} ms`);
    log(`RSS MB after warm-up: ${JSON.stringify(roundAll(rssStart))}`);
    log(`RSS MB at the end:    ${JSON.stringify(roundAll(rssEnd))}`);
    log(`RSS MB floor, first ${win} s after warm-up: ${JSON.stringify(roundAll(floorStart))}`);
    log(`RSS MB floor, last ${win} s:                ${JSON.stringify(roundAll(floorEnd))}`);
    log(`RSS MB peak: ${JSON.stringify(roundAll(peak))}`);
    log(`RSS growth MB (floor to floor): ${JSON.stringify(roundAll(growth))}`);
    if (lostWhy.length) log(`lost: ${lostWhy.join('; ')}`);
    if (errors.length) log(`errors (${errors.length}), first: ${errors.slice(0, 5).map((e) => e.slice(0, 160)).join(' | ')}`);
    console.log(`RESULT errors=${errors.length} lost=${lost} duplicated=${duplicated} rss_growth_mb=${maxGrowth.toFixed(1)} p99_ms=${predictStats?.p99_ms ?? 'NaN'}`);
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
    for (const step of [s3.stop, queue.clear, db.drop]) await step().catch((e: unknown) => console.error(e));
  }
}

/**
 * Where the worker's memory is, to tell a leak's kind: the JS heap, memory V8 holds for buffers
 * outside the heap (external), and live OS threads (each training and prefetch thread has one).
 */
async function workerMemory(worker: Proc, port: number): Promise<string> {
  const threads = (() => {
    try {
      return fs.readdirSync(`/proc/${worker.child.pid}/task`).length;
    } catch {
      return NaN;
    }
  })();
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  const metric = (name: string) => Number(text.match(new RegExp(`^${name} ([0-9.e+]+)`, 'm'))?.[1] ?? NaN) / 2 ** 20;
  const mb = (v: number) => `${v.toFixed(1)} MB`;
  return `rss ${mb(worker.rssMb())}, heap used ${mb(metric('trainyard_process_nodejs_heap_size_used_bytes'))}, external ${mb(metric('trainyard_process_nodejs_external_memory_bytes'))}, ${threads} threads`;
}

const roundAll = (o: Record<string, number> = {}) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
