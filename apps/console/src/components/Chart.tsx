import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** Points as [x, y]; several series need not share x values. */
  points: Array<[number, number]>;
  color: string;
  /** 'y' (left axis) or 'y2' (right axis). */
  scale?: 'y' | 'y2';
  dash?: boolean;
}

const PALETTE = ['#1f5fbf', '#c0392b', '#1e8449', '#8e44ad', '#b9770e', '#117a8b', '#6c3483', '#a04000'];
export const color = (i: number) => PALETTE[i % PALETTE.length];

/** A line chart (uPlot) with up to two y axes; `summary` describes it in words for screen readers. */
export function Chart(props: { title: string; xLabel: string; yLabel: string; y2Label?: string; series: ChartSeries[]; summary: string; height?: number; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => `${s.label}/${s.scale ?? 'y'}`).join('|') + (props.y2Label ?? '');

  const data = (): uPlot.AlignedData => {
    if (props.series.length === 0) return [[]];
    const tables = props.series.map((s) => [s.points.map((p) => p[0]), s.points.map((p) => p[1])] as uPlot.AlignedData);
    return tables.length === 1 ? tables[0] : uPlot.join(tables);
  };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: props.height ?? 260,
      scales: { x: { time: false } },
      axes: [
        { label: props.xLabel, stroke: '#333' },
        { label: props.yLabel, scale: 'y', stroke: '#333' },
        ...(props.y2Label ? [{ label: props.y2Label, scale: 'y2', side: 1, grid: { show: false }, stroke: '#333' } as uPlot.Axis] : []),
      ],
      series: [
        { label: props.xLabel },
        ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale ?? 'y', spanGaps: true, dash: s.dash ? [6, 4] : undefined })),
      ],
    };
    plot.current = new uPlot(opts, data(), el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 260 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt when the set of series changes; new points only call setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  const points = props.series.reduce((n, s) => n + s.points.length, 0);
  return (
    <figure className="chart" data-testid={props.testId} data-points={points}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}. ${props.summary}`} />
    </figure>
  );
}
