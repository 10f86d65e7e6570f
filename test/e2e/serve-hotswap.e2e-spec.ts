/**
 * Hot swap across two serve processes (two Nest apps on the same Postgres and S3, as two
 * `npm run start:serve` would be): under steady load, versions are deployed and the default is
 * switched through GraphQL (and rolled back) once each process has served the last switch for a while. No call fails, no call after the
 * first waits on a model load (a new default is loaded and warmed before traffic moves; a version
 * deployed beside a hot default is preloaded), and both processes answer with the new version
 * within a second of a switch to a loaded version. Revocation reaches both within a second too.
 */
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistTestSample } from '../support/mnist';
import { seedCheckpoint } from '../support/serve-fixture';
import { waitUntil } from '../support/wait';

jest.setTimeout(120_000);

let e2e: E2e;
let serves: RunningTrainyard[] = [];
let admin: TrainyardClient;
let key: string;
let ids: string[] = [];

beforeAll(async () => {
  // An api process and two serve processes on the same services.
  const env = { SERVE_CACHE_TTL_MS: '300' };
  e2e = await startE2e({ ...env, TRAINYARD_ROLES: 'api' });
  for (let i = 0; i < 2; i++) serves.push(await e2e.startAnother({ ...env, TRAINYARD_ROLES: 'serve' }));
  const { team, apiKey } = await e2e.app.get(AuthService).createTeam('swap');
  key = apiKey;
  admin = new TrainyardClient(e2e.url, apiKey);
  const prisma = e2e.app.get(PrismaService);
  const store = e2e.app.get<ArtifactStore>(ARTIFACT_STORE);
  const first = await seedCheckpoint(prisma, store, team.id, { seed: 1, step: 10 });
  ids = [first.checkpointId];
  for (const [seed, step] of [[3, 20], [5, 30]]) {
    ids.push((await seedCheckpoint(prisma, store, team.id, { seed, step, datasetId: first.datasetId, experimentId: first.experimentId })).checkpointId);
  }
  await deploy(ids[0], true);
});

/** Whether a serve process has a version loaded (TF Serving metadata, trainyard.loaded). */
const versionLoaded = async (s: RunningTrainyard, version: number) => {
  const res = await fetch(`${s.url}/v1/models/digits/versions/${version}/metadata`, { headers: { authorization: `Bearer ${key}` } });
  return res.status === 200 && ((await res.json()) as any).trainyard?.loaded === true;
};

const deploy = (c: string, makeDefault: boolean) =>
  admin.data(`mutation($c: ID!, $d: Boolean) { deployCheckpoint(name: "digits", checkpointId: $c, options: { makeDefault: $d }) { version } }`, { c, d: makeDefault });

afterAll(() => e2e?.close());


