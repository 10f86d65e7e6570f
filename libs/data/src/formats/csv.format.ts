import { parse } from 'csv-parse';
import { z } from 'zod';
import { badInput } from '@trainyard/common';
import { ShardWriter } from '../internal';
import { DatasetFormat, fileError, IngestContext, IngestOutput, quote, SourceFile } from './format';

const options = z
  .object({
    /** The header name of the label (or target) column. */
    labelColumn: z.string().min(1).max(200),
    /** Feature columns to use, in this order; default every other column. */
    features: z.array(z.string().min(1).max(200)).min(1).max(100_000).optional(),
    /** classification: integer or string labels become classes; regression: a numeric target. */
    task: z.enum(['classification', 'regression']).default('classification'),
    delimiter: z.string().length(1).default(','),
  })
  .strict();
type Options = z.infer<typeof options>;

const MAX_CELL_QUOTE = 24;

/** Rows as string arrays, with their 1-based line numbers; the header comes first. */
async function* rows(file: SourceFile, delimiter: string): AsyncGenerator<{ line: number; cells: string[] }> {
  const parser = parse({ delimiter, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  const src = await file.open();
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: r.info.lines, cells: r.record };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) throw fileError(file.name, 'csv-syntax', (e as Error).message.slice(0, 200));
    throw e;
  }
}

interface Columns {
  label: number;
  features: number[];
  featureNames: string[];
  width: number;
}

function columnsOf(file: string, header: string[], o: Options): Columns {
  const pos = new Map(header.map((h, i) => [h, i]));
  if (pos.size !== header.length) throw fileError(file, 'duplicate-column', 'the header names a column twice');
  const label = pos.get(o.labelColumn);
  if (label === undefined) {
    throw fileError(file, 'missing-label-column', `no column named ${quote(o.labelColumn)} in the header (columns: ${header.slice(0, 10).map((h) => quote(h, 20)).join(', ')}${header.length > 10 ? ', ...' : ''})`);
  }
  const featureNames = o.features ?? header.filter((_, i) => i !== label);
  const features = featureNames.map((n) => {
    const i = pos.get(n);
    if (i === undefined) throw fileError(file, 'missing-column', `no feature column named ${quote(n)} in the header`);
    if (i === label) throw badInput(`the label column ${quote(n)} cannot also be a feature`, { field: 'options.features' });
    return i;
  });
  if (features.length === 0) throw fileError(file, 'no-features', 'no feature columns besides the label');
  return { label, features, featureNames, width: header.length };
}

function cell(file: string, line: number, header: string[], cells: string[], i: number): string {
  const v = cells[i];
  if (v === undefined || v === '') throw fileError(file, 'missing-value', `line ${line}: column ${quote(header[i])} is empty`, { line, column: header[i] });
  return v;
}

function numberCell(file: string, line: number, header: string[], cells: string[], i: number): number {
  const v = cell(file, line, header, cells, i);
  const x = Number(v);
  if (!Number.isFinite(x)) throw fileError(file, 'not-a-number', `line ${line}: column ${quote(header[i])} is not a number: ${quote(v, MAX_CELL_QUOTE)}`, { line, column: header[i] });
  return x;
}

async function ingestCsv(ctx: IngestContext<Options>): Promise<IngestOutput> {
  const file = ctx.files[0];
  const o = ctx.options;
  // Pass 1: header, every value checked, the label set.
  let header: string[] | undefined;
  let cols: Columns | undefined;
  const labels = new Set<string>();
  let count = 0;
  for await (const { line, cells } of rows(file, o.delimiter)) {
    if (!header) {
      header = cells;
      cols = columnsOf(file.name, header, o);
      continue;
    }
    if (cells.length !== cols!.width) throw fileError(file.name, 'column-count', `line ${line}: ${cells.length} values, the header has ${cols!.width}`, { line });
    for (const i of cols!.features) numberCell(file.name, line, header, cells, i);
    if (o.task === 'regression') numberCell(file.name, line, header, cells, cols!.label);
    else {
      labels.add(cell(file.name, line, header, cells, cols!.label));
      if (labels.size > ctx.limits.maxClasses) throw fileError(file.name, 'too-many-classes', `more than ${ctx.limits.maxClasses} distinct labels`);
    }
    if (++count > ctx.limits.maxSamples) throw fileError(file.name, 'too-many-rows', `more than ${ctx.limits.maxSamples} rows`);
  }
  if (!header) throw fileError(file.name, 'empty', 'the file is empty (expected a header row)');
  if (count === 0) throw fileError(file.name, 'empty', 'the header is followed by no rows');
  // Integer labels sort numerically, others as strings; the class index is the position.
  const all = [...labels];
  const numeric = all.every((l) => /^-?\d+$/.test(l));
  const classNames = o.task === 'classification' ? all.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined) : [];
  if (o.task === 'classification' && classNames.length < 2) {
    throw fileError(file.name, 'single-class', `the label column ${quote(o.labelColumn)} holds only one class (${quote(classNames[0] ?? '')}); a classifier needs at least two`);
  }
  const classOf = new Map(classNames.map((n, i) => [n, i]));
  const f = cols!.features.length;
  const writer = new ShardWriter(ctx.sink, {
    dtype: 'float32',
    sampleShape: [1, 1, f],
    task: o.task,
    numClasses: classNames.length,
    split: ctx.split,
    shardBytes: ctx.shardBytes,
  });
  // Pass 2: write.
  const sample = new Float32Array(f);
  let first = true;
  for await (const { cells } of rows(file, o.delimiter)) {
    if (first) {
      first = false;
      continue;
    }
    cols!.features.forEach((i, k) => (sample[k] = Number(cells[i])));
    const label = o.task === 'regression' ? Number(cells[cols!.label]) : classOf.get(cells[cols!.label])!;
    await writer.add('train', label, sample);
  }
  ctx.log(`${count} rows, ${f} features, ${o.task === 'classification' ? `${classNames.length} classes` : 'regression target'}`);
  return {
    source: 'csv',
    task: o.task,
    dtype: 'float32',
    sampleShape: [1, 1, f],
    classNames,
    featureNames: cols!.featureNames,
    splits: await writer.finish(),
    skipped: { count: 0, examples: [] },
    notes: { labelColumn: o.labelColumn, rows: count },
  };
}

/** A CSV table with a header: numeric feature columns and one label column. */
export const csvFormat: DatasetFormat<typeof options> = {
  name: 'csv',
  description: 'CSV with a header row: numeric feature columns and a label column (integer or string classes, or a numeric regression target)',
  options,
  checkFiles(names) {
    if (names.length !== 1) throw badInput(`csv takes exactly one file, got ${names.length}`, { problem: 'file-count' });
  },
  hasTestSplit: () => false,
  ingest: ingestCsv,
};
