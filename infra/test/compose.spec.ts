/**
 * infra/compose.yaml, parsed (the yaml library, merge keys on as Compose has them) and checked
 * against the config lib: the services the distributed setup needs, Redis as BullMQ's production
 * guide asks, and for every Trainyard container an environment that names only variables
 * libs/config reads and that loadConfig accepts, pointing at the compose services.
 */
import { CONFIG_ENV_VARS, loadConfig } from '@trainyard/config';
import { parse } from 'yaml';
import { chain, parseDockerfile, readRepoFile } from './dockerfile';

const compose = parse(readRepoFile('infra/compose.yaml'), { merge: true }) as {
  services: Record<string, { image?: string; build?: { context: string; dockerfile: string; target: string }; environment?: Record<string, string>; command?: string[]; stop_grace_period?: string; healthcheck?: { test: string[] }; depends_on?: Record<string, unknown> }>;
};
const dockerfile = parseDockerfile(readRepoFile('infra/Dockerfile'));
const trainyard = Object.entries(compose.services).filter(([, s]) => s.build);

/** The environment a container gets: its image's ENV, then compose's. */
function containerEnv(target: string, env: Record<string, string> = {}): Record<string, string> {
  const fromImage = Object.fromEntries(
    chain(dockerfile.stages, target)
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
  );
  return { ...fromImage, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) };
}

const seconds = (d: string) => Number(d.replace(/s$/, ''));

describe('infra/compose.yaml', () => {
  it('runs Postgres, Redis, MinIO, the api, serve and two workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'minio', 'postgres', 'redis', 'serve', 'worker-1', 'worker-2']);
    expect(Object.fromEntries(trainyard.map(([name, s]) => [name, s.build!.target]))).toEqual({
      api: 'api',
      serve: 'serve',
      'worker-1': 'worker-cpu',
      'worker-2': 'worker-cpu',
    });
    for (const [, s] of trainyard) {
      expect(s.build!.dockerfile).toBe('infra/Dockerfile');
      expect(s.build!.context).toBe('..');
    }
  });

  it('runs Redis with AOF on and noeviction (BullMQ production guide)', () => {
    const cmd = compose.services.redis.command!.join(' ');
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
  });

  it.each(trainyard.map(([name]) => name))('%s: every variable is one libs/config reads, and the config loads', (name) => {
    const s = compose.services[name];
    const env = containerEnv(s.build!.target, s.environment);
    for (const key of Object.keys(env)) expect({ key, known: CONFIG_ENV_VARS.includes(key) }).toEqual({ key, known: true });
    const config = loadConfig(env);
    expect(config.env).toBe('production');
    // Shared state only through the compose services.
    expect(config.database).toMatchObject({ kind: 'postgres' });
    expect(new URL((config.database as { url: string }).url).hostname).toBe('postgres');
    expect(config.queue).toMatchObject({ kind: 'redis' });
    expect(new URL((config.queue as { url: string }).url).hostname).toBe('redis');
    expect(config.storage).toMatchObject({ kind: 's3', endpoint: 'http://minio:9000', forcePathStyle: true });
    // Credentials match what the service containers are started with.
    const pg = compose.services.postgres.environment!;
    const db = new URL((config.database as { url: string }).url);
    expect([db.username, db.password, db.pathname.slice(1)]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
    const minio = compose.services.minio.environment!;
    expect(config.storage).toMatchObject({ accessKeyId: minio.MINIO_ROOT_USER, secretAccessKey: minio.MINIO_ROOT_PASSWORD });
    // The health check asks the port the process serves its probes on.
    const probePort = name.startsWith('worker') ? config.worker.healthPort : config.port;
    expect(s.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${probePort}/readyz`);
    // `docker compose stop` waits longer than the process's own drain.
    expect(seconds(s.stop_grace_period!) * 1000).toBeGreaterThan(config.worker.shutdownGraceMs);
  });

  it('starts the Trainyard processes after the services they need are healthy', () => {
    for (const [, s] of trainyard) expect(Object.keys(s.depends_on!)).toEqual(expect.arrayContaining(['postgres', 'redis', 'minio']));
  });
});
