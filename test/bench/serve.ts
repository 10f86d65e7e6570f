/**
 * npm run bench:serve -- [--seconds 30] [--connections 64] [--model lenet5]
 *
 * Hosted predictions under load, as a new user would try them: a LeNet-5 checkpoint deployed as
 * "digits", the serve process started on its own (`node dist/apps/serve/src/main.js`, real
 * Postgres and Redis from DATABASE_URL/REDIS_URL or the local test servers), and this process driving
 * it with autocannon: N connections, each sending one MNIST digit per request (batch 1) to
 * POST /v1/models/digits:predict. Then, in this process, the raw inference rate of the same
 * checkpoint on the same runtime at batch 1 and at the batch size dynamic batching reached, so the
 * ratio of HTTP throughput to raw inference is visible. And, driven the same way, a bare node:http
 * server that parses each body and answers a constant (http-ceiling.ts): the most any Node HTTP
 * server answers on this machine with the load generator beside it.
 * Last line: RESULT rps=<n> p50_ms=<n> p99_ms=<n> errors=<n> raw_per_s=<n> runtime=<onnx|tfjs>
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { DeploymentRepository, PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { initBackend, loadOnnxRuntime, modelFromCheckpoint, tfjsRuntime } from '@trainyard/engine';
import { startTrainyard } from '../../apps/trainyard/src/app';
import { createFreshDatabase } from '../../libs/db/src/testing/fresh-database';
import { mnistTestSample } from '../support/mnist';
import { seedCheckpoint, seedOnnxExport } from '../support/serve-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<any>;

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux; undefined elsewhere).
 * Divided by the requests answered, it is the serve process's cost per request: on a shared,
 * overloaded machine a steadier figure to compare than requests/s.
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = (() => {
  try {
    return Number(require('node:child_process').execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

async function waitForServer(url: string, child: ReturnType<typeof spawn>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/v2/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('serve did not start');
}

/** samples/s of `run` at batch n, over about `ms` milliseconds. */
async function rawRate(run: (x: Float32Array, shape: number[]) => Promise<Float32Array>, modelShape: number[], n: number, ms: number) {
  const x = new Float32Array(n * modelShape.reduce((a, b) => a * b, 1)).map(() => Math.random());
  for (let i = 0; i < 20; i++) await run(x, [n, ...modelShape]);
  const lat: number[] = [];
  const start = performance.now();
  let samples = 0;
  while (performance.now() - start < ms) {
    const t = performance.now();
    await run(x, [n, ...modelShape]);
    lat.push(performance.now() - t);
    samples += n;
  }
  lat.sort((a, b) => a - b);
  return { perSecond: samples / ((performance.now() - start) / 1000), p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)] };
}

