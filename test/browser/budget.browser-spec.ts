/**
 * The built console's first load stays small: the JavaScript index.html loads (its module script
 * and the chunks it preloads, with what they import statically) is under 300 KB gzipped. Pages
 * are separate chunks loaded on demand. Needs `npm run build` (dist/console).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = path.resolve(__dirname, '../../dist/console');
const BUDGET_BYTES = 300 * 1024;

/** The JS files a first visit fetches: index.html's scripts and modulepreloads, then their static imports. */
export function firstLoadScripts(dist: string): string[] {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1]);
  const seen = new Set<string>();
  const queue = refs.map((r) => path.join(dist, r.replace(/^\/console\//, '')));
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = fs.readFileSync(file, 'utf8');
    // Static imports only (`import ... from "./x.js"` / `import "./x.js"`); import() is on demand.
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+\.js)["']/g)) {
      queue.push(path.resolve(path.dirname(file), m[1]));
    }
  }
  return [...seen];
}

it('loads under 300 KB of gzipped JavaScript on first visit', () => {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error('dist/console is not built: run npm run build');
  const files = firstLoadScripts(DIST);
  expect(files.length).toBeGreaterThan(0);
  const sizes = files.map((f) => ({ file: path.basename(f), gzipped: gzipSync(fs.readFileSync(f), { level: 9 }).length }));
  const total = sizes.reduce((a, s) => a + s.gzipped, 0);
  console.log(`console first load: ${(total / 1024).toFixed(1)} KB gzipped JS in ${files.length} file(s): ${JSON.stringify(sizes)}`);
  expect(total).toBeLessThan(BUDGET_BYTES);
  // Every page is its own chunk, not part of the first load.
  const all = fs.readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.js'));
  expect(all.length).toBeGreaterThan(files.length);
  expect(sizes.map((s) => s.file).join(' ')).not.toMatch(/Experiments|Deployments/);
});
