/**
 * Datasets beyond MNIST through the API, on real Postgres, Redis (BullMQ) and s3rver: versions in
 * every format, ingest on the worker, statistics in GraphQL, training on the ingested form, and the
 * bad inputs (each ends with a clear error, no other version touched).
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import sharp from 'sharp';
import { AuthService } from '@trainyard/auth';
import { cifar10Archive, CIFAR10_NAMES, csvOf, imageBytes, imageFolderMembers, zipFromMembers, zipOf } from '../../libs/data/src/testing/fixtures';
import { idxBytes } from '../../libs/data/src/testing/idx-fixtures';
import { TrainyardClient, waitForExperiment, waitForVersion } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { waitUntil } from '../support/wait';

jest.setTimeout(240_000);

const UPLOAD_LIMIT = 3_000_000;
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

let e2e: E2e;
let alice: TrainyardClient;
let bob: TrainyardClient;

beforeAll(async () => {
  e2e = await startE2e({ DATASET_UPLOAD_MAX_BYTES: String(UPLOAD_LIMIT) });
  const auth = e2e.app.get(AuthService);
  const anonymous = new TrainyardClient(e2e.url);
  alice = anonymous.withKey((await auth.createTeam('alice')).apiKey);
  bob = anonymous.withKey((await auth.createTeam('bob')).apiKey);
});

afterAll(() => e2e?.close());

const VERSION_FIELDS = `id version format status failureReason sampleShape numClasses classNames trainCount testCount validationCount
  splits { name count histogram mean std } ingest sources { name status bytesReceived expectedBytes progress sha256 } uploadUrl previewUrl`;

async function newDataset(client: TrainyardClient, name: string) {
  return (await client.data(`mutation($n: String!) { createDataset(name: $n) { id } }`, { n: name })).createDataset.id as string;
}

async function newVersion(client: TrainyardClient, datasetId: string, format: string, options?: unknown, split?: unknown) {
  const r = await client.gql(`mutation($d: ID!, $f: String!, $o: JSON, $s: JSON) { createDatasetVersion(datasetId: $d, format: $f, options: $o, split: $s) { ${VERSION_FIELDS} } }`, {
    d: datasetId,
    f: format,
    o: options,
    s: split,
  });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data.createDatasetVersion;
}

async function put(client: TrainyardClient, url: string, body: Uint8Array) {
  const res = await fetch(`${client.baseUrl}${url}`, { method: 'PUT', headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/octet-stream' }, body });
  return { status: res.status, body: (await res.json()) as any };
}

async function ingest(client: TrainyardClient, versionId: string) {
  const r = await client.gql(`mutation($id: ID!) { ingestDatasetVersion(id: $id) { status } }`, { id: versionId });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return waitForVersion(client, versionId, VERSION_FIELDS);
}

/** A small Fashion-MNIST-shaped idx set: 28x28, 10 classes, each class a distinct stripe pattern. */
function fashionLike(n: number, seed: number) {
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10);
  const px = new Uint8Array(n * 784);
  labels.forEach((l, i) => {
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) px[i * 784 + y * 28 + x] = (x + y * (l + 1)) % (l + 3) === 0 ? 230 : (i * 13 + x * y) % 40;
  });
  return { images: idxBytes('images', [n, 28, 28], px), labels: idxBytes('labels', [n], labels) };
}

const SUBMIT = `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id datasetVersionId } }`;

