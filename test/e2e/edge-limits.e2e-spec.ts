/**
 * The edge against hostile input (issue 9's probe), on real Postgres, Redis and s3rver: bodies over
 * limits answer 413, deep JSON 400 before any handler walks it, built-in property names in routes
 * are not found, strings and numbers are checked with short quotes, GraphQL documents are limited
 * before execution, an idempotency key is bound to its request, and the security headers and
 * failed-auth rate limit are in place. Each test stands alone on the shared server.
 */
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { randomUUID } from 'node:crypto';
import { TrainyardClient, waitForDataset } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(60_000);

let e2e: E2e;
let client: TrainyardClient;
let datasetId: string;

const LIMITS = { json: 64 * 1024, image: 32 * 1024, graphql: 16 * 1024 };

beforeAll(async () => {
  e2e = await startE2e({
    TRAINYARD_ROLES: 'api,worker,serve',
    HTTP_JSON_LIMIT_BYTES: String(LIMITS.json),
    HTTP_IMAGE_LIMIT_BYTES: String(LIMITS.image),
    // The predict routes read their own bodies (JSON, images, multipart) under one limit.
    SERVE_MAX_BODY_BYTES: String(LIMITS.json),
    GRAPHQL_MAX_BYTES: String(LIMITS.graphql),
    AUTH_FAILURES_PER_MINUTE: '5',
    CORS_ORIGINS: 'https://app.example.com',
  });
  client = new TrainyardClient(e2e.url, (await e2e.app.get(AuthService).createTeam('edge')).apiKey);
  const { createDataset } = await client.data(`mutation { createDataset(name: "tiny") { id } }`);
  datasetId = createDataset.id;
  const counts: Record<MnistSlug, number> = { 'train-images': 64, 'train-labels': 64, 'test-images': 16, 'test-labels': 16 };
  for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  await waitForDataset(client, datasetId);
});

afterAll(() => e2e?.close());

