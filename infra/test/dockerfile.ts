import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

export interface Instruction {
  line: number;
  op: string;
  args: string;
}

export interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

/** A Dockerfile as stages of instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) line = line.trimEnd().slice(0, -1) + ' ' + lines[++i];
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [op, ...rest] = t.split(/\s+/);
    const ins = { line: start + 1, op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') {
      const m = ins.args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      if (!m) throw new Error(`line ${ins.line}: unreadable FROM ${ins.args}`);
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op === 'ARG') {
        const [k, v = ''] = ins.args.split('=');
        args[k] = v;
      }
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { args, stages };
}

/** COPY/ADD arguments: flags (--from=, --chown=...) and the sources and destination (JSON or plain form). */
export function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = rest.match(/^--([a-z-]+)=(\S+)\s+/); m; m = rest.match(/^--([a-z-]+)=(\S+)\s+/)) {
    flags[m[1]] = m[2];
    rest = rest.slice(m[0].length);
  }
  const parts: string[] = rest.trim().startsWith('[') ? JSON.parse(rest) : rest.trim().split(/\s+/);
  return { flags, sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
}

/** The stage chain of a target, from the first base stage to the target itself. */
export function chain(stages: Stage[], target: string): Stage[] {
  const byName = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s]));
  const out: Stage[] = [];
  for (let s = byName.get(target); s; s = byName.get(s.from)) out.unshift(s);
  return out;
}

export const readRepoFile = (p: string) => fs.readFileSync(path.join(REPO, p), 'utf8');
