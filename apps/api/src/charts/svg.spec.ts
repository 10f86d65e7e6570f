// fast-xml-parser (v3, installed with s3rver) checks that the output is well-formed XML.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const xml = require('fast-xml-parser') as { validate(s: string): true | { err: { msg: string } }; parse(s: string, o?: object): any };
import { el, heatmap, lineChart, ticks } from './svg';

const parse = (svg: string) => {
  expect(xml.validate(svg)).toBe(true);
  return xml.parse(svg, { ignoreAttributes: false, attributeNamePrefix: '' });
};

describe('svg', () => {
  it('escapes text and attribute values', () => {
    expect(el('text', { title: 'a"<b>' }, { text: 'x < y & z' })).toBe('<text title="a&quot;&lt;b&gt;">x &lt; y &amp; z</text>');
  });

  it('picks round ticks covering the range', () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 97)).toEqual([20, 40, 60, 80]);
    expect(ticks(5, 5)).toEqual([5]);
  });

  it('draws a line per series, scaled into the frame (higher loss sits higher)', () => {
    const svg = lineChart({
      title: 'loss <run>',
      xLabel: 'step',
      leftLabel: 'loss',
      rightLabel: 'accuracy',
      rightRange: [0, 1],
      series: [
        { name: 'training loss', color: '#1f77b4', points: [{ x: 1, y: 2.3 }, { x: 50, y: 1.0 }, { x: 100, y: 0.2 }] },
        { name: 'test accuracy', color: '#d62728', axis: 'right', markers: true, points: [{ x: 100, y: 0.9 }] },
      ],
    });
    const doc = parse(svg).svg;
    expect(doc.title).toBe('loss &lt;run&gt;'); // escaped (this parser leaves entities as they are)
    const path = doc.path.d as string;
    const coords = path.split(/[ML]/).filter(Boolean).map((p) => p.trim().split(' ').map(Number));
    expect(coords).toHaveLength(3);
    expect(coords[0][0]).toBeLessThan(coords[2][0]); // x grows with step
    expect(coords[0][1]).toBeLessThan(coords[2][1]); // y: 2.3 is drawn above 0.2
    const frame = doc.rect.find((r: any) => r.stroke === '#333');
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(Number(frame.x));
      expect(x).toBeLessThanOrEqual(Number(frame.x) + Number(frame.width));
      expect(y).toBeGreaterThanOrEqual(Number(frame.y) - 0.01);
      expect(y).toBeLessThanOrEqual(Number(frame.y) + Number(frame.height) + 0.01);
    }
    const marker = [doc.circle].flat()[0];
    expect(Number(marker.cy)).toBeCloseTo(Number(frame.y) + Number(frame.height) * 0.1, 0);
    expect(svg).toContain('training loss');
  });

  it('draws an empty frame without NaN for no data', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', leftLabel: 'y', series: [{ name: 's', color: 'red', points: [] }] });
    parse(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('draws one cell per matrix entry with its count, shaded by its share of the row', () => {
    const svg = heatmap({ title: 'confusion', matrix: [[8, 2], [0, 5]], rowLabels: ['cat', 'dog'], colLabels: ['cat', 'dog'], rowTitle: 'true', colTitle: 'predicted' });
    const doc = parse(svg).svg;
    const cells = doc.rect.filter((r: any) => r.title);
    expect(cells).toHaveLength(4);
    expect(cells[0].title).toBe('true cat, predicted cat: 8');
    expect(cells[0].fill).toBe('rgb(95,95,255)'); // 80% of its row
    expect(cells[2].fill).toBe('rgb(255,255,255)'); // 0
    const counts = [doc.text].flat().map((t: any) => (typeof t === 'object' ? t['#text'] : t));
    expect(counts).toEqual(expect.arrayContaining([8, 2, 5]));
  });
});
