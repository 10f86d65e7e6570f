/**
 * `npm run bench:train`: Trainyard's training throughput vs PyTorch on the same machine, same run.
 *
 * For LeNet-5 (32x32x1) and the CIFAR-style `cnn` (32x32x3) at batch 32 and 64, and at batch 64 `mlp`
 * (28x28x1, hidden 512-256), `resnet` depth 20 (32x32x3) and LeNet-5 submitted as a custom tfjs
 * topology (lenet5_custom, which should match the built-in one), it prints Trainyard's
 * training samples/s (Trainer.fit on synthetic batches, Momentum 0.9, lr 0.01) on wasm (and on the
 * pure-JS cpu backend for a couple of steps), PyTorch's samples/s for the same architecture, optimizer
 * and batch (test/bench/torch_train.py under /usr/bin/python3), the ratio, tf.memory().numTensors and
 * RSS after each epoch, a per-kernel profile of one step, and aggregate samples/s of 1 vs 2 concurrent
 * training processes. Last line: RESULT lenet5_b64_samples_per_s=.. lenet5_b64_ratio=.. cnn_b64_ratio=..
 * mlp_b64_ratio=.. resnet20_b64_ratio=.. lenet5_custom_b64_ratio=.. custom_vs_builtin_lenet5=..
 *
 * Flags: --quick (fewer steps), --no-torch, --no-concurrency, --no-cpu, --no-js-compare, --rows a_b64,b_b64.
 * Internal: --worker MODEL BATCH STEPS (one training process for the concurrency measurement).
 */
import { execFileSync, spawn } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, buildOptimizer, initBackend, Trainer } from '@trainyard/engine';
import type { Batch, BatchSource, ModelSpec } from '@trainyard/engine';
/** Bench rows: zoo models, and LeNet-5 submitted as a custom Keras/tfjs topology. */
type ModelName = 'lenet5' | 'cnn' | 'mlp' | 'resnet20' | 'lenet5_custom';
import { nativeKernels, useNativeKernels } from '../../libs/engine/src/kernels';

const argv = process.argv.slice(2);
const flag = (f: string) => argv.includes(f);
const QUICK = flag('--quick');
const PY = process.env.TRAINYARD_BENCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = path.resolve(__dirname, '../../../test/bench/torch_train.py');

const SHAPES: Record<ModelName, [number, number, number]> = {
  lenet5: [32, 32, 1],
  cnn: [32, 32, 3],
  mlp: [28, 28, 1],
  resnet20: [32, 32, 3],
  lenet5_custom: [32, 32, 1],
};
/** The PyTorch peer of each row (the custom topology is LeNet-5). */
const TORCH_MODEL: Record<ModelName, string> = { lenet5: 'lenet5', cnn: 'cnn', mlp: 'mlp', resnet20: 'resnet20', lenet5_custom: 'lenet5' };

/**
 * LeNet-5 written with the tfjs layers API by hand (not through the zoo), serialized with toJSON():
 * what a user submits as a custom topology.
 */
function customLenetTopology(): Record<string, unknown> {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 6, kernelSize: 5, activation: 'relu', name: 'c1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', name: 'c2' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p2' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 120, activation: 'relu', name: 'd1' }),
      tf.layers.dense({ units: 84, activation: 'relu', name: 'd2' }),
      tf.layers.dense({ units: 10, name: 'logits' }),
    ],
  });
  const json = m.toJSON(null, false) as Record<string, unknown>;
  m.dispose();
  return json;
}

function modelSpec(model: ModelName): ModelSpec {
  const base = { inputShape: SHAPES[model], numClasses: 10, seed: 7 };
  switch (model) {
    case 'resnet20':
      return { ...base, name: 'resnet', params: { depth: 20 } };
    case 'lenet5_custom':
      return { ...base, name: 'custom', params: { topology: customLenetTopology() } };
    default:
      return { ...base, name: model };
  }
}

/** Steps per epoch and epochs per (model, batch) on wasm; sized so the whole bench stays ~5-8 min. */
function plan(model: ModelName, batch: number): { steps: number; epochs: number } {
  const samples = model === 'lenet5' || model === 'lenet5_custom' || model === 'mlp' ? (QUICK ? 2000 : 8000) : model === 'resnet20' ? (QUICK ? 192 : 768) : QUICK ? 256 : 1024;
  return { steps: Math.max(2, Math.round(samples / batch / 3)), epochs: 3 };
}

