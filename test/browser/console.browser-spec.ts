/**
 * The web console in a real browser (Debian's Chromium, driven by playwright-core) against an
 * embedded Trainyard (what `npm start` runs): sign in, upload a small MNIST subset, submit
 * LeNet-5, watch the loss chart grow while it trains, deploy, draw a digit and read the prediction.
 * Needs `npm run build` (dist/console). Screenshots go to test/browser/artifacts/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { Browser, chromium, Page } from 'playwright-core';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient } from '../support/client';
import { MNIST_FILES, MnistSlug, mnistSubset } from '../support/mnist';

jest.setTimeout(240_000);

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, 'artifacts');
/**
 * A page opens in under a second on loopback. On a machine already running more than one runnable
 * process per core (load average / cores > 1) every process gets a share of a core, so the budget
 * is scaled by that factor there (and says so in the log); on a quiet machine, as in CI, it is 1 s.
 */
const OVERSUBSCRIBED = Math.max(1, os.loadavg()[0] / os.cpus().length);
const PAGE_BUDGET_MS = Math.round(1000 * OVERSUBSCRIBED);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-browser-'));
let trainyard: RunningTrainyard;
let browser: Browser;
let page: Page;
const timings: Record<string, number> = {};
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  trainyard = await startTrainyard(loadConfig({ TRAINYARD_DATA_DIR: dataDir, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1' }));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  // A laptop screen.
  page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await trainyard?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (Object.keys(timings).length) {
    console.log(`console page timings (ms, loopback): ${JSON.stringify(timings)}; budget ${PAGE_BUDGET_MS} ms (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores at the start)`);
  }
});

/**
 * Page-open times measured by the browser's own clock (performance.now()), so the driver's round
 * trips do not count: from navigation start, or from the click on a link, until `ready` (a CSS
 * selector) is in the page.
 */
async function readyAt(ready: string): Promise<number> {
  const handle = await page.waitForFunction((sel) => ((globalThis as any).document.querySelector(sel) ? performance.now() : 0), ready, { timeout: 15_000, polling: 'raf' });
  return Number(await handle.jsonValue());
}

async function timedClick(name: string, link: string, ready: string): Promise<number> {
  const t0 = await page.evaluate((sel) => {
    (globalThis as any).document.querySelector(sel).click();
    return performance.now();
  }, link);
  return (timings[name] = Math.round((await readyAt(ready)) - t0));
}

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

it('signs in, uploads MNIST, trains LeNet-5 with a live loss chart, deploys and predicts a drawn digit', async () => {
  const { apiKey } = await trainyard.app.get(AuthService).createTeam('console team');

  // First load of the app, to the sign-in form, each time in a fresh context (empty cache) of a
  // running browser and server: the median of three (this machine is shared; one slow load from
  // another process's burst says little).
  const firstLoads: number[] = [];
  for (let i = 0; i < 4; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const fresh = await ctx.newPage();
    await fresh.goto('about:blank');
    await fresh.goto(`${trainyard.url}/console/`, { waitUntil: 'commit' });
    const ms = await fresh.waitForFunction(() => ((globalThis as any).document.querySelector('#api-key') ? performance.now() : 0), undefined, { polling: 'raf' });
    // The first visit only warms the server's and the browser's first-request paths.
    if (i > 0) firstLoads.push(Math.round(Number(await ms.jsonValue())));
    await ctx.close();
  }
  timings['first load (sign-in form), median of 3'] = [...firstLoads].sort((a, b) => a - b)[1];
  console.log(`first loads (ms): ${firstLoads.join(', ')}`);
  await page.goto(`${trainyard.url}/console/`);

  // A wrong key: the API's error in words.
  await page.getByLabel('API key').fill('ty_notakey_000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Could not sign in: .*UNAUTHENTICATED/);

  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('trainyard.apiKey'))).toBe(apiKey);
  expect(await page.evaluate(() => (globalThis as any).localStorage.length)).toBe(0);

  // Datasets: upload four idx files (gzipped subsets) through the file input of the drop zone.
  await page.getByLabel('Name').fill('mnist-1k');
  const counts: Record<MnistSlug, number> = { 'train-images': 1200, 'train-labels': 1200, 'test-images': 200, 'test-labels': 200 };
  await page.locator('#up-files').setInputFiles(
    (Object.keys(counts) as MnistSlug[]).map((slug) => ({ name: `${MNIST_FILES[slug]}.gz`, mimeType: 'application/gzip', buffer: mnistSubset(slug, counts[slug]) })),
  );
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByRole('list', { name: 'Upload progress' }).getByText('done').nth(3).waitFor();
  await page.getByTestId('dataset-status').getByText('READY').waitFor({ timeout: 60_000 });
  await page.getByRole('img', { name: /Train samples, six per class/ }).waitFor();
  const histogram = page.getByRole('table', { name: 'Train samples per class' });
  expect(await histogram.locator('tr').count()).toBe(10);
  // The histogram's numbers are the dataset's own counts: 1,200 samples over ten classes.
  const perClass = (await histogram.locator('td.num').allTextContents()).map(Number);
  expect(perClass.reduce((a, b) => a + b, 0)).toBe(1200);
  await shot('datasets');

  // Experiments: the submit form, LeNet-5 with the walkthrough's optimizer.
  await page.getByRole('link', { name: /Train a model on mnist-1k/ }).click();
  await page.getByLabel('Name').fill('lenet5-console');
  await page.getByLabel('Model', { exact: true }).selectOption('lenet5');
  await page.getByLabel('Optimizer').selectOption('Momentum');
  await page.getByLabel('Learning rate', { exact: true }).fill('0.01');
  // Long enough (36,000 samples: seconds even on a quiet machine) for the console's 1 s polling to
  // draw the chart more than once while the run is RUNNING; 3 epochs could end within one poll.
  await page.getByLabel('Epochs').fill('30');
  await page.getByLabel('Checkpoint every (steps)').fill('100');
  await page.getByLabel('Record the loss every (steps, optional)').fill('2');
  await shot('experiment-submit');
  await page.getByRole('button', { name: 'Submit experiment' }).click();
  await page.getByRole('heading', { name: 'lenet5-console' }).waitFor();

  // The loss chart grows while the run is RUNNING.
  const chart = page.getByTestId('loss-chart');
  const points = async () => Number(await chart.getAttribute('data-points'));
  const seen: number[] = [];
  const deadline = Date.now() + 120_000;
  let status = '';
  while (Date.now() < deadline) {
    status = (await page.getByTestId('experiment-status').textContent()) ?? '';
    if (status === 'RUNNING') {
      const n = await points();
      if (n > 0 && n !== seen.at(-1)) seen.push(n);
    }
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status)) break;
    await page.waitForTimeout(250);
  }
  expect(status).toBe('SUCCEEDED');
  // At least two different, increasing counts were drawn while it ran.
  console.log(`loss chart point counts seen while RUNNING: ${seen.join(', ')}`);
  expect(seen.length).toBeGreaterThanOrEqual(2);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  await page.getByTestId('metrics').waitFor();
  const heatmap = page.getByRole('table', { name: /Confusion matrix/ });
  expect(await heatmap.locator('tbody tr').count()).toBe(10);
  // After the run the chart holds the whole series the API has (a loss and a learning rate per point).
  const experimentId = page.url().split('/').pop()!;
  const api = new TrainyardClient(trainyard.url, apiKey);
  const { experiment } = await api.data(`query($id: ID!) { experiment(id: $id) { lossPoints(first: 1000) { totalCount edges { node { lr } } } } }`, { id: experimentId });
  const lossPoints: Array<{ lr: number | null }> = experiment.lossPoints.edges.map((e: { node: { lr: number | null } }) => e.node);
  expect(lossPoints.length).toBe(experiment.lossPoints.totalCount);
  expect(lossPoints.length).toBeGreaterThan(50);
  expect(await points()).toBe(lossPoints.length + lossPoints.filter((p) => p.lr !== null).length);
  await shot('experiment');

  // Compare: the list page overlays the ticked runs.
  await page.getByRole('link', { name: '← All experiments' }).click();
  await page.getByRole('checkbox', { name: 'Compare lenet5-console' }).check();
  await page.getByTestId('compare-chart').waitFor();
  await page.getByRole('link', { name: 'lenet5-console' }).click();
  await page.getByTestId('metrics').waitFor();

  // Deploy the last checkpoint.
  await page.getByLabel('Deploy as model name').fill('digits');
  const deployButtons = page.getByRole('button', { name: /^Deploy step/ });
  await deployButtons.last().click();
  await page
    .getByRole('heading', { name: 'digits' })
    .waitFor()
    .catch(async (err) => {
      await shot('failure');
      throw new Error(`${err.message}\nalerts on the page: ${JSON.stringify(await page.getByRole('alert').allTextContents())}\nurl: ${page.url()}`);
    });
  await page.getByText('runtime tfjs').or(page.getByText('runtime onnx')).waitFor();

  // Draw a "1": one vertical stroke down the middle of the canvas.
  const pad = page.getByLabel(/Drawing area/);
  const box = (await pad.boundingBox())!;
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(x + i * 0.3, box.y + box.height * (0.15 + (0.7 * i) / 12));
  await page.mouse.up();
  await page.getByRole('button', { name: 'Predict the drawing' }).click();
  const prediction = page.getByTestId('prediction');
  await prediction.waitFor();
  const bars = page.getByRole('table', { name: 'Class probabilities' });
  const probs = (await bars.locator('td.num').allTextContents()).map((t) => parseFloat(t) / 100);
  expect(probs).toHaveLength(10);
  expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1);
  const predicted = (await prediction.locator('strong').textContent())?.trim();
  expect(predicted).toBe('1');
  await shot('deployments');

  // Every page opens within the budget on loopback (its chunk, its data, the first render).
  await timedClick('datasets page', 'nav a[href="#/datasets"]', 'ul.pick li a');
  await timedClick('experiments page', 'nav a[href="#/experiments"]', 'table tbody tr a');
  await timedClick('deployments page', 'nav a[href="#/deployments"]', '#m-name');
  await timedClick('an experiment', 'table tbody tr a', '[data-testid=metrics]');
  // A fresh visit to an experiment's address with the key already in the session (empty cache).
  await page.reload({ waitUntil: 'commit' });
  timings['reload of an experiment'] = Math.round(await readyAt('[data-testid=metrics]'));
  for (const [name, ms] of Object.entries(timings)) expect({ name, ms, fast: ms < PAGE_BUDGET_MS }).toEqual({ name, ms, fast: true });
  // The browser logged no errors of its own (failed requests, exceptions), apart from the 401 of the wrong key.
  expect(consoleErrors.filter((e) => !/401/.test(e))).toEqual([]);
});

