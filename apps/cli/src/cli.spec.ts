import { mkdtempSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errorFor } from '@trainyard/sdk';
import { planUpload } from './commands/datasets';
import { instancesOf } from './commands/predict';
import { readSpec } from './commands/experiments';
import { readConfig, resolveConnection, writeConfig } from './config';
import { UsageError } from './errors';
import { EXIT, exitCodeOf, exitCodeOfStatus } from './exit-codes';
import { sparkline, Ui } from './ui';

describe('cli pieces', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ty-cli-unit-'));

  it('recognises MNIST idx files by name (t10k is the test split), archives and CSV; asks for --format otherwise', () => {
    expect(planUpload(['a/train-images-idx3-ubyte.gz', 'a/train-labels-idx1-ubyte', 'a/t10k-images-idx3-ubyte', 'a/t10k-labels.gz'])).toEqual({
      format: 'idx',
      names: ['train-images', 'train-labels', 'test-images', 'test-labels'],
    });
    expect(planUpload(['x/flowers.tar.gz'])).toEqual({ format: 'imagefolder', names: ['flowers.tar.gz'] });
    expect(planUpload(['cifar-10-binary.tar.gz'], 'cifar10')).toEqual({ format: 'cifar10', names: ['cifar-10-binary.tar.gz'] });
    expect(planUpload(['iris.csv']).format).toBe('csv');
    expect(() => planUpload(['a.bin'])).toThrow(UsageError);
    expect(() => planUpload(['a.bin'], 'parquet')).toThrow(/unknown format/);
  });

  it('maps server codes and run statuses to the documented exit codes', () => {
    expect(exitCodeOf('UNAUTHENTICATED')).toBe(EXIT.AUTH);
    expect(exitCodeOf('NOT_FOUND')).toBe(4);
    expect(exitCodeOf('INVALID_DATASET_FILE')).toBe(5);
    expect(exitCodeOf('RATE_LIMITED')).toBe(6);
    expect(exitCodeOf(errorFor('x', { code: 'INTERNAL' }).code)).toBe(1);
    expect(['SUCCEEDED', 'FAILED', 'CANCELLED', 'PAUSED'].map(exitCodeOfStatus)).toEqual([0, 10, 11, 12]);
  });

  it('writes the login file with mode 0600 even over a looser one, and lets env vars win', () => {
    const file = path.join(dir, 'sub', 'config.json');
    writeFileSync(path.join(dir, 'loose.json'), '{}');
    chmodSync(path.join(dir, 'loose.json'), 0o644);
    writeConfig({ url: 'http://a:1', apiKey: 'k1' }, path.join(dir, 'loose.json'));
    expect(statSync(path.join(dir, 'loose.json')).mode & 0o777).toBe(0o600);
    writeConfig({ url: 'http://a:1', apiKey: 'k1' }, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readConfig(file)).toEqual({ url: 'http://a:1', apiKey: 'k1' });
    expect(resolveConnection({}, { TRAINYARD_CONFIG: file })).toMatchObject({ url: 'http://a:1', apiKey: 'k1', from: { url: file } });
    expect(resolveConnection({}, { TRAINYARD_CONFIG: file, TRAINYARD_KEY: 'k2' })).toMatchObject({ apiKey: 'k2', from: { apiKey: 'TRAINYARD_KEY' } });
    expect(() => resolveConnection({}, { TRAINYARD_CONFIG: path.join(dir, 'none.json') })).toThrow(/not logged in/);
  });

  it('reads YAML and JSON specs, and says where a broken one breaks', () => {
    const y = path.join(dir, 's.yaml');
    writeFileSync(y, 'name: a\nmodel: { name: lenet5 }\nepochs: 2\n');
    expect(readSpec(y)).toEqual({ name: 'a', model: { name: 'lenet5' }, epochs: 2 });
    writeFileSync(y, '- a\n- b\n');
    expect(() => readSpec(y)).toThrow(/must hold one object/);
    const j = path.join(dir, 's.json');
    writeFileSync(j, '{"name": ');
    expect(() => readSpec(j)).toThrow(/not valid JSON/);
  });

  it('takes a bare array as one sample and {"instances"} as several', () => {
    const flat = Array(784).fill(0);
    expect(instancesOf(flat, 'f')).toEqual([flat]);
    expect(instancesOf({ instances: [flat, flat] }, 'f')).toHaveLength(2);
    expect(() => instancesOf({ nope: 1 }, 'f')).toThrow(UsageError);
  });

  it('draws sparklines from min to max, and colours only on a TTY without NO_COLOR', () => {
    expect(sparkline([3, 2, 1, 0])).toBe('█▆▃▁');
    expect(sparkline([1, 1])).toBe('▄▄');
    const tty = { isTTY: true, write: () => true } as unknown as NodeJS.WriteStream;
    const pipe = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    expect(new Ui(false, { env: {}, stdout: tty, stderr: tty }).color).toBe(true);
    expect(new Ui(false, { env: { NO_COLOR: '1' }, stdout: tty, stderr: tty }).color).toBe(false);
    expect(new Ui(false, { env: {}, stdout: pipe, stderr: pipe }).color).toBe(false);
    expect(new Ui(false, { env: { FORCE_COLOR: '1' }, stdout: pipe, stderr: pipe }).color).toBe(true);
    expect(new Ui(false, { env: {}, color: false, stdout: tty, stderr: tty }).green('x')).toBe('x');
  });
});
