import * as tf from '@tensorflow/tfjs';
import { causalBias, referenceAttention, type AttentionImplementation, type AttentionMask } from './attention';

/**
 * Attention as plain 2-D matmuls, the plain-tfjs path on the wasm backend (chosen by
 * `selectKernels`, src/kernels/index.ts). tfjs-wasm runs a matmul on XNNPACK only when it is 2-D
 * with neither operand transposed (~25 GFLOP/s here); every batched or transposed product goes to a
 * scalar loop (~2 GFLOP/s). `referenceAttention` is all batched products, so this path cuts the
 * work into blocks — one per sequence (full, causal, cross-attention) or per frame (frame,
 * sparse-causal) — and runs each block's products as 2-D matmuls with operands laid out in
 * JavaScript so that none needs a transpose flag. The same for the gradient (`tf.customGrad`).
 *
 * Why operands are cut in JavaScript: tfjs-wasm's slice copies the whole input to JavaScript for
 * every slice; one `dataSync` of each tensor and a `tf.tensor2d` per block costs one copy in all.
 * Blocks too small to pay one matmul call each (temporal attention over 8 frames, the text
 * encoder) stay on the reference path; `attention2dUnsupported` says why.
 */

/** Work below this many multiply-adds per block is cheaper as one batched matmul than as a call per block. */
export const MIN_BLOCK_MACS = 32 * 1024;

/** Rows [start, count] of k or v (viewed as [B·H·Lk, D]) that one block's queries see, in key order. */
type RowRanges = [number, number][];

/**
 * How a call cuts into blocks. Block g's queries are rows [g·lq, (g+1)·lq) of q viewed as
 * [B·H·Lq, D] (for every mask: sequences, then frames, are contiguous); its keys are `keyRows(g)`.
 */
export interface AttentionBlocks {
  count: number;
  lq: number;
  lk: number;
  d: number;
  keyRows: (g: number) => RowRanges;
  causal: boolean;
  /** Every key row belongs to exactly one block, blocks in order: dK and dV are the blocks stacked. */
  keysTile: boolean;
}

export function attentionBlocks(qShape: number[], kShape: number[], mask: AttentionMask): AttentionBlocks {
  const [b, h, lq, d] = qShape;
  const lk = kShape[2];
  switch (mask.kind) {
    case 'full':
    case 'causal':
      return { count: b * h, lq, lk, d, keyRows: (g) => [[g * lk, lk]], causal: mask.kind === 'causal', keysTile: true };
    case 'frame': {
      const n = mask.tokensPerFrame;
      return { count: (b * h * lq) / n, lq: n, lk: n, d, keyRows: (g) => [[g * n, n]], causal: false, keysTile: true };
    }
    case 'sparse-causal': {
      // Frames 0 and i−1 of the block's own sequence (frame 0 for frames 0 and 1), as gatherSparseCausalKV.
      const n = mask.tokensPerFrame;
      const f = lq / n;
      const keyRows = (g: number): RowRanges => {
        const frame = g % f;
        const first = (g - frame) * n;
        return [[first, n], [first + Math.max(frame - 1, 0) * n, n]];
      };
      return { count: b * h * f, lq: n, lk: 2 * n, d, keyRows, causal: false, keysTile: false };
    }
  }
}

/**
 * Every block's key rows of `src` (k or v as [rows, d]) times `scale`, one block after another:
 * [count, lk, d], or each block transposed, [count, d, lk] (the right operand of Q·Kᵀ and dO·Vᵀ).
 */
function keysPerBlock(src: Float32Array, blocks: AttentionBlocks, transposed: boolean, scale = 1): Float32Array {
  const { count, lk, d } = blocks;
  const out = new Float32Array(count * lk * d);
  for (let g = 0; g < count; g++) {
    const base = g * lk * d;
    let col = 0;
    for (const [start, rows] of blocks.keyRows(g)) {
      for (let r = 0; r < rows; r++, col++) {
        const row = (start + r) * d;
        if (transposed) for (let j = 0; j < d; j++) out[base + j * lk + col] = src[row + j] * scale;
        else for (let j = 0; j < d; j++) out[base + col * d + j] = src[row + j] * scale;
      }
    }
  }
  return out;
}

/**
 * One 2-D matmul per block, stacked: [count·aRows, bCols]. `a` holds the blocks' left operands
 * [count, aRows, inner], `b` their right operands [count, inner, bCols], row-major; each operand is
 * used once and disposed at once (that frees the XNNPACK operator tfjs-wasm caches per right operand).
 */
