import { CONFIG_ENV_VARS, loadConfig, SECRET_ENV_VARS } from './config';

describe('loadConfig', () => {
  it('falls back to the embedded defaults when no service is configured', () => {
    const c = loadConfig({ TRAINYARD_DATA_DIR: '/tmp/ty' });
    expect(c.database).toEqual({ kind: 'embedded', dataDir: '/tmp/ty/pgdata' });
    expect(c.queue).toEqual({ kind: 'in-process', retryDelayMs: 2000 });
    expect(c.storage).toEqual({ kind: 'local', root: '/tmp/ty/artifacts' });
    expect(c.port).toBe(3000);
    expect(c.roles).toEqual(['api', 'worker', 'serve']);
  });

  it('switches each part to the real service by its variable', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgresql://root@127.0.0.1:5432/test',
      REDIS_URL: 'redis://127.0.0.1:6379',
      S3_BUCKET: 'models',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
    });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgresql://root@127.0.0.1:5432/test' });
    expect(c.queue).toMatchObject({ kind: 'redis', url: 'redis://127.0.0.1:6379' });
    expect(c.storage).toMatchObject({ kind: 's3', bucket: 'models', forcePathStyle: true });
  });

  it('fails the boot with a line naming each bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', TRAINYARD_ROLES: 'api,cook' })).toThrow(/PORT[\s\S]*TRAINYARD_ROLES/);
  });
});

describe('production settings', () => {
  it('reads the worker probe port, the shutdown grace and the log format, with defaults', () => {
    const d = loadConfig({});
    expect(d.worker.healthPort).toBeUndefined();
    expect(d.worker.shutdownGraceMs).toBe(25_000);
    expect(d.log).toEqual({ format: 'text', level: 'log' });
    const c = loadConfig({ WORKER_HEALTH_PORT: '9464', WORKER_SHUTDOWN_GRACE_MS: '5000', LOG_FORMAT: 'json', LOG_LEVEL: 'warn' });
    expect(c.worker).toMatchObject({ healthPort: 9464, shutdownGraceMs: 5000 });
    expect(c.log).toEqual({ format: 'json', level: 'warn' });
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(d.worker.lanes).toEqual(['training', 'jobs']);
    expect(loadConfig({ WORKER_LANES: 'jobs' }).worker.lanes).toEqual(['jobs']);
    expect(() => loadConfig({ WORKER_LANES: 'training,gpu' })).toThrow(/WORKER_LANES/);
    expect(loadConfig({ WORKER_IDLE_EXIT_MS: '60000' }).worker.idleExitMs).toBe(60_000);
    expect(() => loadConfig({ WORKER_SHUTDOWN_GRACE_MS: '-1' })).toThrow(/WORKER_SHUTDOWN_GRACE_MS/);
  });

  it('reads the scoring time quantum (default 2 s, 0 turns it off) and names a bad value', () => {
    expect(loadConfig({}).scoring).toEqual({ timeQuantumMs: 2000 });
    expect(loadConfig({ SCORING_TIME_QUANTUM_MS: '0' }).scoring.timeQuantumMs).toBe(0);
    expect(loadConfig({ SCORING_TIME_QUANTUM_MS: '300' }).scoring.timeQuantumMs).toBe(300);
    expect(() => loadConfig({ SCORING_TIME_QUANTUM_MS: '-1' })).toThrow(/SCORING_TIME_QUANTUM_MS: a whole number of milliseconds, 0 or more/);
    expect(() => loadConfig({ SCORING_TIME_QUANTUM_MS: '1.5' })).toThrow(/SCORING_TIME_QUANTUM_MS: a whole number of milliseconds/);
    expect(() => loadConfig({ SCORING_TIME_QUANTUM_MS: 'two seconds' })).toThrow(/SCORING_TIME_QUANTUM_MS: a whole number of milliseconds/);
    expect(() => loadConfig({ SCORING_TIME_QUANTUM_MS: '3600000' })).toThrow(/SCORING_TIME_QUANTUM_MS: at most 600000/);
    expect(CONFIG_ENV_VARS).toContain('SCORING_TIME_QUANTUM_MS');
  });

  it('lists exactly the variables the schema reads', () => {
    expect(CONFIG_ENV_VARS).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'WORKER_HEALTH_PORT', 'LOG_FORMAT']));
    // Every listed variable changes the parsed config or is accepted: an unknown one is not listed.
    expect(CONFIG_ENV_VARS).not.toContain('TRAINYARD_NATIVE_KERNELS');
    for (const name of SECRET_ENV_VARS) expect(CONFIG_ENV_VARS).toContain(name);
  });
});
