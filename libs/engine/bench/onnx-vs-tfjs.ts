/**
 * Inference micro-benchmark (not a test): LeNet-5 (32x32x1, 10 classes) on ONNX Runtime and on tfjs,
 * same weights, through the same InferenceRuntime interface serving uses. Prints batch-1 latency
 * (p50/p99 over sequential calls) and batch-256 throughput for each, then their ratios.
 *   npm run bench:onnx -- [--threads 1] [--backend wasm] [--seconds 3]
 *   node -r ./libs/engine/src/thread/register-ts.js libs/engine/bench/onnx-vs-tfjs.ts [same flags]
 */
import { parseArgs } from 'node:util';
import { BackendPreference, InferenceRuntime, buildModel, exportToOnnx, initBackend, loadOnnxRuntime, tfjsRuntime } from '../src';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    seconds: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(rt: InferenceRuntime, x: Float32Array): Promise<{ p50: number; p99: number; calls: number }> {
  const shape = [1, 32, 32, 1];
  for (let i = 0; i < 200; i++) await rt.run(x, shape); // warm-up
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await rt.run(x, shape);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), calls: times.length };
}

async function throughput(rt: InferenceRuntime, x: Float32Array, batch: number): Promise<number> {
  const shape = [batch, 32, 32, 1];
  for (let i = 0; i < 3; i++) await rt.run(x, shape);
  let samples = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await rt.run(x, shape);
    samples += batch;
  }
  return samples / ((performance.now() - t0) / 1000);
}

async function main() {
  const { name: backend } = await initBackend(values.backend as BackendPreference);
  const model = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 1 });
  const exported = exportToOnnx(model);
  const runtimes: InferenceRuntime[] = [await loadOnnxRuntime(exported.bytes, { intraOpThreads: Number(values.threads) }), tfjsRuntime(model)];
  const x256 = Float32Array.from({ length: 256 * 32 * 32 }, () => Math.random());
  const x1 = x256.slice(0, 32 * 32);
  console.log(`LeNet-5 inference, ${seconds}s per measurement; onnxruntime-node intra-op threads=${values.threads}, tfjs backend=${backend}`);
  const rows: Record<string, { p50: number; p99: number; perSec: number }> = {};
  for (const rt of runtimes) {
    const l = await latency(rt, x1);
    const perSec = await throughput(rt, x256, 256);
    rows[rt.kind] = { p50: l.p50, p99: l.p99, perSec };
    console.log(`${rt.kind.padEnd(5)} batch-1 p50=${l.p50.toFixed(3)} ms p99=${l.p99.toFixed(3)} ms (${l.calls} calls); batch-256 ${perSec.toFixed(0)} samples/s`);
  }
  const o = rows.onnx;
  const t = rows.tfjs;
  console.log(
    `RESULT onnx_p50_ms=${o.p50.toFixed(3)} onnx_p99_ms=${o.p99.toFixed(3)} onnx_b256_per_s=${o.perSec.toFixed(0)} ` +
      `tfjs_p50_ms=${t.p50.toFixed(3)} tfjs_p99_ms=${t.p99.toFixed(3)} tfjs_b256_per_s=${t.perSec.toFixed(0)} ` +
      `speedup_p50=${(t.p50 / o.p50).toFixed(1)} speedup_b256=${(o.perSec / t.perSec).toFixed(1)}`,
  );
  for (const rt of runtimes) await rt.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
