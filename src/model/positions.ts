/**
 * The fixed (sin-cos) part of the token positions a config implies (`positionEncoding:
 * sincos+learned`). Computed once per shape and cached: every forward pass asks.
 */
import type { ModelConfig } from './config';

/**
 * Fixed sin-cos code of positions 0..length−1 in `width` channels (pairs sin, cos): frequencies
 * log-spaced from a quarter turn over the whole length to a half turn per step, so every channel
 * varies over the short ranges a video has (4 patch rows, 8 frames). [length, width] row-major.
 */
export function sincosCode(length: number, width: number): Float32Array {
  const out = new Float32Array(length * width);
  const pairs = Math.floor(width / 2);
  const slow = Math.PI / (2 * length);
  for (let k = 0; k < pairs; k++) {
    const omega = pairs === 1 ? Math.PI / 2 : slow * (Math.PI / slow) ** (k / (pairs - 1));
    for (let i = 0; i < length; i++) {
      out[i * width + 2 * k] = Math.sin(omega * i);
      out[i * width + 2 * k + 1] = Math.cos(omega * i);
    }
  }
  return out;
}

const positionCodeCache = new Map<string, { spatial: Float32Array; frames: Float32Array }>();

/**
 * Sin-cos code of a rows×cols grid in `w` channels (first half the row, second half the column),
 * one row of the result per `order` entry: order[i] = [row, col] of token i.
 */
function gridCode(rows: number, cols: number, w: number, order: [number, number][]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(order.length * w);
  const half = Math.floor(w / 2);
  const rowCode = sincosCode(rows, half);
  const colCode = sincosCode(cols, w - half);
  order.forEach(([r, q], i) => {
    out.set(rowCode.subarray(r * half, (r + 1) * half), i * w);
    out.set(colCode.subarray(q * (w - half), (q + 1) * (w - half)), i * w + half);
  });
  return out;
}

/**
 * The fixed part of the token positions: [N, w] spatial (first half of the channels codes the
 * patch row, second half the column) and [F, w] frames. Zeros under `learned`. Computed once per
 * shape (every forward pass asks); callers must not write into the arrays.
 */
export function fixedPositionCodes(c: ModelConfig): { spatial: Float32Array; frames: Float32Array } {
  const w = c.hiddenSize;
  const rows = c.height / c.patchSize;
  const cols = c.width / c.patchSize;
  const key = `${c.positionEncoding}:${rows}x${cols}x${c.frames}x${w}`;
  const cached = positionCodeCache.get(key);
  if (cached) return cached;
  let spatial = new Float32Array(rows * cols * w);
  const frames = new Float32Array(c.frames * w);
  if (c.positionEncoding === 'sincos+learned') {
    const order: [number, number][] = [];
    for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) order.push([r, q]);
    spatial = gridCode(rows, cols, w, order);
    frames.set(sincosCode(c.frames, w));
  }
  const codes = { spatial, frames };
  positionCodeCache.set(key, codes);
  return codes;
}
