// A small SVG line chart. Static data comes in as props; live data (a round's loss per step) is
// pushed through the handle, which rewrites the paths' attributes without a React render.
import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import { axisLabel, DEFAULT_BOX, linePath, valueDomain } from '../lib/chart';

export interface ChartSeries {
  label: string;
  colour: string;
}

export interface LineChartHandle {
  /** One array per series; `xCount`: points the x axis spans (e.g. the round's total steps). */
  update(values: readonly (readonly number[])[], xCount?: number): void;
}

interface LineChartProps {
  title: string;
  series: ChartSeries[];
  /** Static data; leave out to drive the chart through the handle. */
  values?: readonly (readonly number[])[];
  xLabel?: string;
  /** Fixed y range (e.g. [0, 1] for accuracies); default: the data's. */
  domain?: [number, number];
  ref?: Ref<LineChartHandle>;
}

export function LineChart({ title, series, values, xLabel, domain, ref }: LineChartProps) {
  const box = DEFAULT_BOX;
  const pathRefs = useRef<(SVGPathElement | null)[]>([]);
  const maxRef = useRef<SVGTextElement>(null);
  const minRef = useRef<SVGTextElement>(null);
  const lastRef = useRef<SVGTextElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);

  const draw = (data: readonly (readonly number[])[], xCount?: number) => {
    const yDomain = domain ?? valueDomain(data);
    const span = Math.max(xCount ?? 0, ...data.map((v) => v.length));
    data.forEach((v, i) => pathRefs.current[i]?.setAttribute('d', linePath(v, yDomain, box, span)));
    if (maxRef.current) maxRef.current.textContent = axisLabel(yDomain[1]);
    if (minRef.current) minRef.current.textContent = axisLabel(yDomain[0]);
    const first = data[0] ?? [];
    const latest = first.length ? first[first.length - 1] : NaN;
    if (lastRef.current) lastRef.current.textContent = Number.isFinite(latest) ? `${series[0]?.label ?? ''} ${axisLabel(latest)}` : '';
    svgRef.current?.setAttribute('data-points', String(first.length));
  };

  useImperativeHandle(ref, () => ({ update: draw }));
  useEffect(() => {
    if (values) draw(values);
  });

  return (
    <figure className="chart">
      <svg ref={svgRef} viewBox={`0 0 ${box.width} ${box.height}`} role="img" aria-label={title} data-points="0">
        <title>{title}</title>
        <rect x={box.padLeft} y={box.padTop} width={box.width - box.padLeft - box.padRight} height={box.height - box.padTop - box.padBottom} className="chart-area" />
        <text ref={maxRef} x={box.padLeft - 4} y={box.padTop + 8} textAnchor="end" className="chart-axis" />
        <text ref={minRef} x={box.padLeft - 4} y={box.height - box.padBottom} textAnchor="end" className="chart-axis" />
        {xLabel && (
          <text x={box.width - box.padRight} y={box.height - 4} textAnchor="end" className="chart-axis">
            {xLabel}
          </text>
        )}
        <text ref={lastRef} x={box.padLeft + 4} y={box.height - 4} className="chart-axis" />
        {series.map((s, i) => (
          <path key={s.label} ref={(el) => void (pathRefs.current[i] = el)} d="" fill="none" stroke={s.colour} strokeWidth={1.5} strokeLinecap="round" strokeLinejoin="round" />
        ))}
      </svg>
      <figcaption>
        {title}
        {series.length > 1 && (
          <span className="chart-legend">
            {series.map((s) => (
              <span key={s.label}>
                <span className="swatch" style={{ background: s.colour }} /> {s.label}
              </span>
            ))}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
