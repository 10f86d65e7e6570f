import { loadConfig } from '@trainyard/config';
import { withLogContext } from './log-context';
import { redactSecrets } from './redact';
import { createLogger } from './trainyard-logger';

function capture(fn: () => void): string[] {
  const lines: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => (lines.push(String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (lines.push(String(chunk)), true));
  try {
    fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.join('').split('\n').filter(Boolean);
}

describe('TrainyardLogger', () => {
  const config = loadConfig({
    LOG_FORMAT: 'json',
    DATABASE_URL: 'postgresql://trainyard:pg-Pa55word%21@db.internal:5432/trainyard',
    REDIS_URL: 'redis://:redis-s3cret-pw@redis.internal:6379/0',
    S3_BUCKET: 'models',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  });
  const secrets = ['pg-Pa55word!', 'pg-Pa55word%21', 'redis-s3cret-pw', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'];

  it('writes one JSON object per line, with the ids of the job being run', () => {
    const logger = createLogger(config);
    const lines = capture(() => {
      logger.log('outside', 'Test');
      withLogContext({ job: 'train', jobId: 'experiment-1', experimentId: '1' }, () => logger.warn('inside', 'Training'));
    });
    expect(lines).toHaveLength(2);
    const [outside, inside] = lines.map((l) => JSON.parse(l));
    expect(outside).toMatchObject({ level: 'log', message: 'outside', context: 'Test' });
    expect(outside.experimentId).toBeUndefined();
    expect(inside).toMatchObject({ level: 'warn', message: 'inside', context: 'Training', job: 'train', jobId: 'experiment-1', experimentId: '1' });
  });

  it('never writes a password of DATABASE_URL or REDIS_URL, the S3 secret key or an API key', () => {
    const logger = createLogger(config);
    const apiKey = 'ty_AbCdEfGhIjKl_' + 'x'.repeat(43);
    const lines = capture(() => {
      logger.log(`connecting to ${(config.database as { url: string }).url}`);
      logger.log(`redis at ${(config.queue as { url: string }).url}`);
      logger.error(`S3 refused secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and key ${apiKey}`, 'Error: at postgresql://trainyard:pg-Pa55word%21@db');
      logger.log({ note: 'an object', url: 'redis://:redis-s3cret-pw@redis.internal:6379' });
    });
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const text = lines.join('\n');
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toContain(apiKey);
    expect(text).toContain('ty_AbCdEfGhIjKl_***'); // the key's public id stays, to tell keys apart
    expect(text).toContain('postgresql://trainyard:***@db.internal');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('scrubs text logs too', () => {
    const logger = createLogger({ ...config, log: { format: 'text', level: 'log' } });
    const lines = capture(() => logger.log('redis://:redis-s3cret-pw@redis.internal:6379'));
    expect(lines.join('\n')).toContain('redis://:***@redis.internal');
    expect(lines.join('\n')).not.toContain('redis-s3cret-pw');
  });

  it('honours LOG_LEVEL', () => {
    const logger = createLogger({ ...config, log: { format: 'json', level: 'warn' } });
    const lines = capture(() => {
      logger.log('dropped');
      logger.warn('kept');
    });
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['kept']);
  });
});

describe('redactSecrets', () => {
  it('leaves ordinary text alone', () => {
    expect(redactSecrets('epoch 1 step 20/90 loss 0.5 at http://127.0.0.1:3000/graphql')).toBe('epoch 1 step 20/90 loss 0.5 at http://127.0.0.1:3000/graphql');
  });
});