function blockProducts(count: number, aShape: [number, number], a: Float32Array, bShape: [number, number], b: Float32Array): tf.Tensor2D {
  const outs: tf.Tensor2D[] = [];
  const [aSize, bSize] = [aShape[0] * aShape[1], bShape[0] * bShape[1]];
  for (let g = 0; g < count; g++) {
    const ta = tf.tensor2d(a.subarray(g * aSize, (g + 1) * aSize), aShape);
    const tb = tf.tensor2d(b.subarray(g * bSize, (g + 1) * bSize), bShape);
    outs.push(tf.matMul(ta, tb));
    ta.dispose();
    tb.dispose();
  }
  const out = tf.concat(outs, 0);
  tf.dispose(outs);
  return out;
}

/** dK or dV from the per-block gradients of the keys each block saw ([count·lk, d]). */
function keyGradient(blocks: AttentionBlocks, perBlock: tf.Tensor2D, shape: number[]): tf.Tensor {
  if (blocks.keysTile) return perBlock.reshape(shape);
  const { count, lk, d } = blocks;
  const src = perBlock.dataSync() as Float32Array;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let g = 0; g < count; g++) {
    let at = g * lk * d;
    for (const [start, rows] of blocks.keyRows(g)) {
      for (let i = 0; i < rows * d; i++) out[start * d + i] += src[at + i];
      at += rows * d;
    }
  }
  return tf.tensor(out, shape);
}

type SaveFn = tf.GradSaveFunc;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * Attention for one mask with every product a 2-D matmul, forward and gradient:
 *   S = Q·(Kᵀ/√d) (+ causal bias), P = softmax(S), O = P·V;
 *   dP = dO·Vᵀ, dV = Pᵀ·dO, dS = P ⊙ (dP − Σ_j dP ⊙ P), dQ = dS·(K/√d), dK = dSᵀ·(Q/√d).
 * Softmax and dS run once on all blocks stacked; Pᵀ and dSᵀ are one transpose each.
 */
export function attention2dOp(mask: AttentionMask) {
  return tf.customGrad(((q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, save: SaveFn) => {
    const blocks = attentionBlocks(q.shape, k.shape, mask);
    const { count, lq, lk, d } = blocks;
    const scale = 1 / Math.sqrt(d);
    const qd = q.dataSync() as Float32Array;
    const kd = k.dataSync() as Float32Array;
    const vd = v.dataSync() as Float32Array;
    const scores = blockProducts(count, [lq, d], qd, [d, lk], keysPerBlock(kd, blocks, true, scale)).reshape([count, lq, lk]);
    const p = tf.softmax(blocks.causal ? tf.add(scores, causalBias(lq, lk)) : scores) as tf.Tensor3D;
    const o = blockProducts(count, [lq, lk], p.dataSync() as Float32Array, [lk, d], keysPerBlock(vd, blocks, false));
    save([p]);
    return {
      value: o.reshape(q.shape) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [ps] = saved as [tf.Tensor3D];
        const dO = dy.dataSync() as Float32Array;
        const dP = blockProducts(count, [lq, d], dO, [d, lk], keysPerBlock(vd, blocks, true)).reshape([count, lq, lk]);
        const dV = blockProducts(count, [lk, lq], tf.transpose(ps, [0, 2, 1]).dataSync() as Float32Array, [lq, d], dO);
        const dS = tf.mul(ps, tf.sub(dP, tf.sum(tf.mul(dP, ps), -1, true))) as tf.Tensor3D;
        const dQ = blockProducts(count, [lq, lk], dS.dataSync() as Float32Array, [lk, d], keysPerBlock(kd, blocks, false, scale));
        const dK = blockProducts(count, [lk, lq], tf.transpose(dS, [0, 2, 1]).dataSync() as Float32Array, [lq, d], qd.map((x) => x * scale));
        return [dQ.reshape(q.shape), keyGradient(blocks, dK, k.shape), keyGradient(blocks, dV, v.shape)];
      },
    };
  }) as unknown as CustomGradFn);
}

/** Why this path does not take a call (null: it does); the reference path runs instead. */
export function attention2dUnsupported(q: tf.Tensor4D, k: tf.Tensor4D, mask: AttentionMask): string | null {
  if (tf.getBackend() !== 'wasm') return `backend is ${tf.getBackend()}, not wasm (2-D matmuls are the fast ones only on tfjs-wasm)`;
  if (q.dtype !== 'float32') return `dtype ${q.dtype}`;
  if (q.size === 0 || k.size === 0) return 'empty input';
  const { lq, lk, d } = attentionBlocks(q.shape, k.shape, mask);
  if (lq * lk * d < MIN_BLOCK_MACS) return `blocks of ${lq}×${lk}×${d} are too small for a matmul call each`;
  return null;
}

/** 2-D matmul attention where it pays (wasm, blocks large enough), the reference elsewhere. */
export const attention2d: AttentionImplementation = {
  name: 'matmul-2d',
  attention(q, k, v, mask) {
    if (attention2dUnsupported(q, k, mask) !== null) return referenceAttention.attention(q, k, v, mask);
    return attention2dOp(mask)(q, k, v) as tf.Tensor4D;
  },
};
