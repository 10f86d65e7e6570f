import { loadConfig } from './config';

describe('loadConfig', () => {
  it('falls back to the embedded defaults when no service is configured', () => {
    const c = loadConfig({ TRAINYARD_DATA_DIR: '/tmp/ty' });
    expect(c.database).toEqual({ kind: 'embedded', dataDir: '/tmp/ty/pgdata' });
    expect(c.queue).toEqual({ kind: 'in-process' });
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