async function raw(path: string, body: string | Buffer, contentType: string, key = client.apiKey) {
  const started = Date.now();
  const res = await fetch(`${e2e.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, ms: Date.now() - started, headers: res.headers };
}

const submitInput = (over: Record<string, unknown> = {}) => ({
  name: 'edge',
  datasetId,
  model: { name: 'lenet5' },
  pipeline: { batchSize: 16 },
  optimizer: { name: 'SGD', learningRate: 0.01 },
  epochs: 1,
  ...over,
});
const SUBMIT = `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id name } }`;

describe('bodies over their limits answer 413, fast', () => {
  it('GraphQL', async () => {
    const r = await raw('/graphql', JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(LIMITS.graphql) } }), 'application/json');
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(r.json.error).toMatch(/over the limit of 16384 bytes/);
  });

  it('predict JSON', async () => {
    const r = await raw('/v1/models/digits:predict', JSON.stringify({ instances: [Array(LIMITS.json).fill(1)] }), 'application/json');
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('images', async () => {
    // Images on the predict routes count against the predict body limit (SERVE_MAX_BODY_BYTES).
    const r = await raw('/v1/models/digits:classify', Buffer.alloc(LIMITS.json + 1), 'image/png');
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('malformed JSON is a 400, not a 500', async () => {
    const r = await raw('/v1/models/digits:predict', '{"instances": [1, 2', 'application/json');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BAD_USER_INPUT');
  });
});

describe('JSON nested thousands deep', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('is refused before any handler walks it (predict, GraphQL variables)', async () => {
    const predict = await raw('/v1/models/digits:predict', `{"instances": ${deep(20_000)}}`, 'application/json');
    expect(predict.status).toBe(400);
    // The predict routes allow less nesting than the API (32: a predict body is at most a few levels).
    expect(predict.json.error).toMatch(/nested deeper than 32 levels/);
    const gql = await raw('/graphql', `{"query": "{ me { id } }", "variables": {"x": ${deep(5_000)}}}`, 'application/json');
    expect(gql.status).toBe(400);
    expect(gql.json.code).toBe('BAD_USER_INPUT');
  });

  it('counts brackets inside strings as text', async () => {
    const r = await raw('/graphql', JSON.stringify({ query: `{ me { id } }`, variables: { s: '['.repeat(1000) } }), 'application/json');
    expect(r.status).toBe(200);
  });
});

describe('route parameters named like built-in properties', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('%s is not found or refused, never a 500', async (name) => {
    const file = await client.get(`/v1/datasets/${datasetId}/files/${name}`);
    expect(file.status).toBe(400);
    expect((file.body as any).error).toMatch(/unknown file/);
    const put = await client.upload(datasetId, name, Buffer.from('x'));
    expect(put.status).toBe(400);
    const model = await client.post(`/v1/models/${name}:predict`, { instances: [[1]] });
    expect(model.status).toBe(404);
    const status = await client.get(`/v1/models/${name}`);
    expect(status.status).toBe(404);
    const ckpt = await client.get(`/v1/checkpoints/${name}`);
    expect(ckpt.status).toBe(400);
    const gql = await client.gql(`query($n: String!) { deployment(name: $n) { id } }`, { n: name });
    expect(gql.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const ds = await client.gql(`query($id: ID!) { dataset(id: $id) { id } }`, { id: name });
    expect(ds.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('strings and numbers', () => {
  it('refuses a NUL in any string argument, naming the field', async () => {
    const r = await client.gql(`mutation($n: String!) { createDataset(name: $n) { id } }`, { n: 'a\u0000b' });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/name contains a control character \(U\+0000\) at index 1/);
    const s = await client.gql(SUBMIT, { input: submitInput({ name: 'ok\u0000' }) });
    expect(s.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses long names and idempotency keys, quoting only a short prefix', async () => {
    const long = 'N'.repeat(5000);
    const r = await client.gql(SUBMIT, { input: submitInput({ name: long }) });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/5000 characters long; at most 1024/);
    expect(r.errors?.[0].message.length).toBeLessThan(200);
    const name = await client.gql(SUBMIT, { input: submitInput({ name: 'N'.repeat(200) }) });
    expect(name.errors?.[0].message).toMatch(/^name is 200 characters long; at most 128 allowed$/);
    const key = await client.gql(SUBMIT, { input: submitInput({ idempotencyKey: 'k'.repeat(300) }) });
    expect(key.errors?.[0].message).toMatch(/idempotencyKey is 300 characters long; at most 255/);
    const ds = await client.gql(`mutation($n: String!) { createDataset(name: $n) { id } }`, { n: '!'.repeat(900) });
    expect(ds.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(ds.errors?.[0].message.length).toBeLessThan(200);
    const keyName = await client.gql(`mutation($n: String!) { createApiKey(name: $n) { id } }`, { n: 'k'.repeat(129) });
    expect(keyName.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses numbers out of range before they reach an int column', async () => {
    const big = await client.gql(SUBMIT, { input: submitInput({ epochs: 2 ** 31 - 1 }) });
    expect(big.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const negative = await client.gql(SUBMIT, { input: submitInput({ seed: -1, perPrintTimes: 0 }) });
    expect(negative.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const limit = await client.gql(`query($l: Int!) { experiments(first: $l) { edges { node { id } } } }`, { l: 100_000 });
    expect(limit.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const notInt = await client.gql(`query($e: Int) { experiments { edges { node { id } } } }`, {});
    expect(notInt.errors?.[0].extensions?.code).not.toBe('INTERNAL');
    const huge = await client.gql(SUBMIT, { input: submitInput({ epochs: 'x'.repeat(3000) }) });
    expect(huge.errors?.[0].message.length).toBeLessThan(400);
  });
});

describe('GraphQL limits before execution', () => {
  it('refuses too many aliases', async () => {
    const q = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const r = await client.gql(q);
    expect(r.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors?.[0].message).toMatch(/40 aliased fields; at most 30/);
    expect(r.data).toBeUndefined();
  });

  it('refuses a deep query', async () => {
    const q = `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }`;
    const r = await client.gql(q);
    expect(r.errors?.[0].message).toMatch(/nests 13 levels deep; at most 12/);
  });

  it('refuses an expensive query (lists fanning out) and accepts the same query with small pages', async () => {
    const costly = await client.gql(`{ experiments(first: 10) { edges { node { lossPoints(first: 10000) { edges { node { step epoch loss } } } } } } }`);
    expect(costly.errors?.[0].message).toMatch(/would resolve about \d+ fields; at most 20000/);
    const cheap = await client.gql(`{ experiments(first: 10) { edges { node { lossPoints(first: 100) { edges { node { step epoch loss } } } checkpoints { id } } } } }`);
    expect(cheap.errors).toBeUndefined();
  });

  it('refuses a document of too many tokens quickly, and other requests keep answering', async () => {
    const q = `{ ${Array.from({ length: 1500 }, () => `me { id }`).join(' ')} }`;
    const [big, small] = await Promise.all([raw('/graphql', JSON.stringify({ query: q }), 'application/json'), client.gql(`{ me { name } }`)]);
    expect(big.json.errors[0].message).toMatch(/more tha[nt] 4000 tokens/i);
    expect(big.ms).toBeLessThan(2000);
    expect(small.data?.me.name).toBe('edge');
  });
});

describe('idempotency keys', () => {
  it('returns the same experiment for the same request and CONFLICT for a different one', async () => {
    const key = `run-${randomUUID()}`;
    const a = await client.data(SUBMIT, { input: submitInput({ idempotencyKey: key }) });
    const b = await client.data(SUBMIT, { input: submitInput({ idempotencyKey: key }) });
    expect(b.submitExperiment.id).toBe(a.submitExperiment.id);
    const c = await client.gql(SUBMIT, { input: submitInput({ idempotencyKey: key, epochs: 2 }) });
    expect(c.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(c.errors?.[0].message).toMatch(/already used with a different request/);
    const prisma = e2e.app.get(PrismaService);
    expect(await prisma.experiment.count({ where: { idempotencyKey: key } })).toBe(1);
  });
});

describe('keys, headers and CORS', () => {
  it('answers { __typename } without a key, but no field that reads data', async () => {
    const anon = client.withKey(undefined);
    expect((await anon.gql(`{ __typename }`)).data).toEqual({ __typename: 'Query' });
    const me = await anon.gql(`{ me { id } }`);
    expect(me.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('sends security headers, and CORS only to the configured origin', async () => {
    const res = await fetch(`${e2e.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await fetch(`${e2e.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.org', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const r = await raw('/graphql', JSON.stringify({ query: '{ __typename }' }), 'application/json');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(r.headers.get('x-powered-by')).toBeNull();
  });
});