it('switches the default again and again under steady load with zero failed calls and no call waiting on a load after the first ones', async () => {
  const body = JSON.stringify({ instances: [mnistTestSample(0).pixels] });
  const seen: Array<{ sent: number; at: number; server: number; status: number; version: number; start: string }> = [];
  let stop = false;
  const worker = async (w: number) => {
    while (!stop) {
      const server = w % 2;
      const sent = Date.now();
      const res = await fetch(`${serves[server].url}/v1/models/digits:predict`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      seen.push({ sent, at: Date.now(), server, status: res.status, version: Number(res.headers.get('x-model-version')), start: res.headers.get('x-model-start') ?? '' });
    }
  };
  const load = Array.from({ length: 8 }, (_, w) => worker(w));
  // After a switch, the window of steady traffic to judge it by: each process has answered 50 calls
  // sent after the switch with the new version, the first of them two cache refreshes (2 x 300 ms) ago.
  const answeredWith = (version: number, after: number) =>
    waitUntil(
      () =>
        [0, 1].every((server) => {
          const calls = seen.filter((s) => s.server === server && s.sent > after && s.version === version);
          return calls.length >= 50 && Date.now() - calls[0].at >= 600;
        }),
      `50 calls answered by v${version} on each process`,
    );
  // begin: just before the mutation (a process may see the change from then on); at: once it returned.
  const switches: Array<{ begin: number; at: number; version: number; loaded: boolean }> = [];
  let begin = 0;
  // Each process has loaded the default and answers warm.
  await waitUntil(() => [0, 1].every((server) => seen.some((s) => s.server === server && s.status === 200 && s.start === 'warm')), 'warm calls on both serve processes');
  // A canary deployed beside the hot default: every serve process preloads it.
  await deploy(ids[1], false);
  await waitUntil(() => Promise.all(serves.map((s) => versionLoaded(s, 2))).then((l) => l.every(Boolean)), 'version 2 preloaded on both serve processes');
  begin = Date.now();
  await admin.data(`mutation { setDefaultVersion(name: "digits", version: 2) { defaultVersion } }`);
  switches.push({ begin, at: Date.now(), version: 2, loaded: true });
  await answeredWith(2, switches.at(-1)!.at);
  // Deployed straight as the default: each process loads and warms it, then moves.
  begin = Date.now();
  await deploy(ids[2], true);
  switches.push({ begin, at: Date.now(), version: 3, loaded: false });
  await answeredWith(3, switches.at(-1)!.at);
  for (const version of [1, 3, 2]) {
    begin = Date.now();
    await admin.data(`mutation($v: Int!) { setDefaultVersion(name: "digits", version: $v) { defaultVersion } }`, { v: version });
    switches.push({ begin, at: Date.now(), version, loaded: true });
    await answeredWith(version, switches.at(-1)!.at);
  }
  begin = Date.now();
  const rolledBack = (await admin.data(`mutation { rollbackModel(name: "digits") { defaultVersion } }`)).rollbackModel.defaultVersion;
  expect(rolledBack).toBe(3);
  switches.push({ begin, at: Date.now(), version: 3, loaded: true });
  await answeredWith(3, switches.at(-1)!.at);
  stop = true;
  await Promise.all(load);

  expect(seen.length).toBeGreaterThan(200);
  expect(seen.filter((s) => s.status !== 200)).toEqual([]);
  // Cold calls only at the very start (the first calls wait for version 1's first load); none once switching starts.
  const cold = seen.filter((s) => s.start.startsWith('cold'));
  expect(cold.length).toBeGreaterThan(0);
  expect(cold.filter((s) => s.at >= switches[0].at)).toEqual([]);
  // Each process moves to the new default once and for all (no flapping back), within a second when
  // the version was already loaded there, else within its load time.
  const lags: string[] = [];
  switches.forEach((sw, i) => {
    // Up to the start of the next change: a process may pick that one up before its mutation returns.
    const until = switches[i + 1]?.begin ?? Infinity;
    for (const server of [0, 1]) {
      const calls = seen.filter((s) => s.server === server && s.at > sw.at && s.sent < until && s.at < until);
      const firstNew = calls.findIndex((s) => s.version === sw.version);
      expect(firstNew).toBeGreaterThanOrEqual(0);
      // Calls finish out of order (batches of different versions), so judge by start: every call sent
      // after the first answer from the new version gets the new version.
      const switchedAt = calls[firstNew].at;
      const late = calls.filter((s) => s.sent > switchedAt && s.version !== sw.version);
      if (late.length) console.log(`switch ${i} to v${sw.version} server ${server}: switchedAt +${switchedAt - sw.at}`, late.slice(0, 4).map((s) => ({ v: s.version, sent: s.sent - sw.at, at: s.at - sw.at })), late.length);
      expect(late).toEqual([]);
      const lag = calls[firstNew].at - sw.at;
      lags.push(`v${sw.version}@${server}:${lag}ms`);
      expect(lag).toBeLessThan(sw.loaded ? 1000 : 5000); // loading a version on a 2-core machine at load ~20 took up to 2.5 s
    }
  });
  console.log(`hot swap: ${seen.length} calls, 0 failed; switch lags ${lags.join(' ')}`);
});

it('a revoked key stops working on every serve process within a second', async () => {
  const { createApiKey } = await admin.data(`mutation { createApiKey(name: "app", scope: "predict") { id apiKey } }`);
  const call = (s: RunningTrainyard) =>
    fetch(`${s.url}/v1/models/digits`, { headers: { authorization: `Bearer ${createApiKey.apiKey}` } }).then((r) => r.status);
  expect(await Promise.all(serves.map(call))).toEqual([200, 200]);
  await admin.data(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: createApiKey.id });
  const revokedAt = Date.now();
  await waitUntil(async () => (await Promise.all(serves.map(call))).every((s) => s === 401) || Date.now() - revokedAt > 1000, 'the revocation to reach both serve processes', 5000);
  expect(await Promise.all(serves.map(call))).toEqual([401, 401]);
  expect(Date.now() - revokedAt).toBeLessThan(1500);
});
