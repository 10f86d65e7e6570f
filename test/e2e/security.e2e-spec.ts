/**
 * Security properties on real Postgres, Redis, s3rver and the compiled CLI: team:create prints only
 * the key; failed authentication is rate limited per address; the audit log records key and
 * deployment changes for the owner key only; and no key or secret appears in logs, Redis, job
 * payloads, error bodies or the database after a full run (upload, train, deploy, predict).
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';
import { REDIS_URL, realServices } from '../support/services';

jest.setTimeout(180_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli/create-team.js');

let env: Record<string, string>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  const services = await realServices();
  // A secret s3rver does not check (it accepts any), so we can look for it everywhere.
  env = { ...services.env, AWS_SECRET_ACCESS_KEY: `s3secret${randomBytes(12).toString('hex')}`, PORT: '0', HOST: '127.0.0.1' };
  teardown = services.teardown;
});

afterAll(async () => {
  await teardown?.();
});

async function boot(extra: Record<string, string> = {}): Promise<RunningTrainyard> {
  return startTrainyard(loadConfig({ ...env, NODE_ENV: 'test', ...extra }));
}

describe('team:create', () => {
  it('prints only the key on stdout (logs on stderr) and builds nothing when dist exists', async () => {
    const cliEnv = { PATH: process.env.PATH ?? '', ...env, NODE_ENV: 'development' };
    const direct = await run(process.execPath, [CLI, 'cli team'], { env: cliEnv, cwd: ROOT });
    expect(direct.stdout).toMatch(/^ty_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}\n$/);
    expect(direct.stderr).toMatch(/created team "cli team"/);
    expect(direct.stderr).toMatch(/database: postgres/); // the platform's log line, on stderr

    const mainJs = path.join(ROOT, 'dist/apps/api/src/main.js');
    const before = fs.statSync(mainJs).mtimeMs;
    const viaNpm = await run('npm', ['run', '--silent', 'team:create', '--', 'npm team'], { env: cliEnv, cwd: ROOT });
    expect(viaNpm.stdout).toMatch(/^ty_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}\n$/);
    expect(fs.statSync(mainJs).mtimeMs).toBe(before);
  });
});

describe('failed authentication', () => {
  it('answers 429 with Retry-After once an address fails too often, even with a valid key', async () => {
    const t = await boot({ TRAINYARD_ROLES: 'api', AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      const good = new TrainyardClient(t.url, (await t.app.get(AuthService).createTeam('ratelimited')).apiKey);
      const bad = good.withKey(`ty_${'A'.repeat(12)}_${'B'.repeat(43)}`);
      for (let i = 0; i < 3; i++) expect((await bad.gql(`{ me { id } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const limited = await fetch(`${t.url}/v1/checkpoints/${randomUUID()}`, { headers: { authorization: `Bearer ${good.apiKey}` } });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as any).code).toBe('RATE_LIMITED');
      const gql = await good.gql(`{ me { id } }`);
      expect(gql.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await t.close();
    }
  });
});

describe('audit log and secrets', () => {
  let t: RunningTrainyard;
  const logs: string[] = [];
  const bodies: string[] = [];
  let restore: Array<() => void> = [];

  beforeAll(async () => {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        logs.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = original));
    }
    // Every log line printed (an earlier app in this file set the levels to error and warn).
    Logger.overrideLogger(['log', 'error', 'warn']);
    t = await boot({ NODE_ENV: 'development', TRAINYARD_ROLES: 'api,worker,serve' });
  });

  afterAll(async () => {
    await t?.close();
    restore.forEach((r) => r());
    restore = [];
  });

  it('records key and deployment changes, readable by the owner key only; no secret leaks anywhere', async () => {
    const { apiKey: ownerKey, team } = await t.app.get(AuthService).createTeam('audited');
    const owner = new TrainyardClient(t.url, ownerKey);
    const { createApiKey } = await owner.data(`mutation { createApiKey(name: "ci") { id prefix apiKey } }`);
    const member = owner.withKey(createApiKey.apiKey);

    // A short real run: upload, train, deploy, predict.
    const { createDataset } = await member.data(`mutation { createDataset(name: "tiny") { id } }`);
    const counts: Record<MnistSlug, number> = { 'train-images': 64, 'train-labels': 64, 'test-images': 16, 'test-labels': 16 };
    for (const slug of Object.keys(counts) as MnistSlug[]) expect((await member.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
    await waitForDataset(member, createDataset.id);
    const { submitExperiment } = await member.data(
      `mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`,
      { i: { name: 'tiny', datasetId: createDataset.id, model: { name: 'lenet5' }, pipeline: { batchSize: 16 }, optimizer: { name: 'SGD', learningRate: 0.01 }, epochs: 1, idempotencyKey: 'audit-run' } },
    );
    const done = await waitForExperiment(member, submitExperiment.id, (e) => ['SUCCEEDED', 'FAILED'].includes(e.status));
    expect(done.status).toBe('SUCCEEDED');
    await member.data(`mutation($c: ID!) { deployCheckpoint(name: "tiny", checkpointId: $c) { name } }`, { c: done.checkpoints[0].id });
    expect((await member.post('/v1/models/tiny:predict', { instances: [mnistTestSample(0).pixels] })).status).toBe(200);
    expect(await member.data(`mutation { deleteDeployment(name: "tiny") }`)).toEqual({ deleteDeployment: true });
    expect(await owner.data(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: createApiKey.id })).toEqual({ revokeApiKey: true });

    // Error bodies, including ones that carry the key back to us.
    const record = async (r: Response) => bodies.push(await r.text());
    await record(await fetch(`${t.url}/v1/models/tiny`, { headers: { authorization: `Bearer ${createApiKey.apiKey}` } }));
    await record(await fetch(`${t.url}/v1/models/tiny:predict`, { method: 'POST', headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' }, body: `{"instances": "${ownerKey}"}` }));
    await record(await fetch(`${t.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${ownerKey}x`, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) }));
    await record(await fetch(`${t.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ dataset(id: "${ownerKey}") { id } }` }) }));

    // The audit log: owner only.
    const auditEvents = (await owner.data(`{ auditEvents { edges { node { action target actorKeyId actorKeyPrefix details createdAt } } } }`)).auditEvents.edges.map((e: any) => e.node);
    expect(auditEvents.map((e: any) => e.action)).toEqual(['apiKey.revoke', 'deployment.delete', 'deployment.deploy', 'apiKey.create', 'team.create']);
    expect(auditEvents[1]).toMatchObject({ target: 'tiny', actorKeyId: createApiKey.id, actorKeyPrefix: createApiKey.prefix });
    expect(auditEvents[0]).toMatchObject({ target: createApiKey.id, actorKeyPrefix: ownerKey.slice(0, 'ty_'.length + 12) });
    const other = await t.app.get(AuthService).createApiKey(team.id, 'second');
    const forbidden = await owner.withKey(other.apiKey).gql(`{ auditEvents { edges { node { id } } } }`);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    // Now look for secrets everywhere: the full keys, their secret halves, the store's secret key.
    const secrets = [ownerKey, createApiKey.apiKey, other.apiKey, env.AWS_SECRET_ACCESS_KEY];
    const needles = [...secrets, ...[ownerKey, createApiKey.apiKey, other.apiKey].map((k) => k.slice('ty_'.length + 13))];
    const places: Record<string, string> = {
      logs: logs.join(''),
      'error bodies': bodies.join('\n'),
      redis: await redisDump(env.QUEUE_PREFIX),
      database: await databaseDump(env.DATABASE_URL),
    };
    expect(places.logs).toMatch(/train job experiment-/); // the capture works
    expect(places.redis).toMatch(/experimentId/); // job payloads are in it
    expect(places.database).toMatch(/apiKey\.create/);
    for (const [where, text] of Object.entries(places)) {
      for (const needle of needles) if (text.includes(needle)) throw new Error(`a secret (${needle.slice(0, 6)}…) appears in ${where}`);
      expect(text).not.toMatch(/X-Amz-Signature|X-Amz-Credential/);
    }
  });
});

async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const out: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string' ? await redis.get(key)
        : type === 'hash' ? JSON.stringify(await redis.hgetall(key))
        : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1))
        : type === 'set' ? JSON.stringify(await redis.smembers(key))
        : type === 'zset' ? JSON.stringify(await redis.zrange(key, '0', '-1'))
        : type === 'stream' ? JSON.stringify(await redis.xrange(key, '-', '+'))
        : '';
      out.push(`${key} ${value}`);
    }
    return out.join('\n');
  } finally {
    redis.disconnect();
  }
}

async function databaseDump(url: string): Promise<string> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const { rows: tables } = await pg.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    const out: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await pg.query(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`);
      out.push(...rows.map((r) => `${table_name} ${r.j}`));
    }
    return out.join('\n');
  } finally {
    await pg.end();
  }
}