describe('versioned datasets through the API', () => {
  let fashion: Promise<{ fashionId: string; fashionV1: any }> | undefined;
  /** The Fashion-MNIST-shaped dataset with its version 1 READY: made once, by whichever test needs it first (each runs alone with -t). */
  const fashionReady = () =>
    (fashion ??= (async () => {
      const fashionId = await newDataset(alice, 'fashion');
      const v = await newVersion(alice, fashionId, 'idx', { classNames: FASHION });
      expect(v).toMatchObject({ version: 1, status: 'UPLOADING', format: 'idx' });
      const train = fashionLike(320, 1);
      const test = fashionLike(64, 2);
      for (const [name, bytes] of [['train-images', train.images], ['train-labels', train.labels], ['test-images', test.images], ['test-labels', test.labels]] as const) {
        const r = await put(alice, `${v.uploadUrl}/${name}`, bytes);
        expect(r.status).toBe(200);
        expect(r.body.sources.find((s: any) => s.name === name)).toMatchObject({ status: 'STORED', bytesReceived: bytes.length, progress: 1 });
      }
      return { fashionId, fashionV1: await ingest(alice, v.id) };
    })());

  it('ingests a Fashion-MNIST-shaped idx version (class names given) and trains LeNet-5 on it', async () => {
    const { fashionId, fashionV1 } = await fashionReady();
    const v = fashionV1;
    expect(fashionV1).toMatchObject({ status: 'READY', sampleShape: [28, 28, 1], numClasses: 10, classNames: FASHION, trainCount: 320, testCount: 64 });
    expect(fashionV1.splits.find((s: any) => s.name === 'train').histogram).toEqual(new Array(10).fill(32));
    expect(fashionV1.ingest.splitting.testFrom).toBe('source');

    const { submitExperiment } = await alice.data(SUBMIT, {
      input: { name: 'fashion-lenet', datasetId: fashionId, model: { name: 'lenet5' }, optimizer: { name: 'Momentum', learningRate: 0.05, momentum: 0.9 }, epochs: 2, pipeline: { batchSize: 32 }, perPrintTimes: 5 },
    });
    expect(submitExperiment.datasetVersionId).toBe(v.id);
    const done = await waitForExperiment(alice, submitExperiment.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status));
    expect(done.failureReason).toBeNull();
    expect(done.status).toBe('SUCCEEDED');
    expect(done.losses.length).toBeGreaterThan(1);
    expect(done.metrics.accuracy).toBeGreaterThan(0.2);
  });

  it('a READY version is immutable; uploading again makes version 2 and v1 stays usable', async () => {
    const { fashionId, fashionV1 } = await fashionReady();
    const r = await put(alice, `${fashionV1.uploadUrl}/train-labels`, fashionLike(10, 1).labels);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/READY; upload to a new version/);
    const v2 = await newVersion(alice, fashionId, 'idx', {}, { testFraction: 0.25, seed: 3 });
    expect(v2.version).toBe(2);
    const train = fashionLike(200, 5);
    await put(alice, `${v2.uploadUrl}/train-images`, train.images);
    await put(alice, `${v2.uploadUrl}/train-labels`, train.labels);
    const ready = await ingest(alice, v2.id);
    expect(ready.status).toBe('READY');
    expect(ready.ingest.splitting).toMatchObject({ testFrom: 'seeded', testFraction: 0.25, seed: 3 });
    expect(ready.trainCount + ready.testCount).toBe(200);
    const { dataset } = await alice.data(`query($id: ID!) { dataset(id: $id) { trainCount currentVersion { version } versions { version status } } }`, { id: fashionId });
    expect(dataset.currentVersion.version).toBe(2);
    expect(dataset.versions.map((x: any) => x.version)).toEqual([2, 1]);
    // An experiment can still pin version 1.
    const { submitExperiment } = await alice.data(SUBMIT, {
      input: { name: 'pinned', datasetId: fashionId, datasetVersionId: fashionV1.id, model: { name: 'lenet5' }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 1 },
    });
    expect(submitExperiment.datasetVersionId).toBe(fashionV1.id);
  });

  it('ingests CIFAR-10 (class names from the archive) and trains the cnn with RandomCrop + RandomHorizontalFlip', async () => {
    const id = await newDataset(alice, 'cifar');
    const v = await newVersion(alice, id, 'cifar10');
    expect((await put(alice, `${v.uploadUrl}/cifar-10-binary.tar.gz`, await cifar10Archive({ batches: 2, perBatch: 60, test: 40 }))).status).toBe(200);
    const ready = await ingest(alice, v.id);
    expect(ready).toMatchObject({ status: 'READY', sampleShape: [32, 32, 3], classNames: CIFAR10_NAMES, trainCount: 120, testCount: 40 });
    const train = ready.splits.find((s: any) => s.name === 'train');
    expect(train.mean).toHaveLength(3);
    expect(train.mean[0]).toBeGreaterThan(100);
    expect(train.mean[0]).toBeLessThan(155);
    const { submitExperiment } = await alice.data(SUBMIT, {
      input: {
        name: 'cifar-cnn',
        datasetId: id,
        model: { name: 'cnn' },
        optimizer: { name: 'Adam', learningRate: 0.001 },
        epochs: 1,
        pipeline: {
          batchSize: 20,
          map: [{ op: 'RandomCrop', size: [32, 32], padding: 4 }, { op: 'RandomHorizontalFlip', p: 0.5 }, { op: 'Normalize', fromDataset: true }],
        },
        perPrintTimes: 2,
      },
    });
    const done = await waitForExperiment(alice, submitExperiment.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status));
    expect(done.failureReason).toBeNull();
    expect(done.progress.step).toBe(6);
    // Normalize(fromDataset) was stored as the version's numbers, so serving applies the same constants.
    const normalize = done.spec.pipeline.map.find((m: any) => m.op === 'Normalize');
    expect(normalize.mean).toEqual(train.mean);
    expect(normalize.std).toEqual(train.std);
    expect(done.metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(40);
  });

  it('ingests an ImageFolder zip and a CSV, with their statistics', async () => {
    const id = await newDataset(alice, 'pets');
    const v = await newVersion(alice, id, 'imagefolder', { onCorrupt: 'skip' }, { testFraction: 0.2, seed: 1 });
    const members = [...(await imageFolderMembers({ perClass: 6 })), { name: 'dog/broken.jpg', data: 'not a jpeg' }];
    expect((await put(alice, `${v.uploadUrl}/pets.zip`, zipFromMembers(members))).status).toBe(200);
    const pets = await ingest(alice, v.id);
    expect(pets).toMatchObject({ status: 'READY', sampleShape: [10, 12, 3], classNames: ['cat', 'dog', 'fox'] });
    expect(pets.trainCount + pets.testCount).toBe(18);
    expect(pets.ingest.skipped).toEqual({ count: 1, examples: ['dog/broken.jpg'] });
    const preview = await alice.get(`${pets.previewUrl}?perClass=4`);
    expect(preview.status).toBe(200);
    const meta = await sharp(preview.body as Buffer).metadata();
    expect(meta.format).toBe('png');
    // 3 class rows of 48 px tiles (+4 gap) under a 24 px title; 4 tiles wide after the 160 px name column.
    expect(meta.height).toBe(3 * 52 + 4 + 24);
    expect(meta.width).toBe(160 + 4 * 52 + 160 + 60);
    // The first tile of row 0 (cat) is the cat's red.
    const { data } = await sharp(preview.body as Buffer).extract({ left: 160 + 20, top: 24 + 20, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[0] - 200)).toBeLessThan(10);
    expect(data[1]).toBeLessThan(60);

    const csvId = await newDataset(alice, 'iris');
    const c = await newVersion(alice, csvId, 'csv', { labelColumn: 'label' }, { testFraction: 0.2, validationFraction: 0.1, seed: 2 });
    expect((await put(alice, `${c.uploadUrl}/iris.csv`, csvOf(150))).status).toBe(200);
    const iris = await ingest(alice, c.id);
    expect(iris).toMatchObject({ status: 'READY', sampleShape: [1, 1, 3], classNames: ['setosa', 'versicolor', 'virginica'] });
    expect(iris.trainCount + iris.testCount + iris.validationCount).toBe(150);
    expect(iris.validationCount).toBeGreaterThan(3);
  });

  it('trains a CSV regression version end to end (API -> queue -> worker) with the mlp and MSE, then Huber and L1, recording MSE/MAE/R²', async () => {
    const id = await newDataset(alice, 'house-prices');
    const v = await newVersion(alice, id, 'csv', { labelColumn: 'price', task: 'regression' }, { testFraction: 0.25, validationFraction: 0.1, seed: 4 });
    // price = 3 rooms + 0.02 area - 0.5 age + 10, with a little deterministic noise.
    const lines = ['rooms,area,age,price'];
    for (let i = 0; i < 480; i++) {
      const rooms = 1 + (i % 6);
      const area = 40 + ((i * 37) % 160);
      const age = (i * 13) % 40;
      lines.push(`${rooms},${area},${age},${(3 * rooms + 0.02 * area - 0.5 * age + 10 + (((i * 7) % 11) - 5) / 50).toFixed(3)}`);
    }
    expect((await put(alice, `${v.uploadUrl}/houses.csv`, new TextEncoder().encode(lines.join('\n') + '\n'))).status).toBe(200);
    const ready = await ingest(alice, v.id);
    expect(ready).toMatchObject({ status: 'READY', sampleShape: [1, 1, 3], numClasses: null, classNames: [] });
    expect(ready.ingest.task).toBe('regression');

    const base = { datasetId: id, model: { name: 'mlp', params: { hidden: [32] } }, optimizer: { name: 'Adam', learningRate: 0.01 }, epochs: 12, perPrintTimes: 5, pipeline: { batchSize: 16, map: [{ op: 'Normalize', fromDataset: true }] } };
    // What does not fit a regression target is refused before anything is stored.
    const ce = await alice.gql(SUBMIT, { input: { ...base, name: 'reg-ce', loss: { name: 'SoftmaxCrossEntropyWithLogits' } } });
    expect(ce.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(ce.errors?.[0].message).toMatch(/cross-entropy needs class labels, but this dataset has a regression target/);
    const three = await alice.gql(SUBMIT, { input: { ...base, name: 'reg-3', model: { name: 'mlp', numClasses: 3 } } });
    expect(three.errors?.[0].message).toMatch(/a regression dataset has one target/);
    const oneHot = await alice.gql(SUBMIT, { input: { ...base, name: 'reg-onehot', loss: { name: 'MSE' }, pipeline: { batchSize: 16, map: [{ op: 'OneHot', numClasses: 2 }] } } });
    expect(oneHot.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const FIELDS = `id status failureReason spec progress { step } epochSummaries { epoch loss validation } metrics { task loss accuracy regression perClass { support } }`;
    const ids: Record<string, string> = {};
    for (const loss of [undefined, { name: 'Huber', delta: 1 }, { name: 'L1' }]) {
      const { submitExperiment } = await alice.data(SUBMIT, { input: { ...base, name: `reg-${loss?.name ?? 'default'}`, ...(loss ? { loss } : {}) } });
      ids[loss?.name ?? 'MSE'] = submitExperiment.id;
    }
    for (const [loss, expId] of Object.entries(ids)) {
      let done: any;
      for (const deadline = Date.now() + 180_000; ; ) {
        done = (await alice.data(`query($id: ID!) { experiment(id: $id) { ${FIELDS} } }`, { id: expId })).experiment;
        if (['SUCCEEDED', 'FAILED'].includes(done.status) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(done.failureReason).toBeNull();
      expect(done.status).toBe('SUCCEEDED');
      expect(done.spec.loss.name).toBe(loss); // MSE is the default on a regression dataset
      expect(done.spec.model.numClasses).toBe(1);
      expect(done.metrics.task).toBe('regression');
      expect(done.metrics.perClass).toEqual([]);
      const r = done.metrics.regression;
      expect(r.count).toBe(ready.testCount);
      expect(r.r2).toBeGreaterThan(0.7);
      expect(r.mae).toBeLessThan(Math.sqrt(r.mse) * 1.5 + 1e-9);
      // The validation split is scored each epoch with the regression metrics.
      const last = done.epochSummaries[done.epochSummaries.length - 1];
      expect(last.validation).toEqual(expect.objectContaining({ mse: expect.any(Number), mae: expect.any(Number), r2: expect.any(Number) }));
      expect(done.epochSummaries[0].loss).toBeGreaterThan(last.loss);
    }
  });

  it('ends a version FAILED with a reason naming the file and problem, touching nothing else', async () => {
    const id = await newDataset(alice, 'hostile');
    const good = await newVersion(alice, id, 'imagefolder');
    await put(alice, `${good.uploadUrl}/ok.tar`, zipFromMembers(await imageFolderMembers({ perClass: 2 })));
    expect((await ingest(alice, good.id)).status).toBe('READY');
    const png = await imageBytes(4, 4, [1, 2, 3]);
    const cases: Array<[string, string, Uint8Array, unknown, RegExp]> = [
      ['imagefolder', 'evil.zip', zipOf([{ name: 'cat/a.png', data: png }, { name: 'dog/b.png', data: png }, { name: '../../etc/x.png', data: png }]), {}, /^evil\.zip: .*escapes the archive/],
      ['imagefolder', 'bomb.zip', zipOf([{ name: 'cat/a.png', data: new Uint8Array(2_000_000) }, { name: 'dog/b.png', data: new Uint8Array(2_000_000) }]), {}, /^bomb\.zip: entry cat\/a\.png|not a readable image|expands/],
      ['cifar10', 'c.tar.gz', await cifar10Archive({ truncate: true }), {}, /data_batch_1\.bin: \d+ bytes is not a whole number of 3073-byte records/],
      ['csv', 'bad.csv', csvOf(20, { mutate: (rows) => (rows[3][2] = 'n/a') }), { labelColumn: 'label' }, /^bad\.csv: line 5: column "f3" is not a number: "n\/a"/],
      ['csv', 'nolabel.csv', csvOf(20), { labelColumn: 'species' }, /^nolabel\.csv: no column named "species"/],
    ];
    for (const [format, name, bytes, options, reason] of cases) {
      const v = await newVersion(alice, id, format, options);
      expect((await put(alice, `${v.uploadUrl}/${name}`, bytes)).status).toBe(200);
      const failed = await ingest(alice, v.id);
      expect(failed.status).toBe('FAILED');
      expect(failed.failureReason).toMatch(reason);
    }
    const { dataset } = await alice.data(`query($id: ID!) { dataset(id: $id) { status currentVersion { id status } } }`, { id });
    expect(dataset).toEqual({ status: 'READY', currentVersion: { id: good.id, status: 'READY' } });
  });

  it('refuses an upload past the size limit, a second concurrent upload of the same file, and records a cut-off upload as FAILED', async () => {
    const id = await newDataset(alice, 'limits');
    const v = await newVersion(alice, id, 'csv', { labelColumn: 'label' });
    const big = await put(alice, `${v.uploadUrl}/big.csv`, new Uint8Array(UPLOAD_LIMIT + 1));
    expect(big.status).toBe(400);
    expect(big.body.error).toMatch(/more than the upload limit of 3000000 bytes/);

    // A slow upload holds the file; a second PUT of the same name is refused while it runs.
    const url = new URL(`${alice.baseUrl}${v.uploadUrl}/slow.csv`);
    const slow = http.request(url, { method: 'PUT', headers: { authorization: `Bearer ${alice.apiKey}`, 'content-length': '100000' } });
    slow.on('error', () => undefined);
    slow.write(Buffer.alloc(1000, 0x31));
    await waitUntil(async () => {
      const { datasetVersion } = await alice.data(`query($id: ID!) { datasetVersion(id: $id) { sources { name status } } }`, { id: v.id });
      return datasetVersion.sources.some((s: any) => s.name === 'slow.csv' && s.status === 'RECEIVING');
    }, 'slow.csv to be RECEIVING');
    const second = await put(alice, `${v.uploadUrl}/slow.csv`, csvOf(5));
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(/slow\.csv is already being uploaded/);
    // Cut the first one off midway.
    slow.destroy();
    const deadline = Date.now() + 10_000;
    let source: any;
    while (Date.now() < deadline) {
      const { datasetVersion } = await alice.data(`query($id: ID!) { datasetVersion(id: $id) { sources { name status bytesReceived } } }`, { id: v.id });
      source = datasetVersion.sources.find((s: any) => s.name === 'slow.csv');
      if (source?.status === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(source.status).toBe('FAILED');
    // The name is free again, and a complete upload stores.
    expect((await put(alice, `${v.uploadUrl}/slow.csv`, csvOf(30))).status).toBe(200);
  });

  it('takes a file through presigned multipart URLs straight to the bucket, ending in the same ingest', async () => {
    const id = await newDataset(alice, 'presigned');
    const v = await newVersion(alice, id, 'csv', { labelColumn: 'label' });
    const csv = csvOf(400);
    const { createSourceUpload } = await alice.data(
      `mutation($v: ID!, $n: String!, $s: Float!) { createSourceUpload(versionId: $v, name: $n, sizeBytes: $s) { uploadId partSizeBytes parts { partNumber url } } }`,
      { v: v.id, n: 'table.csv', s: csv.length },
    );
    expect(createSourceUpload.parts).toHaveLength(1);
    const part = createSourceUpload.parts[0];
    expect(part.url).toMatch(/X-Amz-Signature=/);
    // The part goes to the bucket, not through the API (no API key on this request).
    const res = await fetch(part.url, { method: 'PUT', body: csv });
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag')!;
    const { datasetVersion: during } = await alice.data(`query($id: ID!) { datasetVersion(id: $id) { sources { name status } } }`, { id: v.id });
    expect(during.sources).toEqual([{ name: 'table.csv', status: 'RECEIVING' }]);
    const { completeSourceUpload } = await alice.data(
      `mutation($v: ID!, $n: String!, $p: [UploadedPartInput!]!) { completeSourceUpload(versionId: $v, name: $n, parts: $p) { sources { name status bytesReceived sha256 } } }`,
      { v: v.id, n: 'table.csv', p: [{ partNumber: 1, etag }] },
    );
    // The API only checked the size (no read of the bytes): the hash is the ingest job's.
    expect(completeSourceUpload.sources[0]).toMatchObject({ name: 'table.csv', status: 'STORED', bytesReceived: csv.length, sha256: null });
    const ready = await ingest(alice, v.id);
    expect(ready).toMatchObject({ status: 'READY', classNames: ['setosa', 'versicolor', 'virginica'] });
    expect(ready.trainCount + ready.testCount).toBe(400);
    expect(ready.sources[0].sha256).toBe(createHash('sha256').update(csv).digest('hex'));
  });

  it('a presigned upload of the wrong size is refused at completion; a wrong file fails in the ingest job, naming it', async () => {
    const id = await newDataset(alice, 'presigned-bad');
    const v = await newVersion(alice, id, 'csv', { labelColumn: 'label' });
    const begin = async (name: string, size: number) =>
      (
        await alice.data(`mutation($v: ID!, $n: String!, $s: Float!) { createSourceUpload(versionId: $v, name: $n, sizeBytes: $s) { parts { partNumber url } } }`, {
          v: v.id,
          n: name,
          s: size,
        })
      ).createSourceUpload.parts[0].url as string;
    const complete = (name: string, etag: string) =>
      alice.gql(`mutation($v: ID!, $n: String!, $p: [UploadedPartInput!]!) { completeSourceUpload(versionId: $v, name: $n, parts: $p) { sources { name status sha256 } } }`, {
        v: v.id,
        n: name,
        p: [{ partNumber: 1, etag }],
      });
    // Announced 500 bytes, sent fewer: cut off, nothing stored.
    const short = csvOf(5);
    const url = await begin('short.csv', 500);
    const put1 = await fetch(url, { method: 'PUT', body: short });
    const cut = await complete('short.csv', put1.headers.get('etag')!);
    expect(cut.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(cut.errors?.[0].message).toMatch(/short\.csv: the upload was cut off after \d+ bytes of 500/);
    // Right size, wrong content (a label column missing): accepted by the API, the ingest fails it.
    const bad = csvOf(30, { header: ['f1', 'f2', 'f3', 'species'] });
    const put2 = await fetch(await begin('bad.csv', bad.length), { method: 'PUT', body: bad });
    expect((await complete('bad.csv', put2.headers.get('etag')!)).errors).toBeUndefined();
    const r = await alice.gql(`mutation($id: ID!) { ingestDatasetVersion(id: $id) { status } }`, { id: v.id });
    expect(r.errors).toBeUndefined();
    const state = await waitForVersion(alice, v.id);
    expect(state.status).toBe('FAILED');
    expect(state.failureReason).toMatch(/^bad\.csv: no column named "label"/);
  });

  it("keeps teams apart: another team's version is not found", async () => {
    const { fashionV1 } = await fashionReady();
    const r = await bob.gql(`query($id: ID!) { datasetVersion(id: $id) { id } }`, { id: fashionV1.id });
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const up = await put(bob, `${fashionV1.uploadUrl}/train-labels`, fashionLike(10, 1).labels);
    expect(up.status).toBe(404);
  });
});
