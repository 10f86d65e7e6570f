/**
 * A small SVG builder for the charts routes: an element helper that escapes text and attributes,
 * a line chart (one or two y axes) and a heatmap with counts. Output is standalone SVG 1.1 that
 * browsers and image viewers open directly. Nothing here touches data access.
 */

type Attrs = Record<string, string | number | undefined>;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One element; children are elements already built (strings) or text (escaped). */
export function el(name: string, attrs: Attrs = {}, ...children: Array<string | { text: string }>): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escape(typeof v === 'number' ? fmt(v) : v!)}"`)
    .join('');
  const body = children.map((c) => (typeof c === 'string' ? c : escape(c.text))).join('');
  return body ? `<${name}${a}>${body}</${name}>` : `<${name}${a}/>`;
}

/** Numbers as SVG wants them: short, no exponent for the ranges charts use. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '0';
  return String(Math.round(v * 100) / 100);
}

export function svgDocument(width: number, height: number, title: string, ...children: string[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    el(
      'svg',
      { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': 'sans-serif', 'font-size': 12 },
      el('title', {}, { text: title }),
      el('rect', { width, height, fill: 'white' }),
      ...children,
    )
  );
}

/** "Nice" tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
  color: string;
  /** Left (default) or right y axis. */
  axis?: 'left' | 'right';
  /** Draw markers only (for sparse points such as evaluations). */
  markers?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel?: string;
  /** Fixed range for the right axis (accuracy: [0, 1]). */
  rightRange?: [number, number];
  series: Series[];
  width?: number;
  height?: number;
}

/** Lines (or markers) over a shared x axis, with a legend. Empty series draw an empty frame. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 400;
  const m = { left: 64, right: o.rightLabel ? 64 : 24, top: 40, bottom: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = all.map((p) => p.x);
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const range = (axis: 'left' | 'right'): [number, number] => {
    if (axis === 'right' && o.rightRange) return o.rightRange;
    const ys = o.series.filter((s) => (s.axis ?? 'left') === axis).flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
    if (!ys.length) return [0, 1];
    const lo = Math.min(0, ...ys);
    const hi = Math.max(...ys);
    return hi > lo ? [lo, hi] : [lo, lo + 1];
  };
  const yr = { left: range('left'), right: range('right') };
  const sx = (x: number) => m.left + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const sy = (axis: 'left' | 'right', y: number) => m.top + h - ((y - yr[axis][0]) / (yr[axis][1] - yr[axis][0])) * h;

  const parts: string[] = [el('text', { x: width / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15 }, { text: o.title })];
  // Axes, grid and tick labels.
  parts.push(el('rect', { x: m.left, y: m.top, width: w, height: h, fill: 'none', stroke: '#333' }));
  for (const t of ticks(x0, x1)) {
    parts.push(el('line', { x1: sx(t), y1: m.top + h, x2: sx(t), y2: m.top + h + 4, stroke: '#333' }));
    parts.push(el('text', { x: sx(t), y: m.top + h + 18, 'text-anchor': 'middle' }, { text: fmt(t) }));
  }
  for (const t of ticks(yr.left[0], yr.left[1])) {
    parts.push(el('line', { x1: m.left, y1: sy('left', t), x2: m.left + w, y2: sy('left', t), stroke: '#eee' }));
    parts.push(el('text', { x: m.left - 6, y: sy('left', t) + 4, 'text-anchor': 'end' }, { text: fmt(t) }));
  }
  if (o.rightLabel) {
    for (const t of ticks(yr.right[0], yr.right[1])) {
      parts.push(el('text', { x: m.left + w + 6, y: sy('right', t) + 4 }, { text: fmt(t) }));
    }
    parts.push(el('text', { x: width - 14, y: m.top + h / 2, transform: `rotate(90 ${width - 14} ${m.top + h / 2})`, 'text-anchor': 'middle' }, { text: o.rightLabel }));
  }
  parts.push(el('text', { x: m.left + w / 2, y: height - 10, 'text-anchor': 'middle' }, { text: o.xLabel }));
  parts.push(el('text', { x: 16, y: m.top + h / 2, transform: `rotate(-90 16 ${m.top + h / 2})`, 'text-anchor': 'middle' }, { text: o.leftLabel }));

  o.series.forEach((s, i) => {
    const axis = s.axis ?? 'left';
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (s.markers) {
      for (const p of pts) parts.push(el('circle', { cx: sx(p.x), cy: sy(axis, p.y), r: 4, fill: s.color }, el('title', {}, { text: `${s.name}: ${fmt(p.y)} at ${fmt(p.x)}` })));
    } else if (pts.length) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${fmt(sx(p.x))} ${fmt(sy(axis, p.y))}`).join(' ');
      parts.push(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.5 }));
    }
    // Legend entry.
    const ly = m.top + 8 + i * 16;
    parts.push(el('rect', { x: m.left + w - 150, y: ly, width: 10, height: 10, fill: s.color }));
    parts.push(el('text', { x: m.left + w - 135, y: ly + 9 }, { text: s.name }));
  });
  return svgDocument(width, height, o.title, ...parts);
}

export interface HeatmapOptions {
  title: string;
  /** matrix[row][col]: counts. */
  matrix: number[][];
  rowLabels: string[];
  colLabels: string[];
  rowTitle: string;
  colTitle: string;
}

/** A count matrix as shaded cells with the count in each, darker for larger shares of its row. */
export function heatmap(o: HeatmapOptions): string {
  const n = o.matrix.length;
  const cols = n ? o.matrix[0].length : 0;
  const cell = Math.max(18, Math.min(48, Math.floor(560 / Math.max(n, cols, 1))));
  const m = { left: 80, top: 70 };
  const width = m.left + cols * cell + 24;
  const height = m.top + n * cell + 24;
  const parts: string[] = [el('text', { x: width / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15 }, { text: o.title })];
  parts.push(el('text', { x: m.left + (cols * cell) / 2, y: 42, 'text-anchor': 'middle' }, { text: o.colTitle }));
  parts.push(el('text', { x: 14, y: m.top + (n * cell) / 2, transform: `rotate(-90 14 ${m.top + (n * cell) / 2})`, 'text-anchor': 'middle' }, { text: o.rowTitle }));
  o.colLabels.forEach((label, c) => parts.push(el('text', { x: m.left + c * cell + cell / 2, y: m.top - 6, 'text-anchor': 'middle' }, { text: label })));
  o.matrix.forEach((row, r) => {
    parts.push(el('text', { x: m.left - 6, y: m.top + r * cell + cell / 2 + 4, 'text-anchor': 'end' }, { text: o.rowLabels[r] ?? String(r) }));
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, c) => {
      const share = total ? count / total : 0;
      const shade = Math.round(255 - share * 200);
      parts.push(
        el(
          'rect',
          { x: m.left + c * cell, y: m.top + r * cell, width: cell, height: cell, fill: `rgb(${shade},${shade},255)`, stroke: 'white' },
          el('title', {}, { text: `${o.rowTitle} ${o.rowLabels[r] ?? r}, ${o.colTitle} ${o.colLabels[c] ?? c}: ${count}` }),
        ),
      );
      if (count > 0) {
        parts.push(el('text', { x: m.left + c * cell + cell / 2, y: m.top + r * cell + cell / 2 + 4, 'text-anchor': 'middle', fill: share > 0.5 ? 'white' : 'black', 'font-size': Math.min(12, cell / 3) }, { text: String(count) }));
      }
    });
  });
  return svgDocument(width, height, o.title, ...parts);
}
