/**
 * The soak's predict traffic, as its own process: steady requests to one deployment at --rate per
 * second until --seconds pass (or SIGTERM). Prints progress every 10 s and, last, one line
 * `PREDICT {"sent":..,"ok":..,"errors":..,"p50_ms":..,"p99_ms":..,"firstErrors":[...]}`.
 */
import { parseArgs } from 'node:util';
import { mnistTestSample } from '../support/mnist';

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      model: { type: 'string', default: 'soak' },
      rate: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '600' },
    },
  });
  const key = process.env.SOAK_API_KEY;
  if (!values.url || !key) throw new Error('usage: SOAK_API_KEY=... soak-predict --url http://host:port [--model soak] [--rate 20] [--seconds 600]');
  const rate = Number(values.rate);
  const until = Date.now() + Number(values.seconds) * 1000;
  const samples = Array.from({ length: 16 }, (_, i) => mnistTestSample(i).pixels);
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  const inflight = new Set<Promise<void>>();
  let lastReport = Date.now();

  const one = async (i: number) => {
    const started = performance.now();
    try {
      const res = await fetch(`${values.url}/v1/models/${values.model}:predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [samples[i % samples.length]] }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${res.status} ${body.slice(0, 120)}`);
      latencies.push(performance.now() - started);
    } catch (e) {
      errors++;
      if (firstErrors.length < 5) firstErrors.push((e as Error).message.slice(0, 160));
    }
  };

  const interval = 1000 / rate;
  let next = performance.now();
  while (!stopping && Date.now() < until) {
    const p = one(sent++).finally(() => inflight.delete(p));
    inflight.add(p);
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.error(`predict: ${sent} sent, ${errors} errors`);
    }
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : 0);
  console.log(`PREDICT ${JSON.stringify({ sent, ok: latencies.length, errors, p50_ms: +pct(50).toFixed(2), p99_ms: +pct(99).toFixed(2), firstErrors })}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
