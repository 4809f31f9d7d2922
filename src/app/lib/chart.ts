// Geometry of the small SVG line charts (Train's live loss / accuracy / margin, Compare's metrics
// per round): data → path strings, kept pure so the chart component only writes attributes.

export interface ChartBox {
  width: number;
  height: number;
  /** Space for the axis labels, in SVG units. */
  padLeft: number;
  padRight: number;
  padTop: number;
  padBottom: number;
}

export const DEFAULT_BOX: ChartBox = { width: 320, height: 140, padLeft: 40, padRight: 8, padTop: 8, padBottom: 18 };

/** [min, max] over every finite value, widened when flat so a constant series sits mid-chart. */
export function valueDomain(series: readonly (readonly number[])[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const values of series)
    for (const v of values)
      if (Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
  if (min === Infinity) return [0, 1];
  if (max - min < 1e-9) {
    const pad = Math.abs(min) > 1e-9 ? Math.abs(min) * 0.1 : 0.5;
    return [min - pad, max + pad];
  }
  return [min, max];
}

/**
 * SVG path of one series: x = index over [0, length − 1] (or `xCount − 1` so several series share
 * an axis), y by `domain`. Non-finite values break the line instead of dropping to an axis.
 */
export function linePath(values: readonly number[], domain: [number, number], box: ChartBox = DEFAULT_BOX, xCount = values.length): string {
  const innerW = box.width - box.padLeft - box.padRight;
  const innerH = box.height - box.padTop - box.padBottom;
  const span = domain[1] - domain[0] || 1;
  const xStep = xCount > 1 ? innerW / (xCount - 1) : 0;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = box.padLeft + (xCount > 1 ? i * xStep : innerW / 2);
    const y = box.padTop + innerH * (1 - (v - domain[0]) / span);
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
    pen = true;
  });
  // A single point has no segment to draw: a zero-length segment with round caps shows a dot.
  if (d && !d.includes('L')) d += `l0.01 0`;
  return d;
}

/** A short label for an axis value: 3 significant digits, no trailing noise. */
export function axisLabel(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}
