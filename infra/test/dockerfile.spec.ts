/**
 * infra/Dockerfile cannot be built here (no Docker engine): check what can be checked offline.
 * Every file it copies from the build context exists (and is not excluded by .dockerignore), every
 * npm script it runs is defined, its commands are CI's, each image target runs as non-root with
 * NODE_ENV=production and starts the same file as the package.json start script.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_ENV_VARS } from '@trainyard/config';
import { chain, copyArgs, parseDockerfile, readRepoFile, REPO } from './dockerfile';

const dockerfile = parseDockerfile(readRepoFile('infra/Dockerfile'));
const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
const ignored = readRepoFile('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stageNames = dockerfile.stages.map((s) => s.name).filter(Boolean) as string[];

const TARGETS: Record<string, string> = { api: 'start:api', serve: 'start:serve', 'worker-cpu': 'start:worker', 'worker-gpu': 'start:worker' };

describe('infra/Dockerfile', () => {
  it('has the four image targets', () => {
    expect(stageNames).toEqual(expect.arrayContaining(Object.keys(TARGETS)));
  });

  it('copies only files that exist in the build context (the repository root) and are not .dockerignored', () => {
    let copies = 0;
    for (const stage of dockerfile.stages) {
      for (const ins of stage.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
        const { flags, sources } = copyArgs(ins.args);
        if (flags.from) {
          // From an earlier stage (or an image): the stage must exist above.
          if (!flags.from.includes(':') && !flags.from.includes('/')) expect(stageNames).toContain(flags.from);
          continue;
        }
        for (const src of sources) {
          copies++;
          const where = `line ${ins.line}: COPY ${src}`;
          expect({ where, exists: fs.existsSync(path.join(REPO, src)) }).toEqual({ where, exists: true });
          expect({ where, ignored: ignored.some((i) => src === i || src.startsWith(`${i}/`)) }).toEqual({ where, ignored: false });
        }
      }
    }
    expect(copies).toBeGreaterThan(5);
  });

  it('runs CI\'s install and build commands, and only npm scripts package.json defines', () => {
    const runs = dockerfile.stages.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    const scripts = runs.flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]));
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(Object.keys(pkg.scripts)).toContain(s);
    // The same commands as .ci/run: npm ci (install script: native kernels; postinstall: Prisma client), then the build `npm test` runs.
    expect(readRepoFile('.ci/run')).toMatch(/^npm ci\b/m);
    expect(runs).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']));
    expect(pkg.scripts.test).toContain('npm run build');
    expect(pkg.scripts.install).toContain('libs/engine/native/build.js');
  });

  it.each(Object.entries(TARGETS))('%s: non-root, NODE_ENV=production, starts what `npm run %s` starts', (target, script) => {
    const stages = chain(dockerfile.stages, target);
    expect(stages.length).toBeGreaterThan(0);
    const all = stages.flatMap((s) => s.instructions);
    const users = all.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1].args).not.toMatch(/^(root|0)(:|$)/);
    const env = Object.fromEntries(all.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])));
    expect(env.NODE_ENV).toBe('production');
    // Variables set for the running process are ones the config lib reads.
    for (const name of Object.keys(env)) expect(CONFIG_ENV_VARS).toContain(name);
    const cmd = all.filter((i) => i.op === 'CMD').pop()!;
    const argv = JSON.parse(cmd.args) as string[];
    expect(argv[0]).toBe('node'); // node is PID 1 and receives SIGTERM itself (npm would not forward it)
    expect(pkg.scripts[script]).toBe(argv.join(' '));
    const source = argv[1].replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(fs.existsSync(path.join(REPO, source))).toBe(true);
  });

  it('builds the native kernels strictly and ships them in every worker image', () => {
    const build = chain(dockerfile.stages, 'build').flatMap((s) => s.instructions);
    expect(build.some((i) => i.op === 'ENV' && i.args.includes('TRAINYARD_NATIVE_BUILD=strict'))).toBe(true);
    for (const target of ['worker-cpu', 'worker-gpu']) {
      const copies = chain(dockerfile.stages, target).flatMap((s) => s.instructions.filter((i) => i.op === 'COPY').map((i) => copyArgs(i.args)));
      expect(copies.some((c) => c.sources.includes('/app/libs/engine/native/build'))).toBe(true);
    }
    const gpu = chain(dockerfile.stages, 'worker-gpu')[0];
    expect(dockerfile.args[gpu.from.replace(/^\$\{(\w+)\}$/, '$1')]).toMatch(/^nvidia\/cuda:/);
    const gpuDeps = chain(dockerfile.stages, 'gpu-deps').flatMap((s) => s.instructions.map((i) => i.args));
    expect(gpuDeps).toContain('npm rebuild @tensorflow/tfjs-node-gpu');
  });
});
