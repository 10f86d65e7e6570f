/** @jest-environment ./test/support/onnx-environment.js */
/**
 * The `trainyard` command as a person and a script use it: the built CLI (apps/cli/bin/trainyard.js ->
 * dist/) run as a child process against a real server (Postgres, Redis, s3rver; api, worker and serve
 * in this process). Checks output and exit codes, `--json` and human output, with a pseudo-terminal
 * from util-linux `script` for the TTY cases (progress bars, colours).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { AuthService } from '@trainyard/auth';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'apps/cli/bin/trainyard.js');
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const ESC_COLOR = /\u001b\[(3\d|9\d|1|2)m/;

let e2e: E2e;
let key: string;
let otherKey: string;
const home = mkdtempSync(path.join(os.tmpdir(), 'ty-cli-'));
const CONFIG = path.join(home, 'config', 'trainyard.json');

beforeAll(async () => {
  // The CLI runs from dist/ (as `npx trainyard` does after `npm run build`); build when missing.
  if (!existsSync(path.join(ROOT, 'dist/apps/cli/src/main.js'))) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  e2e = await startE2e();
  const auth = e2e.app.get(AuthService);
  key = (await auth.createTeam('cli-team')).apiKey;
  otherKey = (await auth.createTeam('cli-other')).apiKey;
});

afterAll(() => e2e?.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user with nothing set: no TRAINYARD_* from the test runner, colours by TTY. */
function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TRAINYARD_') && k !== 'NO_COLOR' && k !== 'FORCE_COLOR') env[k] = v;
  Object.assign(env, { HOME: home, TRAINYARD_CONFIG: CONFIG, TERM: 'xterm-256color', COLUMNS: '160' }, extra);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** Runs `trainyard ...args`; with tty, inside `script` so stdout and stderr are one terminal (both in stdout). */
