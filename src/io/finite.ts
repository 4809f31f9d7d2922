// Weights must be finite numbers: one NaN or ±Infinity in a checkpoint or an adapter spreads
// through every layer it touches and every later video comes out black. Used wherever weights
// enter the studio (checkpoints, imported LoRAs, restored round LoRAs) and before every merge.

/** Index of the first NaN or ±Infinity in `values`, or -1 when all are finite. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one subtraction, no call.
    const x = values[i];
    if (x - x !== 0) return i;
  }
  return -1;
}

/**
 * `null` when every value is finite, else what is wrong, e.g. "holds NaN at index 12 (row 0,
 * column 12 of [4, 16])", for an error that also names the file and the tensor.
 */
export function nonFiniteProblem(values: ArrayLike<number>, shape?: readonly number[]): string | null {
  const i = firstNonFinite(values);
  if (i < 0) return null;
  const value = Number.isNaN(values[i]) ? 'NaN' : values[i] > 0 ? 'Infinity' : '-Infinity';
  const where = shape && shape.length === 2 && shape[1] > 0 ? ` (row ${Math.floor(i / shape[1])}, column ${i % shape[1]} of [${shape.join(', ')}])` : '';
  return `holds ${value} at index ${i}${where}`;
}
