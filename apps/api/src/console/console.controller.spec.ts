import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppConfig } from '@trainyard/config';
import { ConsoleController, consoleDir } from './console.controller';

function fakeRes() {
  const calls: Array<[string, ...unknown[]]> = [];
  const res: any = {
    calls,
    status(code: number) {
      calls.push(['status', code]);
      return res;
    },
    json(body: unknown) {
      calls.push(['json', body]);
      return res;
    },
    redirect(code: number, to: string) {
      calls.push(['redirect', code, to]);
    },
    setHeader(k: string, v: string) {
      calls.push(['header', k, v]);
    },
    sendFile(file: string, opts?: unknown) {
      calls.push(['sendFile', file, opts]);
    },
  };
  return res;
}

describe('ConsoleController', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'export {}');
  fs.writeFileSync(path.join(os.tmpdir(), 'outside-console.txt'), 'secret');
  const controller = new ConsoleController({ http: { consoleDir: dir } } as AppConfig);
  const serve = (p: string) => {
    const res = fakeRes();
    controller.serve({ path: p } as any, res);
    return res.calls as Array<[string, ...unknown[]]>;
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves hashed assets with a long cache, and index.html for the app and unknown paths', () => {
    expect(serve('/console/assets/index-abc.js')).toEqual([['sendFile', path.join(dir, 'assets', 'index-abc.js'), { maxAge: '365d', immutable: true }]]);
    expect(serve('/console/')).toEqual([['header', 'cache-control', 'no-cache'], ['sendFile', path.join(dir, 'index.html')]]);
    expect(serve('/console/experiments/1')).toEqual([['header', 'cache-control', 'no-cache'], ['sendFile', path.join(dir, 'index.html')]]);
    expect(serve('/console')).toEqual([['redirect', 301, '/console/']]);
  });

  it('answers 404 for a missing asset and never leaves its folder', () => {
    expect(serve('/console/assets/nope.js')).toEqual([['status', 404], ['json', { error: 'no console asset assets/nope.js', code: 'NOT_FOUND' }]]);
    const escaped = serve('/console/../outside-console.txt');
    expect(escaped.some((c) => c[0] === 'sendFile' && String(c[1]).includes('outside-console'))).toBe(false);
  });

  it('says how to build the console when it is not built', () => {
    const missing = new ConsoleController({ http: { consoleDir: path.join(dir, 'nope') } } as AppConfig);
    const res = fakeRes();
    missing.serve({ path: '/console/' } as any, res);
    expect(res.calls).toEqual([['status', 404], ['json', { error: expect.stringMatching(/npm run build:console/), code: 'NOT_FOUND' }]]);
    expect(consoleDir(path.join(dir, 'nope'))).toBeUndefined();
    expect(consoleDir(dir)).toBe(dir);
  });
});