async function main() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      connections: { type: 'string', default: '64' },
      model: { type: 'string', default: 'lenet5' },
      // onnx: the checkpoint gets an ONNX export first (as the exportCheckpoint job leaves it), so serve runs onnxruntime-node.
      runtime: { type: 'string', default: 'onnx' },
      port: { type: 'string', default: '3140' },
      // Writes a V8 CPU profile of the serve process into this folder (open it in Chrome DevTools).
      profile: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  console.log(`bench:serve: ${values.model}, ${connections} connections, ${seconds} s, batch-1 requests; ${os.cpus().length} cpus, load average ${load()}`);

  const db = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, drop: async () => undefined } : await createFreshDatabase('trainyard_bench');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-serve-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `ty_bench_${process.pid}`,
    TRAINYARD_DATA_DIR: dataDir,
    NODE_ENV: 'production',
  };
  // Seed: a team, a checkpoint in the store, the deployment (through the same repository the API uses).
  const seeder = await startTrainyard(loadConfig({ ...env, TRAINYARD_ROLES: 'api', PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' }));
  const { team, apiKey } = await seeder.app.get(AuthService).createTeam('bench');
  const store = seeder.app.get<ArtifactStore>(ARTIFACT_STORE);
  const seeded = await seedCheckpoint(seeder.app.get(PrismaService), store, team.id, { model: values.model as 'lenet5' | 'cnn' });
  const onnxKey = values.runtime === 'onnx' ? await seedOnnxExport(seeder.app.get(PrismaService), store, team.id, seeded) : undefined;
  await seeder.app.get(DeploymentRepository).deployVersion(team.id, 'digits', seeded.checkpointId);
  const checkpointBytes = await store.getBytes(seeded.storageKey);
  const onnxBytes = onnxKey ? await store.getBytes(onnxKey) : undefined;
  await seeder.close();

  const url = `http://127.0.0.1:${values.port}`;
  const profile = values.profile ? [`--cpu-prof`, `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
  const serve = spawn(process.execPath, [...profile, path.join(__dirname, '../../apps/serve/src/main.js')], {
    env: { ...env, PORT: values.port, HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let result = '';
  try {
    await waitForServer(url, serve);
    const body = JSON.stringify({ instances: [mnistTestSample(0).pixels] });
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const first = await fetch(`${url}/v1/models/digits:predict`, { method: 'POST', headers, body });
    console.log(`first call: ${first.status}, ${first.headers.get('x-model-start')} (${first.headers.get('x-model-runtime')})`);
    const runtime = first.headers.get('x-model-runtime') ?? 'tfjs';
    // A short warm-up, then the measured run.
    await autocannon({ url: `${url}/v1/models/digits:predict`, method: 'POST', headers, body, connections, duration: 2 });
    const loadBefore = load();
    const cpuBefore = cpuSeconds(serve.pid);
    const r = await autocannon({ url: `${url}/v1/models/digits:predict`, method: 'POST', headers, body, connections, duration: seconds });
    const cpuAfter = cpuSeconds(serve.pid);
    const errors = r.errors + r.timeouts + r.non2xx;
    if (cpuBefore !== undefined && cpuAfter !== undefined && r.requests.total > 0) {
      console.log(`serve process CPU: ${(cpuAfter - cpuBefore).toFixed(2)} s for ${r.requests.total} requests = ${(((cpuAfter - cpuBefore) / r.requests.total) * 1e6).toFixed(0)} us/request (fast path ${process.env.SERVE_FAST_PATH === 'false' ? 'off' : 'on'})`);
    }
    console.log(`HTTP: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms, errors ${errors} (${r.non2xx} non-2xx); load average ${loadBefore} -> ${load()}`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const sum = Number(/trainyard_serve_batch_size_sum\{model="digits",version="1"\} ([\d.e+]+)/.exec(metrics)?.[1] ?? 0);
    const count = Number(/trainyard_serve_batch_size_count\{model="digits",version="1"\} ([\d.e+]+)/.exec(metrics)?.[1] ?? 1);
    const meta = (await (await fetch(`${url}/v1/models/digits/metadata`, { headers })).json()) as any;
    const meanBatch = Math.max(1, Math.round(sum / count));
    console.log(`dynamic batching: mean batch ${(sum / count).toFixed(1)}, largest ${meta.trainyard.largest_batch_seen}; cold start ${meta.trainyard.cold_start_ms} ms`);
    serve.kill('SIGTERM');
    await new Promise((res) => serve.once('exit', res));

    // The ceiling, in the same run: a bare node:http server answering the same requests with a
    // constant (http-ceiling.ts), driven the same way. serve cannot beat it on this machine.
    const ceilingPort = String(Number(values.port) + 1);
    const ceiling = spawn(process.execPath, [path.join(__dirname, 'http-ceiling.js'), ceilingPort], { stdio: ['ignore', 'ignore', 'inherit'] });
    let c: any;
    try {
      const ceilingUrl = `http://127.0.0.1:${ceilingPort}`;
      await waitForServer(ceilingUrl, ceiling);
      await autocannon({ url: `${ceilingUrl}/v1/models/digits:predict`, method: 'POST', headers, body, connections, duration: 2 });
      c = await autocannon({ url: `${ceilingUrl}/v1/models/digits:predict`, method: 'POST', headers, body, connections, duration: seconds });
    } finally {
      ceiling.kill('SIGKILL');
    }
    console.log(
      `bare node:http JSON ceiling (no auth, no model): ${c.requests.average.toFixed(0)} req/s, p50 ${c.latency.p50} ms, p99 ${c.latency.p99} ms; serve / ceiling: ${(r.requests.average / c.requests.average).toFixed(2)}`,
    );

    // Raw inference of the same checkpoint, in this process, with the serve process stopped.
    // The same loader serve uses: ONNX Runtime for an export, else TensorFlow.js.
    const rt = onnxBytes ? await loadOnnxRuntime(onnxBytes) : (await initBackend('auto'), tfjsRuntime(modelFromCheckpoint(checkpointBytes)));
    const modelShape = [32, 32, 1];
    const b1 = await rawRate((x, s) => rt.run(x, s), modelShape, 1, 3000);
    const bn = await rawRate((x, s) => rt.run(x, s), modelShape, meanBatch, 3000);
    const bmax = meta.trainyard.largest_batch_seen > meanBatch ? await rawRate((x, s) => rt.run(x, s), modelShape, meta.trainyard.largest_batch_seen, 3000) : bn;
    await rt.dispose();
    console.log(`raw ${rt.kind} inference: batch 1 ${b1.perSecond.toFixed(0)} samples/s (p50 ${b1.p50.toFixed(3)} ms, p99 ${b1.p99.toFixed(3)} ms); batch ${meanBatch} ${bn.perSecond.toFixed(0)} samples/s; batch ${meta.trainyard.largest_batch_seen} ${bmax.perSecond.toFixed(0)} samples/s`);
    console.log(`HTTP / raw batch-1: ${(r.requests.average / b1.perSecond).toFixed(2)}; load average ${load()}`);
    result = `RESULT rps=${r.requests.average.toFixed(0)} p50_ms=${r.latency.p50} p99_ms=${r.latency.p99} errors=${errors} raw_per_s=${b1.perSecond.toFixed(0)} runtime=${runtime}`;
  } finally {
    if (serve.exitCode === null) serve.kill('SIGKILL');
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(result);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