it('shows the course pages to a course: assignments, remaining submissions, the leaderboard', async () => {
  const auth = trainyard.app.get(AuthService);
  const { apiKey } = await auth.createTeam('ML 101', { kind: 'COURSE' });
  const instructor = new TrainyardClient(trainyard.url, apiKey);
  const { createDataset } = await instructor.data(`mutation { createDataset(name: "digits") { id } }`);
  for (const slug of Object.keys(MNIST_FILES) as MnistSlug[]) await instructor.upload(createDataset.id, slug, mnistSubset(slug, 200));
  for (let i = 0; i < 120; i++) {
    const { dataset } = await instructor.data(`query($id: ID!) { dataset(id: $id) { status } }`, { id: createDataset.id });
    if (dataset.status === 'READY') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const day = 86_400_000;
  await instructor.data(`mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { id } }`, {
    i: {
      name: 'Digits',
      datasetId: createDataset.id,
      allowedModels: ['lenet5'],
      maxEpochs: 5,
      opensAt: new Date(Date.now() - day).toISOString(),
      deadline: new Date(Date.now() + 7 * day).toISOString(),
      privateRevealAt: new Date(Date.now() + 8 * day).toISOString(),
      dailyLimit: 5,
      totalLimit: 20,
    },
  });

  await page.getByRole('button', { name: 'Sign out' }).click();
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('trainyard.apiKey'))).toBeNull();
  await page.goto(`${trainyard.url}/console/#/course`);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Digits' }).waitFor();
  await expect(page.getByTestId('remaining').textContent()).resolves.toMatch(/5 today .* 20 in total/);
  await page.getByRole('heading', { name: /Leaderboard/ }).waitFor();
  await shot('course');
});