function cli(args: string[], opts: { input?: string; env?: Record<string, string | undefined>; tty?: boolean } = {}): Promise<Run> {
  const argv = [process.execPath, BIN, ...args];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = opts.tty
    ? spawn('script', ['-qec', `stty cols 160 2>/dev/null; ${quoted}`, '/dev/null'], { env: baseEnv(opts.env), cwd: ROOT })
    : spawn(argv[0], argv.slice(1), { env: baseEnv(opts.env), cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Terminal output without colours and cursor moves, for matching text. */
const plain = (s: string) => s.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '');

const json = (r: Run) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not one JSON document (exit ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
};
const ndjson = (r: Run) => r.stdout.trim().split('\n').map((l) => JSON.parse(l));

// Fixtures, built once on first use: every test says what it needs, and runs alone with -t.
let loginOnce: Promise<Run> | undefined;
const loggedIn = () => (loginOnce ??= cli(['login', '--url', e2e.url], { input: `${key}\n` }));

const mnistDir = path.join(home, 'mnist');
function writeMnist(): string[] {
  require('node:fs').mkdirSync(mnistDir, { recursive: true });
  const counts: Record<MnistSlug, number> = { 'train-images': 1200, 'train-labels': 1200, 'test-images': 300, 'test-labels': 300 };
  const names: Record<MnistSlug, string> = { 'train-images': 'train-images-idx3-ubyte.gz', 'train-labels': 'train-labels-idx1-ubyte.gz', 'test-images': 't10k-images-idx3-ubyte.gz', 'test-labels': 't10k-labels-idx1-ubyte.gz' };
  return (Object.keys(counts) as MnistSlug[]).map((slug) => {
    const f = path.join(mnistDir, names[slug]);
    writeFileSync(f, mnistSubset(slug, counts[slug]));
    return f;
  });
}
let datasetOnce: Promise<any> | undefined;
const dataset = () =>
  (datasetOnce ??= loggedIn().then(async () => {
    const r = await cli(['datasets', 'upload', ...writeMnist(), '--name', 'mnist-cli', '--json']);
    expect(r.code).toBe(0);
    return json(r);
  }));

let trainedOnce: Promise<{ id: string; run: Run }> | undefined;
/** The MindSpore example spec, submitted and watched live in a terminal. */
const trained = () =>
  (trainedOnce ??= dataset().then(async (d) => {
    const run = await cli(['experiments', 'submit', 'examples/mindspore-lenet5.yaml', '--dataset', d.dataset.id, '--name', 'lenet5-cli', '--watch'], { tty: HAS_SCRIPT });
    const id = /Submitted ([0-9a-f-]{36})/.exec(run.stdout + run.stderr)?.[1];
    if (!id) throw new Error(`no experiment id in:\n${run.stdout}\n${run.stderr}`);
    return { id, run };
  }));

describe('login and errors that say what to do', () => {
  it('login checks the key, keeps URL and key in a 0600 file, and whoami reads it back', async () => {
    const r = await loggedIn();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Logged in to http:\/\/127\.0\.0\.1:\d+ as cli-team owner \(OWNER\) in team cli-team/);
    expect(statSync(CONFIG).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(CONFIG, 'utf8'))).toEqual({ url: e2e.url, apiKey: key });
    const who = await cli(['whoami', '--json']);
    expect(who.code).toBe(0);
    expect(json(who)).toMatchObject({ url: e2e.url, teamName: 'cli-team', role: 'OWNER' });
    // Env vars win over the file.
    const other = await cli(['whoami', '--json'], { env: { TRAINYARD_KEY: otherKey } });
    expect(json(other)).toMatchObject({ teamName: 'cli-other' });
  });

  it('exits 2 when not logged in, 3 on a refused key, 6 when no server answers, each with a hint', async () => {
    const none = await cli(['datasets', 'list'], { env: { TRAINYARD_CONFIG: path.join(home, 'nowhere.json') } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/not logged in/);
    expect(none.stderr).toMatch(/hint .*trainyard login --url/);
    const refused = await cli(['whoami'], { env: { TRAINYARD_URL: e2e.url, TRAINYARD_KEY: 'ty_wrong' } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/\[UNAUTHENTICATED\]/);
    expect(refused.stderr).toMatch(/hint .*TRAINYARD_KEY/);
    const down = await cli(['whoami', '--json'], { env: { TRAINYARD_URL: 'http://127.0.0.1:9', TRAINYARD_KEY: 'x' } });
    expect(down.code).toBe(6);
    expect(json(down).error).toMatchObject({ code: 'NETWORK', exitCode: 6, hint: expect.stringMatching(/Is the server running/) });
    const usage = await cli(['datasets', 'upload']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument/);
  });
});

describe('datasets', () => {
  it('upload --json prints one JSON document with the READY version and exits 0', async () => {
    const d = await dataset();
    expect(d.dataset.name).toBe('mnist-cli');
    expect(d.version).toMatchObject({ status: 'READY', format: 'idx', trainCount: 1200, testCount: 300, sampleShape: [28, 28, 1] });
  });

  it('upload draws a byte progress bar (size, rate, ETA) on a terminal, in colour unless NO_COLOR', async () => {
    if (!HAS_SCRIPT) return console.warn('util-linux `script` missing: TTY case skipped');
    await loggedIn();
    const files = writeMnist();
    const r = await cli(['datasets', 'upload', ...files, '--name', 'mnist-tty'], { tty: true });
    expect(r.code).toBe(0);
    expect(plain(r.stdout)).toMatch(/100% \| [\d.]+ KiB\/[\d.]+ KiB \| [\d.]+ (B|KiB|MiB)\/s \| ETA/);
    expect(r.stdout).toMatch(ESC_COLOR);
    expect(plain(r.stdout)).toMatch(/status\s+│ READY/);
    const noColor = await cli(['datasets', 'upload', ...files, '--name', 'mnist-tty-nocolor'], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.code).toBe(0);
    expect(noColor.stdout).toMatch(/100% \|/);
    expect(noColor.stdout).not.toMatch(ESC_COLOR);
  });

  it('show prints statistics and the class histogram as a bar chart, without colour when piped', async () => {
    const d = await dataset();
    const r = await cli(['datasets', 'show', d.dataset.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    expect(r.stdout).toMatch(/sample shape\s+│ 28x28x1/);
    expect(r.stdout).toMatch(/Train samples per class/);
    const hist: number[] = d.version.splits.find((s: any) => s.name === 'train').histogram;
    const biggest = hist.indexOf(Math.max(...hist));
    // The largest class has the full 40-cell bar; every class has its row with its count.
    expect(r.stdout).toMatch(new RegExp(`^${biggest} █{40} ${hist[biggest]} \\(`, 'm'));
    hist.forEach((n, i) => expect(r.stdout).toMatch(new RegExp(`^${i} [█▏▎▍▌▋▊▉ ]+ ${n} \\(`, 'm')));
    const list = await cli(['datasets', 'list', '--json']);
    expect(json(list).items.map((x: any) => x.id)).toContain(d.dataset.id);
    const missing = await cli(['datasets', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/\[NOT_FOUND\]/);
  });
});

describe('experiments', () => {
  it('submit examples/mindspore-lenet5.yaml --watch shows a live epoch/step bar with the loss sparkline and exits 0 on SUCCEEDED', async () => {
    const { run } = await trained();
    expect(run.code).toBe(0);
    const out = plain(run.stdout + run.stderr);
    if (HAS_SCRIPT) {
      expect(out).toMatch(/epoch 1\/1 .*step \d+\/37 \| loss [\d.]+ /);
      expect(out).toMatch(/ETA/);
    }
    expect(out).toMatch(/status\s+│ .*SUCCEEDED/);
    expect(out).toMatch(/loss [\d.]+ → [\d.]+ +.*[▁▂▃▄▅▆▇█]{3,}/);
    expect(out).toMatch(/test accuracy\s+│ 0\.\d+/);
  });

  it('watch --json streams NDJSON events ending in done; the exit code follows the status', async () => {
    const { id } = await trained();
    const r = await cli(['experiments', 'watch', id, '--json']);
    expect(r.code).toBe(0);
    const events = ndjson(r);
    expect(events[0]).toMatchObject({ type: 'status', experiment: { id, status: 'SUCCEEDED' } });
    const points = events.filter((e) => e.type === 'loss').flatMap((e) => e.points);
    expect(points.length).toBeGreaterThan(2);
    expect(points.map((p: any) => p.step)).toEqual([...points.map((p: any) => p.step)].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ type: 'done', experiment: { id, status: 'SUCCEEDED', metrics: { accuracy: expect.any(Number) } } });
    const polled = await cli(['experiments', 'watch', id, '--json', '--transport', 'polling']);
    expect(polled.code).toBe(0);
    expect(ndjson(polled).filter((e) => e.type === 'loss').flatMap((e) => e.points)).toEqual(points);
    const human = await cli(['experiments', 'watch', id]);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/lenet5-cli [0-9a-f]{8}: SUCCEEDED/);
  });

  it('a cancelled run: watch exits 11, resume queues it again (exit 0), and compare shows both runs side by side', async () => {
    const d = await dataset();
    const { id: doneId } = await trained();
    const sub = await cli(['experiments', 'submit', 'examples/mindspore-lenet5.yaml', '--dataset', d.dataset.id, '--name', 'to-cancel', '--epochs', '8', '--json']);
    expect(sub.code).toBe(0);
    const id = json(sub).id;
    const watching = cli(['experiments', 'watch', id, '--json', '--poll', '200']);
    for (let i = 0; i < 300; i++) {
      const s = json(await cli(['experiments', 'show', id, '--json']));
      if (s.status === 'RUNNING' && s.progress.step > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const cancel = await cli(['experiments', 'cancel', id]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/to-cancel .*(CANCELLED|cancel requested)/);
    const watched = await watching;
    expect(watched.code).toBe(11);
    expect(ndjson(watched).at(-1)).toMatchObject({ type: 'done', experiment: { status: 'CANCELLED' } });

    const cmp = await cli(['experiments', 'compare', doneId, id, '--json']);
    expect(cmp.code).toBe(0);
    const rows = json(cmp);
    expect(rows.map((r: any) => [r.name, r.status, r.model, r.optimizer])).toEqual([
      ['lenet5-cli', 'SUCCEEDED', 'lenet5', 'Momentum'],
      ['to-cancel', 'CANCELLED', 'lenet5', 'Momentum'],
    ]);
    expect(rows[0].metrics.accuracy).toBeGreaterThan(0);
    expect(rows[1].epochs).toBe(8);
    const human = await cli(['experiments', 'compare', doneId, id]);
    expect(human.stdout).toMatch(/lenet5-cli/);
    expect(human.stdout).toMatch(/to-cancel/);
    expect(human.stdout).toMatch(/test acc/);

    const resumed = await cli(['experiments', 'resume', id, '--json']);
    expect(resumed.code).toBe(0);
    expect(json(resumed)).toMatchObject({ id, status: 'QUEUED' });
    // Do not leave it training under the other tests.
    await cli(['experiments', 'cancel', id]);
  });

  it('refuses a spec the server rejects with exit 5 and the field named; a broken file with exit 2', async () => {
    const d = await dataset();
    const bad = path.join(home, 'bad.yaml');
    writeFileSync(bad, readFileSync(path.join(ROOT, 'examples/mindspore-lenet5.yaml'), 'utf8').replace('learningRate: 0.01', 'learningRate: -1'));
    const r = await cli(['experiments', 'submit', bad, '--dataset', d.dataset.id]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/\[BAD_USER_INPUT\].*learningRate/);
    writeFileSync(bad, 'name: [unclosed');
    const broken = await cli(['experiments', 'submit', bad, '--dataset', d.dataset.id, '--json']);
    expect(broken.code).toBe(2);
    expect(json(broken).error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/not valid YAML/) });
    const noDataset = await cli(['experiments', 'submit', 'examples/mindspore-lenet5.yaml']);
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toMatch(/hint .*--dataset/);
  });
});

describe('checkpoints, deploy, predict', () => {
  let deployOnce: Promise<any> | undefined;
  const deployed = () =>
    (deployOnce ??= trained().then(async ({ id }) => {
      const r = await cli(['deploy', '--experiment', id, '--name', 'digits', '--json']);
      expect(r.code).toBe(0);
      return json(r);
    }));

  it('checkpoints export -o exports to ONNX, waits, and writes the file', async () => {
    const { id } = await trained();
    const list = json(await cli(['checkpoints', 'list', id, '--json']));
    const ckpt = list.at(-1);
    const out = path.join(home, 'lenet5.onnx');
    const r = await cli(['checkpoints', 'export', ckpt.id, '-o', out, '--json']);
    expect(r.code).toBe(0);
    const exp = json(r);
    expect(exp).toMatchObject({ status: 'SUCCEEDED', format: 'ONNX', file: { path: out } });
    expect(statSync(out).size).toBe(exp.sizeBytes);
    const dl = await cli(['checkpoints', 'download', ckpt.id, '-o', path.join(home, 'c.ckpt')]);
    expect(dl.code).toBe(0);
    expect(statSync(path.join(home, 'c.ckpt')).size).toBe(ckpt.sizeBytes);
  });

  it('deploy serves the last checkpoint; predict prints a top-k table for an image and JSON for scripts', async () => {
    const d = await deployed();
    expect(d).toMatchObject({ name: 'digits', version: 1, isDefault: true });
    const { pixels } = mnistTestSample(0);
    const png = path.join(home, 'digit.png');
    await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(png);
    const human = await cli(['predict', 'digits', png, '-k', '3']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/│ # │ class │ probability │/);
    expect(human.stdout.match(/^│ [123] │/gm)).toHaveLength(3);
    expect(human.stdout).toMatch(/digits version 1 on (tfjs|onnx)/);
    const r = await cli(['predict', 'digits', png, '--json']);
    const res = json(r);
    expect(res).toMatchObject({ model: 'digits', version: '1', protocol: 'tf-serving' });
    const scores = res.results[0].map((c: any) => c.score);
    expect(scores).toHaveLength(5);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // The same sample as JSON over KServe v2 gets the same top class.
    const sample = path.join(home, 'sample.json');
    writeFileSync(sample, JSON.stringify(pixels));
    const v2 = json(await cli(['predict', 'digits', sample, '--kserve', '--json']));
    expect(v2.protocol).toBe('kserve-v2');
    expect(v2.results[0][0].label).toBe(res.results[0][0].label);
    const list = json(await cli(['deployments', 'list', '--json']));
    expect(list.map((m: any) => m.name)).toEqual(['digits']);
  });

  it('predict on an unknown model exits 4; a file that is neither image nor JSON exits 2', async () => {
    await deployed();
    const png = path.join(home, 'digit.png');
    const nf = await cli(['predict', 'nosuch', png]);
    expect(nf.code).toBe(4);
    expect(nf.stderr).toMatch(/\[NOT_FOUND\].*nosuch/);
    const junk = path.join(home, 'junk.bin');
    writeFileSync(junk, 'not an image {');
    const bad = await cli(['predict', 'digits', junk]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/neither an image .* nor JSON/);
  });
});
