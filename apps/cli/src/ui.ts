import Table from 'cli-table3';
import * as cliProgress from 'cli-progress';

/**
 * How the CLI talks: tables and bars for people, one JSON document on stdout for scripts (--json).
 * Colours only on a TTY, and never with NO_COLOR or --no-color (FORCE_COLOR=1 forces them).
 */
export class Ui {
  readonly color: boolean;
  /** stderr is a terminal: live bars and spinners go there. */
  readonly live: boolean;

  constructor(
    readonly json: boolean,
    opts: { color?: boolean; env?: NodeJS.ProcessEnv; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream } = {},
    readonly stdout: NodeJS.WriteStream = opts.stdout ?? process.stdout,
    readonly stderr: NodeJS.WriteStream = opts.stderr ?? process.stderr,
  ) {
    const env = opts.env ?? process.env;
    const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== '';
    this.color = opts.color !== false && !('NO_COLOR' in env && env.NO_COLOR !== '') && (forced || !!this.stdout.isTTY);
    this.live = !!this.stderr.isTTY && env.TERM !== 'dumb';
  }

  private paint(code: string, s: string) {
    return this.color ? `\u001b[${code}m${s}\u001b[0m` : s;
  }
  bold = (s: string) => this.paint('1', s);
  dim = (s: string) => this.paint('2', s);
  red = (s: string) => this.paint('31', s);
  green = (s: string) => this.paint('32', s);
  yellow = (s: string) => this.paint('33', s);
  cyan = (s: string) => this.paint('36', s);

  status(s: string): string {
    return s === 'SUCCEEDED' || s === 'READY' ? this.green(s) : s === 'FAILED' ? this.red(s) : s === 'CANCELLED' || s === 'PAUSED' ? this.yellow(s) : this.cyan(s);
  }

  /** A line for people on stdout (nothing in --json mode). */
  out(line = ''): void {
    if (!this.json) this.stdout.write(line + '\n');
  }

  /** Notes and progress on stderr (kept out of --json's stdout). */
  note(line: string): void {
    this.stderr.write(line + '\n');
  }

  /** The one JSON document of --json mode. */
  emit(value: unknown): void {
    if (this.json) this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** One line of NDJSON (--json streams: watch). */
  emitLine(value: unknown): void {
    if (this.json) this.stdout.write(JSON.stringify(value) + '\n');
  }

  table(head: string[], rows: Array<Array<string | number | null | undefined>>, opts: { align?: Array<'left' | 'right' | 'center'> } = {}): string {
    const t = new Table({
      head: head.map((h) => this.bold(h)),
      style: { head: [], border: this.color ? ['grey'] : [], compact: false },
      ...(opts.align ? { colAligns: opts.align } : {}),
    });
    for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
    return t.toString();
  }

  /** Two columns: a name and a value per row. */
  keyValues(rows: Array<[string, string | number | null | undefined]>): string {
    const t = new Table({ style: { head: [], border: this.color ? ['grey'] : [] } });
    for (const [k, v] of rows) t.push({ [this.bold(k)]: v === null || v === undefined ? '' : String(v) });
    return t.toString();
  }

  /** A horizontal bar chart: one row per label, bars scaled to the largest value. */
  barChart(rows: Array<{ label: string; value: number; text?: string }>, width = 40): string {
    const max = Math.max(...rows.map((r) => r.value), 0);
    const labelWidth = Math.max(...rows.map((r) => r.label.length), 1);
    return rows
      .map((r) => {
        const units = max > 0 ? (r.value / max) * width : 0;
        const full = Math.floor(units);
        const part = PARTIAL[Math.round((units - full) * 8)] ?? '';
        return `${r.label.padStart(labelWidth)} ${this.cyan('█'.repeat(full) + part)}${' '.repeat(Math.max(0, width - full - (part ? 1 : 0)))} ${r.text ?? String(r.value)}`;
      })
      .join('\n');
  }

  /** A byte-progress bar on stderr when it is a terminal; no-op otherwise. */
  bytesBar(label: string): ByteBar {
    return new ByteBar(this, label);
  }
}

const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const SPARK = '▁▂▃▄▅▆▇█';

/** The last `width` values as a sparkline (min to max of those values). */
export function sparkline(values: number[], width = 40): string {
  const v = values.slice(-width).filter((x) => Number.isFinite(x));
  if (!v.length) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => SPARK[hi === lo ? 3 : Math.min(7, Math.floor(((x - lo) / (hi - lo)) * 8))]).join('');
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(x >= 100 ? 0 : 1)} ${units[i]}`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const num = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? '' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
export const shortId = (id: string) => id.slice(0, 8);

/** Bytes sent of a total, with rate and ETA (cli-progress), on stderr when it is a terminal. */
export class ByteBar {
  private bar?: cliProgress.SingleBar;
  private started = 0;
  private total = 0;

  constructor(
    private readonly ui: Ui,
    private label: string,
  ) {}

  start(total: number): void {
    this.total = total;
    this.started = Date.now();
    if (!this.ui.live) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `{label} ${this.ui.cyan('{bar}')} {percentage}% | {done}/{size} | {rate} | ETA {eta_formatted}`,
        stream: this.ui.stderr,
        hideCursor: true,
        barsize: 30,
        etaBuffer: 40,
        fps: 8,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, this.payload(0));
  }

  update(done: number, label?: string): void {
    if (label) this.label = label;
    this.bar?.update(done, this.payload(done));
  }

  stop(): void {
    this.bar?.stop();
  }

  private payload(done: number) {
    const secs = (Date.now() - this.started) / 1000;
    return { label: this.label, done: bytes(done), size: bytes(this.total), rate: secs > 0 ? `${bytes(done / secs)}/s` : '-' };
  }
}