function syntheticSource(model: ModelName, batch: number, steps: number, seed = 1): BatchSource {
  const [h, w, c] = SHAPES[model];
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  // A small pool of pre-built batches, so the hot path does no data generation.
  const pool: Batch[] = Array.from({ length: 4 }, () => {
    const x = new Float32Array(batch * h * w * c);
    for (let i = 0; i < x.length; i++) x[i] = rnd();
    const y = new Int32Array(batch);
    for (let i = 0; i < batch; i++) y[i] = Math.floor(rnd() * 10);
    return { x, y, xShape: [batch, h, w, c] };
  });
  return {
    batchesPerEpoch: steps,
    *epoch() {
      for (let i = 0; i < steps; i++) yield pool[i % pool.length];
    },
  };
}

function makeTrainer(model: ModelName): Trainer {
  return new Trainer({
    model: buildModel(modelSpec(model)),
    optimizer: buildOptimizer({ name: 'Momentum', learningRate: 0.01, momentum: 0.9 }),
  });
}

interface EpochStat {
  samplesPerSec: number;
  numTensors: number;
  rssMiB: number;
  loss: number;
}

async function trainTfjs(model: ModelName, batch: number, steps: number, epochs: number, log = true) {
  const trainer = makeTrainer(model);
  // Warm-up (kernel setup, XNNPACK operator creation, first-use allocations).
  await trainer.fit(syntheticSource(model, batch, 2), { epochs: 1 });
  const stats: EpochStat[] = [];
  let t0 = 0;
  await trainer.fit(syntheticSource(model, batch, steps), {
    epochs,
    callbacks: [
      {
        onEpochBegin: () => {
          t0 = performance.now();
        },
        onEpochEnd: (logs) => {
          const dt = performance.now() - t0;
          const st: EpochStat = {
            samplesPerSec: (logs.steps * batch * 1000) / dt,
            numTensors: tf.memory().numTensors,
            rssMiB: process.memoryUsage().rss / 2 ** 20,
            loss: logs.meanLoss,
          };
          stats.push(st);
          if (log) {
            console.log(
              `  ${tf.getBackend()} ${model} b${batch} epoch ${logs.epoch + 1}/${epochs}: ${st.samplesPerSec.toFixed(0)} samples/s ` +
                `(${(dt / logs.steps).toFixed(2)} ms/step), loss ${st.loss.toFixed(4)}, numTensors ${st.numTensors}, rss ${st.rssMiB.toFixed(0)} MiB`,
            );
          }
        },
      },
    ],
  });
  // Throughput: the best epoch after the first (the other engineers share these 2 cores).
  const rest = stats.length > 1 ? stats.slice(1) : stats;
  const samplesPerSec = Math.max(...rest.map((s) => s.samplesPerSec));
  const profile = await profileStep(trainer, model, batch);
  trainer.model.dispose();
  trainer.optimizer.dispose();
  return { samplesPerSec, stats, profile };
}

/** tf.profile of one training step, kernels summed by name, slowest first. */
async function profileStep(trainer: Trainer, model: ModelName, batch: number) {
  const b = syntheticSource(model, batch, 1).epoch(0) as Iterable<Batch>;
  const [first] = [...b];
  const t0 = performance.now();
  const info = await tf.profile(() => trainer.trainStep(first));
  const wall = performance.now() - t0;
  tf.dispose(info.result as tf.Tensor);
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    by.set(k.name, e);
  }
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((a, r) => a + r[1].ms, 0);
  return { wall, kernelMs, kernels: info.kernels.length, rows };
}

function printProfile(title: string, p: Awaited<ReturnType<typeof profileStep>>) {
  console.log(
    `  profile ${title}: ${p.kernels} kernel calls, kernels ${p.kernelMs.toFixed(2)} ms of ${p.wall.toFixed(2)} ms wall (profiled step; rest = JS/engine overhead)`,
  );
  for (const [name, e] of p.rows.slice(0, 14)) {
    console.log(`    ${name.padEnd(24)} ${e.ms.toFixed(2).padStart(8)} ms  x${e.n}`);
  }
}

interface TorchResult {
  samples_per_s: number;
  ms_per_step: number;
  threads: number;
  default_threads: number;
  version: string;
}

function torchAvailable(): boolean {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's python3-torch when absent and apt works (as the issue asks); false otherwise. */
function ensureTorch(): boolean {
  if (torchAvailable()) return true;
  if (process.getuid?.() !== 0 || process.env.TRAINYARD_BENCH_NO_APT) return false;
  try {
    console.log('  PyTorch missing: apt-get install -y python3-torch ...');
    execFileSync('apt-get', ['install', '-y', '-q', 'python3-torch'], { stdio: 'ignore', timeout: 600_000 });
  } catch {
    return false;
  }
  return torchAvailable();
}

function runTorch(model: ModelName, batch: number, steps: number, threads: number): TorchResult | undefined {
  try {
    const out = execFileSync(
      PY,
      [TORCH_SCRIPT, '--model', TORCH_MODEL[model], '--batch', String(batch), '--steps', String(steps), '--threads', String(threads)],
      { encoding: 'utf8', timeout: 300_000 },
    );
    return JSON.parse(out.trim().split('\n').pop()!) as TorchResult;
  } catch (e) {
    console.log(`  torch ${model} b${batch} failed: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** One training process for the concurrency measurement: prints JSON {samples, ms}. */
async function worker(model: ModelName, batch: number, steps: number) {
  await initBackend('wasm');
  const trainer = makeTrainer(model);
  await trainer.fit(syntheticSource(model, batch, 3), { epochs: 1 });
  const t0 = performance.now();
  await trainer.fit(syntheticSource(model, batch, steps), { epochs: 1 });
  const ms = performance.now() - t0;
  const end = Date.now();
  console.log(JSON.stringify({ samples: steps * batch, ms, end }));
}

function runWorkers(n: number, model: ModelName, batch: number, steps: number): Promise<number> {
  const t0 = Date.now();
  const one = () =>
    new Promise<{ samples: number; ms: number }>((resolve, reject) => {
      const p = spawn(process.execPath, [__filename, '--worker', model, String(batch), String(steps)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`worker exit ${code}`))));
    });
  return Promise.all(Array.from({ length: n }, one)).then((rs) => {
    // Aggregate: all samples over the longest worker's training time.
    const samples = rs.reduce((a, r) => a + r.samples, 0);
    const ms = Math.max(...rs.map((r) => r.ms));
    void t0;
    return (samples * 1000) / ms;
  });
}

const fmt = (n: number | undefined, d = 0) => (n == null || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));

async function main() {
  if (argv[0] === '--worker') return worker(argv[1] as ModelName, Number(argv[2]), Number(argv[3]));
  const started = performance.now();
  console.log(`bench:train  node ${process.version}, tfjs ${tf.version.tfjs}, ${require('os').cpus().length} cpus${QUICK ? ', --quick' : ''}`);
  const wantTorch = !flag('--no-torch') && ensureTorch();
  if (!wantTorch) console.log('  PyTorch not available: ratios will be n/a');

  const results: Record<string, { tfjs: number; torch?: number; torch2?: number }> = {};
  const { name } = await initBackend('wasm');
  const addon = nativeKernels();
  console.log(
    `backend ${name}; native kernels: ${addon ? `yes (${addon.isa})` : 'no (JS overrides only; build with node libs/engine/native/build.js)'}`,
  );
  if (addon && !flag('--no-js-compare')) {
    // The same run without the native addon (what a machine without a C++ compiler gets).
    useNativeKernels(false);
    for (const model of ['lenet5', 'cnn'] as ModelName[]) {
      const { steps } = plan(model, 64);
      const r = await trainTfjs(model, 64, Math.max(2, Math.round(steps / 2)), 2, false);
      console.log(`${model} b64: trainyard wasm, JS overrides only (no native addon): ${fmt(r.samplesPerSec)} samples/s`);
    }
    useNativeKernels(true);
  }
  const rows: Array<[ModelName, number]> = [
    ['lenet5', 32],
    ['lenet5', 64],
    ['cnn', 32],
    ['cnn', 64],
    ['mlp', 64],
    ['resnet20', 64],
    ['lenet5_custom', 64],
  ];
  // --rows lenet5_b64,mlp_b64 runs a subset (the interleaved custom comparison always runs).
  const only = argv.includes('--rows') ? argv[argv.indexOf('--rows') + 1].split(',') : undefined;
  for (const [model, batch] of rows) {
    if (!only || only.includes(`${model}_b${batch}`)) {
      const { steps, epochs } = plan(model, batch);
      const r = await trainTfjs(model, batch, steps, epochs);
      let torch: TorchResult | undefined;
      let torch2: TorchResult | undefined;
      if (wantTorch) {
        const tsteps = Math.max(5, Math.round((steps * epochs) / 2));
        torch = runTorch(model, batch, tsteps, 1);
        torch2 = runTorch(model, batch, Math.max(3, Math.round(tsteps / 4)), 2);
      }
      results[`${model}_b${batch}`] = { tfjs: r.samplesPerSec, torch: torch?.samples_per_s, torch2: torch2?.samples_per_s };
      console.log(
        `${model} b${batch}: trainyard wasm ${fmt(r.samplesPerSec)} samples/s | pytorch ${torch?.version ?? ''} 1 thread ${fmt(torch?.samples_per_s)} ` +
          `(torch default here: ${torch?.default_threads ?? '?'} thread), 2 threads ${fmt(torch2?.samples_per_s)} | ratio ${fmt(torch ? r.samplesPerSec / torch.samples_per_s : NaN, 3)}`,
      );
      if (batch === 64) printProfile(`${model} b${batch} wasm`, r.profile);
    }
  }

  if (!flag('--no-cpu')) {
    // The pure-JS backend: two steps of LeNet-5 show the order of magnitude (it trains at ~13 samples/s).
    await initBackend('cpu');
    for (const batch of [32, 64]) {
      const trainer = makeTrainer('lenet5');
      const t0 = performance.now();
      await trainer.fit(syntheticSource('lenet5', batch, 1), { epochs: 1 });
      const t1 = performance.now();
      await trainer.fit(syntheticSource('lenet5', batch, 1), { epochs: 1 });
      const ms = performance.now() - t1;
      console.log(`lenet5 b${batch}: trainyard cpu ${fmt((batch * 1000) / ms, 1)} samples/s (1 step after 1 warm-up of ${(t1 - t0).toFixed(0)} ms); cnn on cpu skipped (minutes per step)`);
      trainer.model.dispose();
      trainer.optimizer.dispose();
    }
    await initBackend('wasm');
  }

  if (!flag('--no-concurrency')) {
    const steps = QUICK ? 40 : 120;
    const one = await runWorkers(1, 'lenet5', 64, steps);
    const two = await runWorkers(2, 'lenet5', 64, steps);
    console.log(
      `concurrency lenet5 b64 wasm: 1 process ${fmt(one)} samples/s, 2 processes ${fmt(two)} samples/s aggregate (x${fmt(two / one, 2)}; 2 cores shared with other work)`,
    );
  }

  // Custom topology vs built-in LeNet-5, interleaved in one process so load changes hit both alike:
  // rounds of M steps each, the median of the per-round ratios.
  let customVsBuiltin: number | undefined;
  {
    const builtin = makeTrainer('lenet5');
    const custom = makeTrainer('lenet5_custom');
    const m = QUICK ? 20 : 60;
    const src = syntheticSource('lenet5', 64, m);
    await builtin.fit(syntheticSource('lenet5', 64, 3), { epochs: 1 });
    await custom.fit(syntheticSource('lenet5', 64, 3), { epochs: 1 });
    const ratios: number[] = [];
    const time = async (t: Trainer) => {
      const t0 = performance.now();
      await t.fit(src, { epochs: 1 });
      return performance.now() - t0;
    };
    for (let round = 0; round < (QUICK ? 6 : 10); round++) {
      // Alternate which goes first, so an ordering effect (GC, caches) does not favour one.
      const [b, c] = round % 2 === 0 ? [await time(builtin), await time(custom)] : [await time(custom), await time(builtin)].reverse();
      ratios.push(b / c);
    }
    ratios.sort((a, b) => a - b);
    customVsBuiltin = ratios[Math.floor(ratios.length / 2)];
    console.log(
      `lenet5_custom vs built-in lenet5, b64, interleaved ${ratios.length} x ${m} steps: custom speed / built-in speed median ${fmt(customVsBuiltin, 3)} (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
    );
  }

  console.log(`total bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const l = results.lenet5_b64;
  const c = results.cnn_b64;
  const ratio = (r?: { tfjs: number; torch?: number }) => (r?.torch ? (r.tfjs / r.torch).toFixed(3) : 'n/a');
  const custom = results.lenet5_custom_b64;
  void custom;
  console.log(
    `RESULT lenet5_b64_samples_per_s=${fmt(l?.tfjs)} lenet5_b64_ratio=${ratio(l)} cnn_b64_ratio=${ratio(c)} mlp_b64_ratio=${ratio(results.mlp_b64)} ` +
      `resnet20_b64_ratio=${ratio(results.resnet20_b64)} lenet5_custom_b64_ratio=${ratio(custom)} custom_vs_builtin_lenet5=${fmt(customVsBuiltin, 3)}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
